# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Where things are on a STARFACE box: the option group every module shares."""

from __future__ import annotations

import os

from ansible_collections.telephony.starface.plugins.module_utils._appliance.tomcat import PROVISIONING_PORTS
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError


DEFAULT_TOMCAT_BASE = '/opt/tomcat'
DEFAULT_KEYSTORE = 'ssl/tomcat.keystore'
DEFAULT_KEYSTORE_PASSWORD = 'changeit'
DEFAULT_ALIAS = 'tomcat'
DEFAULT_KEY_PEM = 'ssl/tomcatkey.pem'
DEFAULT_RESTART_COMMAND = 'systemctl restart tomcat'
DEFAULT_LOCK_TIMEOUT = 900
DEFAULT_TOMCAT_LOG = 'logs/catalina.out'
STATE_DIR_NAME = '.telephony.starface'
DEFAULT_NAT_RULES_FILE = '/etc/sysconfig/iptables'
DEFAULT_IPTABLES = 'iptables'
DEFAULT_IPTABLES_SAVE = 'iptables-save'
# How a change is put into effect (see _change.transaction.Transaction.activation_method).
ACTIVATIONS = ('restart', 'reload', 'auto')
DEFAULT_ACTIVATION = 'restart'


def box_argument_spec():
    """Return the argument spec of the box options (documented by the doc fragment ``box``)."""
    return dict(
        tomcat_base=dict(type='path', default=DEFAULT_TOMCAT_BASE),
        server_xml=dict(type='path'),
        web_xml=dict(type='path'),
        keystore_path=dict(type='path'),
        keystore_password=dict(type='str', no_log=True),
        keystore_alias=dict(type='str', no_log=False),
        key_pem_path=dict(type='path'),
        state_dir=dict(type='path'),
        restart_command=dict(type='str', default=DEFAULT_RESTART_COMMAND),
        restart_timeout=dict(type='int', default=300),
        tomcat_log=dict(type='path', default=DEFAULT_TOMCAT_LOG),
        lock_timeout=dict(type='int', default=DEFAULT_LOCK_TIMEOUT),
        verify_host=dict(type='str'),
        nat_rules_file=dict(type='path', default=DEFAULT_NAT_RULES_FILE),
        iptables_command=dict(type='str', default=DEFAULT_IPTABLES),
        iptables_save_command=dict(type='str', default=DEFAULT_IPTABLES_SAVE),
        activation=dict(type='str', choices=list(ACTIVATIONS), default=DEFAULT_ACTIVATION),
    )


def ignore_ports_argument_spec():
    """Return the option naming the connectors a module leaves alone (doc fragment ``change.ignore_ports``)."""
    return dict(ignore_ports=dict(type='list', elements='int', default=list(PROVISIONING_PORTS)))


def change_argument_spec():
    """Return the box options plus those of a module that changes the box (doc fragments ``box`` and ``change``)."""
    spec = box_argument_spec()
    spec.update(ignore_ports_argument_spec())
    spec.update(
        restart=dict(type='bool', default=True),
        backup=dict(type='bool', default=False),
    )
    return spec


class Box:
    """The paths and settings of one box, from the module parameters.

    Keystore path, password and alias that the user did not set are taken from the HTTPS
    connector in server.xml (see ``resolve_keystore``), then from STARFACE's defaults.
    """

    def __init__(self, params):
        base = params.get('tomcat_base') or DEFAULT_TOMCAT_BASE
        self.tomcat_base = base
        self.server_xml = params.get('server_xml') or os.path.join(base, 'conf', 'server.xml')
        self.web_xml = params.get('web_xml') or os.path.join(base, 'conf', 'web.xml')
        self.state_dir = params.get('state_dir') or os.path.join(base, STATE_DIR_NAME)
        self.key_pem_path = params.get('key_pem_path') or os.path.join(base, DEFAULT_KEY_PEM)
        self.restart_command = params.get('restart_command') or DEFAULT_RESTART_COMMAND
        self.tomcat_log = os.path.join(base, params.get('tomcat_log') or DEFAULT_TOMCAT_LOG)
        self.restart_timeout = params.get('restart_timeout')
        if self.restart_timeout is None:
            self.restart_timeout = 300
        if self.restart_timeout < 1:
            raise StarfaceError('%s is not a number of seconds (1 or more) to wait for the web server'
                                % self.restart_timeout, field='restart_timeout')
        self.lock_timeout = params.get('lock_timeout')
        if self.lock_timeout is None:
            self.lock_timeout = DEFAULT_LOCK_TIMEOUT
        if self.lock_timeout < 0:
            raise StarfaceError('%s is not a number of seconds (0 or more) to wait for another run on this box'
                                % self.lock_timeout, field='lock_timeout')
        self.verify_host = params.get('verify_host')
        self.nat_rules_file = params.get('nat_rules_file') or DEFAULT_NAT_RULES_FILE
        self.iptables_command = params.get('iptables_command') or DEFAULT_IPTABLES
        self.iptables_save_command = params.get('iptables_save_command') or DEFAULT_IPTABLES_SAVE
        self.keystore_path_option = params.get('keystore_path')
        self.keystore_password_option = params.get('keystore_password')
        self.keystore_alias_option = params.get('keystore_alias')
        self.default_alias = DEFAULT_ALIAS
        self.activation = params.get('activation') or DEFAULT_ACTIVATION

    def resolve_keystore(self, settings):
        """Return (path, password, alias, key_password) from options, then server.xml settings, then defaults."""
        settings = settings or {}
        path = self.keystore_path_option or settings.get('keystore_file') or DEFAULT_KEYSTORE
        if not os.path.isabs(path):
            path = os.path.join(self.tomcat_base, path)
        password = self.keystore_password_option
        if password is None:
            password = settings.get('keystore_password') or DEFAULT_KEYSTORE_PASSWORD
        alias = self.keystore_alias_option or settings.get('key_alias') or DEFAULT_ALIAS
        key_password = settings.get('key_password') or password
        return path, password, alias, key_password

    def check_keystore_password(self, settings):
        """Refuse to write a keystore with a keystore_password other than the one server.xml gives Tomcat.

        Tomcat opens the keystore with server.xml's password (Tomcat's default when it names none),
        so a keystore written with another could not be served. Reading with it only fails to read.
        """
        declared = (settings or {}).get('keystore_password')
        option = self.keystore_password_option
        if option is not None and declared and option != declared:
            raise StarfaceError('differs from the keystore password in %s, with which Tomcat opens the keystore: a '
                                'keystore written with it could not be served. Leave keystore_password unset to use '
                                'the one in server.xml, or correct it. Nothing was changed.' % self.server_xml,
                                field='keystore_password')

    def probe_host(self, settings):
        """Return the address to check the box's ports on."""
        if self.verify_host:
            return self.verify_host
        address = (settings or {}).get('bind_address')
        if address and address not in ('0.0.0.0', '::'):
            return address
        return '127.0.0.1'

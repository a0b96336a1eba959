# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reconciler for the web server page: HTTP and HTTPS services, ports, forced HTTPS."""

from __future__ import annotations

from ansible_collections.telephony.starface.plugins.module_utils import _x509
from ansible_collections.telephony.starface.plugins.module_utils._box import Box, box_argument_spec
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError
from ansible_collections.telephony.starface.plugins.module_utils._ports import PortCheck
from ansible_collections.telephony.starface.plugins.module_utils._tomcat import ServerXml, WebXml
from ansible_collections.telephony.starface.plugins.module_utils._transaction import Transaction


SETTINGS = ('http_enabled', 'http_port', 'https_enabled', 'https_port', 'force_https', 'bind_address')
PROVISIONING_PORTS = [50080, 50081]

PHONE_WARNING = (
    'HTTP is %s. The STARFACE manual warns that disabling HTTP or changing port 80 breaks '
    'some connections, for example the address book of SIP phones. Check your phones '
    '(their provisioning on ports 50080/50081 is not managed here).'
)


def webserver_argument_spec():
    """Return the argument spec of starface_webserver."""
    spec = box_argument_spec()
    spec.update(
        http_enabled=dict(type='bool'),
        http_port=dict(type='int'),
        https_enabled=dict(type='bool'),
        https_port=dict(type='int'),
        force_https=dict(type='bool'),
        bind_address=dict(type='str'),
        ignore_ports=dict(type='list', elements='int', default=PROVISIONING_PORTS),
        restart=dict(type='bool', default=True),
        backup=dict(type='bool', default=False),
    )
    return spec


def read_file(path, field):
    """Return the text of a configuration file, or raise a StarfaceError naming the option."""
    try:
        with open(path, 'rb') as handle:
            data = handle.read()
    except (IOError, OSError) as exc:
        raise StarfaceError('cannot read %s: %s' % (path, exc.strerror or exc), field=field)
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError:
        raise StarfaceError('%s is not UTF-8 text' % path, field=field)


def read_settings(box, ignore_ports=None):
    """Return (server_xml, web_xml, settings) as found on the box; settings include force_https."""
    server = ServerXml(read_file(box.server_xml, 'server_xml'), ignore_ports=tuple(ignore_ports or PROVISIONING_PORTS))
    web = WebXml(read_file(box.web_xml, 'web_xml'))
    settings = dict(server.settings())
    settings['force_https'] = web.force_https()
    return server, web, settings


def public_settings(settings):
    """Return the user-facing settings (no keystore password) for results and diffs."""
    return dict((key, settings.get(key)) for key in SETTINGS)


def desired_settings(current, params):
    """Return the settings after applying the options the user set (a partial update)."""
    desired = public_settings(current)
    for key in SETTINGS:
        if params.get(key) is not None:
            desired[key] = params[key]
    if desired['bind_address'] == '':
        desired['bind_address'] = None
    return desired


def check_settings(desired, ignore_ports):
    """Refuse settings STARFACE's web server page would refuse; raise StarfaceError naming the option."""
    for key in ('http_port', 'https_port'):
        port = desired.get(key)
        if port is not None and not 1 <= port <= 65535:
            raise StarfaceError('port %s is outside 1-65535' % port, field=key)
        if port is not None and port in ignore_ports:
            raise StarfaceError('port %s is used for phone provisioning and is not managed here; choose another port'
                                % port, field=key)
    if not desired['http_enabled'] and not desired['https_enabled']:
        raise StarfaceError('HTTP and HTTPS cannot both be disabled: the web interface would be unreachable',
                            field='http_enabled')
    if desired['force_https'] and not desired['https_enabled']:
        raise StarfaceError('forcing HTTPS needs HTTPS enabled (set https_enabled: true)', field='force_https')
    if desired['http_enabled'] and desired['https_enabled'] and desired['http_port'] == desired['https_port']:
        raise StarfaceError('HTTP and HTTPS cannot use the same port %s' % desired['http_port'], field='https_port')
    for key in ('http_port', 'https_port'):
        enabled = desired[key.replace('port', 'enabled')]
        if enabled and desired[key] is None:
            raise StarfaceError('%s is enabled but has no port: set %s' % (key.split('_', 1)[0].upper(), key), field=key)


def check_bind_address(address):
    """Refuse a bind address that is neither an IP address nor a host name: Tomcat could not start with it."""
    if not address:
        return
    try:
        _x509.check_server_name(address, 'bind_address')
    except StarfaceError:
        raise StarfaceError("'%s' is not an IP address or host name: Tomcat could not listen on it. Give an address "
                            "of this box, or an empty string for every address" % address, field='bind_address')


def phone_warning(current, desired):
    """Return the manual's warning when this change disables HTTP or moves it off port 80, else None."""
    if current['http_enabled'] and not desired['http_enabled']:
        return PHONE_WARNING % 'being disabled'
    if desired['http_enabled'] and desired['http_port'] != 80 and (
            not current['http_enabled'] or current['http_port'] != desired['http_port']):
        return PHONE_WARNING % ('moved to port %s' % desired['http_port'])
    return None


def new_ports(current, desired):
    """Return (option, port) for each enabled connector port that Tomcat will open anew after this change."""
    moved = desired['bind_address'] != current.get('bind_address')
    found = []
    for kind in ('http', 'https'):
        enabled, port = desired['%s_enabled' % kind], desired['%s_port' % kind]
        if enabled and (moved or not current.get('%s_enabled' % kind) or port != current.get('%s_port' % kind)):
            found.append(('%s_port' % kind, port))
    return found


def check_ports_can_be_opened(box, current, desired, proc=None):
    """Refuse, before any write, a new port another program holds or Tomcat's user may not bind."""
    ports = new_ports(current, desired)
    if not ports:
        return
    check = PortCheck(box.tomcat_base, proc)
    for field, port in ports:
        check.check(field, desired['bind_address'], port)


def server_xml_changes(current, desired):
    """Return the ServerXml.render() changes for the desired settings (only what differs)."""
    changes = {}
    for key in ('http_enabled', 'http_port', 'https_enabled', 'https_port'):
        if desired[key] != current.get(key):
            changes[key] = desired[key]
    if desired['bind_address'] != current.get('bind_address'):
        changes['bind_address'] = desired['bind_address'] or ''
    if desired['http_enabled'] and desired['https_enabled']:
        follows = desired['force_https'] or current.get('redirect_port') == current.get('https_port')
        if follows and current.get('redirect_port') != desired['https_port']:
            changes['redirect_port'] = desired['https_port']
    return changes


class WebServer:
    """Bring the box's web server settings to the desired state."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.box = Box(module.params)
        self.transaction = Transaction(self.box)

    def run(self):
        """Reconcile and return the module result."""
        ignore_ports = self.params['ignore_ports']
        server, web, current = read_settings(self.box, ignore_ports)
        check_bind_address(self.params['bind_address'])
        desired = desired_settings(current, self.params)
        check_settings(desired, ignore_ports)
        server_changes = server_xml_changes(current, desired)
        web_change = desired['force_https'] != current['force_https']
        before = public_settings(current)
        result = dict(changed=False, settings=desired, restart_required=False,
                      diff=dict(before=before, after=desired))

        if not server_changes and not web_change:
            if self.params['restart'] and not self.module.check_mode:
                if self.transaction.restart_and_verify():
                    result.update(changed=True, restarted=True,
                                  msg='finished a change an earlier run left pending: restarted and verified')
            elif self.transaction.changed_files():
                result['restart_required'] = True
            return result

        if server_changes:
            check_ports_can_be_opened(self.box, current, desired)
        warning = phone_warning(current, desired)
        if warning:
            self.module.warn(warning)
        result['changed'] = True
        if self.module.check_mode:
            return result

        files = []
        if server_changes:
            files.append((self.box.server_xml, server.render(server_changes)))
        if web_change:
            files.append((self.box.web_xml, web.render(desired['force_https'])))
        if self.params['backup']:
            result['backup_files'] = self.transaction.backup_copies([path for path, dummy in files])
        for path, text in files:
            self.transaction.stage(path, text.encode('utf-8'))
        if self.params['restart']:
            # Nothing to restart when this run only put back what a pending change had altered.
            result['restarted'] = bool(self.transaction.restart_and_verify())
        else:
            result['restart_required'] = True
        return result

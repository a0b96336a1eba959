# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Read-only view of a box: settings, keystore, served certificate, pending work."""

from __future__ import annotations

import os

from ansible_collections.telephony.starface.plugins.module_utils._appliance import probe as _probe
from ansible_collections.telephony.starface.plugins.module_utils._appliance.box import Box
from ansible_collections.telephony.starface.plugins.module_utils._appliance.nat import NatRules
from ansible_collections.telephony.starface.plugins.module_utils._appliance.ports import tomcat_facts
from ansible_collections.telephony.starface.plugins.module_utils._appliance.reload import ReloadSupport
from ansible_collections.telephony.starface.plugins.module_utils._change.transaction import Transaction
from ansible_collections.telephony.starface.plugins.module_utils._crypto import x509 as _x509
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError
from ansible_collections.telephony.starface.plugins.module_utils._reconcile.certificate import (
    Keystore, PENDING_CSR, check_lifetime_options, renewal_reasons, utcnow, wanted_names)
from ansible_collections.telephony.starface.plugins.module_utils._reconcile.webserver import public_settings, read_settings


def keystore_info(keystore):
    """Return the keystore's facts, with an error text instead of failing when it cannot be read."""
    info = dict(path=keystore.path, alias=keystore.alias, format=None, error=None)
    if keystore.data is None:
        info['error'] = 'the keystore does not exist'
        return info
    info['format'] = keystore.format
    if keystore.entry is None:
        info['error'] = keystore.error.msg if keystore.error else 'unreadable'
        return info
    info.update(keystore.facts())
    info['aliases'] = keystore.aliases()
    return info


def served_info(host, port):
    """Return the facts of the certificate served on host:port, or an error text."""
    try:
        der = _probe.served_certificate(host, port)
    except StarfaceError as err:
        return dict(error=err.msg, host=host, port=port)
    facts = _x509.certificate_facts(_x509.load_certificates(der, 'served certificate')[0])
    facts.update(error=None, host=host, port=port)
    return facts


def pending_request(box):
    """Return the facts of the pending certificate request, or None.

    The import of its answer removes it in the same transaction as the keystore change.
    """
    path = os.path.join(box.state_dir, PENDING_CSR)
    if not os.path.exists(path):
        return None
    with open(path, 'rb') as handle:
        return _x509.csr_facts(_x509.load_csr(handle.read(), 'pending request'))


def web_root(box, server):
    """Return the absolute folder Tomcat serves at /, from server.xml (None when it names no Host)."""
    folder = server.web_root()
    return os.path.normpath(os.path.join(box.tomcat_base, folder)) if folder else None


def nat_info(nat, settings):
    """Return the NAT redirects found (live), their drift from the rules file, or an error text."""
    try:
        live = nat.live()
        drift = nat.drift()
    except StarfaceError as err:
        return dict(redirects=[], drift=None, error=err.msg, rules_file=nat.box.nat_rules_file)
    connectors = dict((settings.get('%s_connector_port' % kind), kind) for kind in ('http', 'https'))
    redirects = [dict(public_port=item.public_port, connector_port=item.connector_port, rule=item.line,
                      service=connectors.get(item.connector_port)) for item in live]
    return dict(redirects=redirects, drift=drift, error=None, rules_file=nat.box.nat_rules_file)


def read_info(module):
    """Return everything starface_webserver_info reports."""
    box = Box(module.params)
    nat = NatRules(box)
    server, dummy, settings = read_settings(box, module.params.get('ignore_ports'), nat)
    store = Keystore(box, settings)
    keystore = keystore_info(store)
    pending_files = Transaction(box).pending_files()
    result = dict(settings=public_settings(settings), keystore=keystore, drift=False,
                  restart_required=bool(pending_files), pending_files=pending_files,
                  pending_request=pending_request(box), tomcat=tomcat_facts(box.tomcat_base),
                  web_root=web_root(box, server), nat=nat_info(nat, settings),
                  reload=ReloadSupport(box.tomcat_base, server.text).facts())
    if module.params['probe'] and settings.get('https_enabled'):
        served = served_info(box.probe_host(settings), settings['https_connector_port'])
        result['served'] = served
        if served.get('fingerprint_sha256') and keystore.get('fingerprint_sha256'):
            result['drift'] = served['fingerprint_sha256'] != keystore['fingerprint_sha256']
    if module.params.get('server_name'):
        result['renewal'] = renewal(store, module.params)
    return result


def renewal(store, params):
    """Return whether the keystore's certificate should be replaced by a CA-signed one, and why."""
    check_lifetime_options(params)
    if store.data is not None and store.entry is None:
        return dict(needed=True, reasons=['keystore_unreadable'])
    names = wanted_names(params['server_name'], params['subject_alt_names'])
    reasons = renewal_reasons(store, params, names, utcnow(), want_self_signed=False)
    return dict(needed=bool(reasons), reasons=reasons)

# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reconciler for the web server page: HTTP and HTTPS services, ports, forced HTTPS."""

from __future__ import annotations

import os

from ansible_collections.telephony.starface.plugins.module_utils._appliance.box import Box, change_argument_spec
from ansible_collections.telephony.starface.plugins.module_utils._appliance.nat import (
    NatRules, new_redirect_line, redirect_line, render_rules_file)
from ansible_collections.telephony.starface.plugins.module_utils._appliance.ports import PortCheck
from ansible_collections.telephony.starface.plugins.module_utils._appliance.rewrite import (
    ForcedHttps, check_exempt_paths, read_optional)
from ansible_collections.telephony.starface.plugins.module_utils._appliance.tomcat import PROVISIONING_PORTS, ServerXml, WebXml
from ansible_collections.telephony.starface.plugins.module_utils._change.transaction import Transaction
from ansible_collections.telephony.starface.plugins.module_utils._crypto import x509 as _x509
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError


SETTINGS = ('http_enabled', 'http_port', 'https_enabled', 'https_port', 'force_https', 'force_https_exempt_paths',
            'bind_address', 'http_connector_port', 'https_connector_port')
# Connector ports of a NAT box where a service is enabled anew, as on the audited STARFACE.
NAT_CONNECTOR_PORTS = dict(http=8080, https=8181)
# Public ports of a disabled service on a NAT box (its redirect is gone with it).
NAT_PUBLIC_PORTS = dict(http=80, https=443)

PHONE_WARNING = (
    'HTTP is %s. The STARFACE manual warns that disabling HTTP or changing port 80 breaks '
    'some connections, for example the address book of SIP phones. Check your phones '
    '(their provisioning on ports 50080/50081 is not managed here).'
)


def settings_options():
    """Return the options of the web server page (starface_webserver's own, starface_plan's O(settings))."""
    return dict(
        http_enabled=dict(type='bool'),
        http_port=dict(type='int'),
        https_enabled=dict(type='bool'),
        https_port=dict(type='int'),
        http_connector_port=dict(type='int'),
        https_connector_port=dict(type='int'),
        force_https=dict(type='bool'),
        force_https_exempt_paths=dict(type='list', elements='str'),
        bind_address=dict(type='str'),
    )


def webserver_argument_spec():
    """Return the argument spec of starface_webserver."""
    spec = change_argument_spec()
    spec.update(settings_options())
    return spec


def read_file(path, field):
    """Return the text of a configuration file, or raise a StarfaceError naming the option."""
    text = read_optional(path, field)
    if text is None:
        raise StarfaceError('cannot read %s: No such file or directory' % path, field=field)
    return text


def read_settings(box, ignore_ports=None, nat=None, with_nat=True):
    """Return (server_xml, forced HTTPS (_rewrite.ForcedHttps), settings) as found on the box.

    settings hold force_https, the connector ports (``http_connector_port``,
    ``https_connector_port``) and the public ports (``http_port``, ``https_port``): on a box
    whose NAT rules redirect a public port to a connector, its source port, else the
    connector's own. ``nat`` maps http/https to the live Redirect; ``nat_layout`` says
    whether the box sends its public ports to Tomcat through NAT rules at all. Without
    ``with_nat`` the NAT rules are not read (public ports are then the connector ports).
    """
    server = ServerXml(read_file(box.server_xml, 'server_xml'), ignore_ports=tuple(ignore_ports or PROVISIONING_PORTS))
    forced = ForcedHttps(box.tomcat_base, server, WebXml(read_file(box.web_xml, 'web_xml')))
    settings = dict(server.settings())
    settings['force_https'] = forced.forced()
    settings['force_https_exempt_paths'] = forced.exempt_paths()
    redirects = (nat or NatRules(box)).live() if with_nat else []
    settings['nat'] = {}
    for kind in ('http', 'https'):
        port = settings.get('%s_port' % kind)
        settings['%s_connector_port' % kind] = port
        found = [redirect for redirect in redirects if port and redirect.connector_port == port]
        if settings.get('%s_enabled' % kind) and found:
            settings['nat'][kind] = found[0]
            settings['%s_port' % kind] = found[0].public_port
    settings['nat_layout'] = bool(settings['nat'])
    for kind in ('http', 'https'):
        if settings['nat_layout'] and not settings.get('%s_enabled' % kind):
            settings['%s_port' % kind] = NAT_PUBLIC_PORTS[kind]
    return server, forced, settings


def public_settings(settings):
    """Return the user-facing settings (no keystore password) for results and diffs."""
    return dict((key, settings.get(key)) for key in SETTINGS)


def desired_settings(current, params):
    """Return the settings after applying the options the user set (a partial update).

    On a box without NAT redirects a connector port is its public port: setting either
    sets both. On a NAT box a service enabled anew gets STARFACE's connector port.
    """
    desired = public_settings(current)
    for key in SETTINGS:
        if params.get(key) is not None:
            desired[key] = params[key]
    if desired['bind_address'] == '':
        desired['bind_address'] = None
    for kind in ('http', 'https'):
        public, connector = '%s_port' % kind, '%s_connector_port' % kind
        if current.get('nat_layout'):
            if desired[connector] is None and desired['%s_enabled' % kind]:
                desired[connector] = NAT_CONNECTOR_PORTS[kind]
            continue
        if params.get(public) is not None and params.get(connector) is not None and params[public] != params[connector]:
            raise StarfaceError('this box has no NAT redirect for %s: its connector port is its public port, so '
                                '%s (%s) and %s (%s) cannot differ' % (kind.upper(), public, params[public],
                                                                       connector, params[connector]), field=connector)
        port = params.get(connector) if params.get(public) is None and params.get(connector) is not None \
            else desired[public]
        desired[public] = desired[connector] = port
    return desired


def connector_settings(desired):
    """Return desired with the connector ports in http_port/https_port, as server.xml holds them."""
    connectors = dict(desired)
    connectors['public_https_port'] = desired['https_port']
    connectors['http_port'] = desired['http_connector_port']
    connectors['https_port'] = desired['https_connector_port']
    return connectors


def check_settings(desired, ignore_ports):
    """Refuse settings STARFACE's web server page would refuse; raise StarfaceError naming the option."""
    for key in ('http_port', 'https_port', 'http_connector_port', 'https_connector_port'):
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
        raise StarfaceError('forcing HTTPS needs HTTPS enabled: set https_enabled: true, or force_https: false',
                            field='force_https')
    check_exempt_paths(desired.get('force_https_exempt_paths'))
    if desired['http_enabled'] and desired['https_enabled'] and desired['http_port'] == desired['https_port']:
        raise StarfaceError('HTTP and HTTPS cannot use the same port %s' % desired['http_port'], field='https_port')
    if desired['http_enabled'] and desired['https_enabled'] \
            and desired['http_connector_port'] == desired['https_connector_port']:
        raise StarfaceError('HTTP and HTTPS cannot use the same connector port %s' % desired['http_connector_port'],
                            field='https_connector_port')
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


def forcing_warnings(current, desired, forced):
    """Return what an admin must know when forcing HTTPS is switched on (a list, empty otherwise)."""
    if not desired['force_https']:
        return []
    warnings = []
    if forced.wakes_other_rules():
        warnings.append('%s already holds rewrite rules that no valve read so far; with the rewrite valve forced '
                        'HTTPS adds, Tomcat applies them too. Check them.' % forced.path)
    if forced.foreign_constraint():
        warnings.append('%s holds a CONFIDENTIAL security constraint on /* that this collection did not write: it '
                        'redirects every connector to HTTPS, phone provisioning on 50080 included. Remove it by hand; '
                        'the forced HTTPS set here redirects the web UI alone.' % forced.web.name)
    elif not current['force_https']:
        exempt = desired.get('force_https_exempt_paths') or []
        warnings.append('Forced HTTPS now redirects the web UI on HTTP port %s to HTTPS. Phone provisioning '
                        '(50080/50081), ACME challenges and %s stay on plain HTTP. SIP phones that fetch their address '
                        'book over HTTP on port %s need its path in force_https_exempt_paths.'
                        % (desired['http_port'], ('the paths ' + ', '.join(exempt)) if exempt else 'no other path',
                           desired['http_port']))
    return warnings


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
    """Refuse, before any write, a new connector port another program holds or Tomcat's user may not bind.

    current and desired hold connector ports in http_port/https_port (see connector_settings).
    """
    ports = new_ports(current, desired)
    if not ports:
        return
    check = PortCheck(box.tomcat_base, proc)
    for field, port in ports:
        if current.get('nat_layout'):
            field = field.replace('_port', '_connector_port')
        check.check(field, desired['bind_address'], port)


def rule_changes(current, desired, connectors):
    """Return the live NAT rule changes of a NAT box: [(field, before line or None, after line or None, position)].

    A disabled service loses its redirect (its connector goes too, see server_xml_changes).
    """
    if not current.get('nat_layout'):
        return []
    changes = []
    for kind in ('http', 'https'):
        found = current['nat'].get(kind)
        after = None
        public, connector = desired['%s_port' % kind], desired['%s_connector_port' % kind]
        if desired['%s_enabled' % kind] and (found or public != connector):
            after = redirect_line(found, public, connector) if found else new_redirect_line(public, connector)
        before = found.line if found else None
        if before != after:
            # A new HTTP redirect goes before the HTTPS one, as STARFACE lists them.
            ahead = current['nat'].get('https') if kind == 'http' and not found else None
            changes.append(('%s_port' % kind, before, after, found.position if found else (ahead.position if ahead
                                                                                           else None)))
    return changes


def check_public_ports(box, current, desired, changes, proc=None):
    """Refuse a new public port of a NAT box that another program or connector holds, or another rule redirects."""
    connectors = set(port for port in (current.get('http_connector_port'), current.get('https_connector_port'))
                     if port)
    check = None
    for field, before, after, dummy in changes:
        if after is None:
            continue
        kind = field.split('_', 1)[0]
        public = desired[field]
        found = current['nat'].get(kind)
        if found and found.public_port == public:
            continue
        if public in connectors - set([desired['%s_connector_port' % kind]]):
            raise StarfaceError('port %s is a connector port of this Tomcat: a redirect from it would cut that '
                                'connector off. Choose another port. Nothing was changed.' % public, field=field)
        check = check or PortCheck(box.tomcat_base, proc)
        check.check_free(field, None, public, 'a redirect from it to Tomcat would cut that program off')


def server_xml_changes(current, desired):
    """Return the ServerXml.render() changes for the desired settings (only what differs)."""
    changes = {}
    for key in ('http_enabled', 'http_port', 'https_enabled', 'https_port'):
        if desired[key] != current.get(key):
            changes[key] = desired[key]
    if desired['bind_address'] != current.get('bind_address'):
        changes['bind_address'] = desired['bind_address'] or ''
    if desired['http_enabled'] and desired['https_enabled']:
        # redirectPort is where a browser is sent for HTTPS: the public HTTPS port.
        target = desired.get('public_https_port') or desired['https_port']
        was = current.get('redirect_port')
        # Forced HTTPS names its target in its own rules: redirectPort is left as it was.
        follows = was in (current.get('https_port'), current.get('public_https_port'))
        if follows and was != target:
            changes['redirect_port'] = target
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
        nat = NatRules(self.box)
        server, forced, current = read_settings(self.box, ignore_ports, nat)
        check_bind_address(self.params['bind_address'])
        desired = desired_settings(current, self.params)
        check_settings(desired, ignore_ports)
        if not desired['force_https'] and self.params.get('force_https_exempt_paths'):
            self.module.warn('force_https_exempt_paths has no effect while force_https is false.')
            desired['force_https_exempt_paths'] = []
        connectors_now, connectors = connector_settings(current), connector_settings(desired)
        server_changes = server_xml_changes(connectors_now, connectors)
        server_text = server.render(server_changes) if server_changes else server.text
        server_text, forced_files = forced.changes(server_text, desired)
        server_change = server_text != server.text
        rules = rule_changes(current, desired, connectors)
        before = public_settings(current)
        result = dict(changed=False, settings=desired, restart_required=False,
                      diff=dict(before=before, after=desired))

        if not server_change and not forced_files and not rules:
            if self.params['restart'] and not self.module.check_mode:
                if self.transaction.restart_and_verify():
                    result.update(self.transaction.activation_result(self.module.warn), changed=True,
                                  msg='finished a change an earlier run left pending: %s and verified'
                                  % ('reloaded' if self.transaction.activated == 'reload' else 'restarted'))
            elif self.transaction.changed_files():
                result['restart_required'] = True
            return result

        read_at_start = [self.box.server_xml] if server_change else []
        read_at_start += [path or self.box.web_xml for path, dummy in forced_files]
        if read_at_start and self.box.activation == 'reload':
            raise StarfaceError('is reload, but this change is in %s, which Tomcat reads only when it starts: only a '
                                'restart applies it. Use activation restart or auto. Nothing was changed.'
                                % ', '.join(read_at_start), field='activation')
        if server_changes:
            check_ports_can_be_opened(self.box, connectors_now, connectors)
        check_public_ports(self.box, current, desired, rules)
        rules_file = self.rules_file(nat, rules, current)
        for warning in [phone_warning(current, desired)] + forcing_warnings(current, desired, forced):
            if warning:
                self.module.warn(warning)
        result['changed'] = True
        # A change an earlier run left waiting for its restart (restart: false) still needs it.
        restart = bool(server_change or forced_files or self.transaction.changed_files())
        if self.module.check_mode:
            result['restart_required'] = restart
            return result

        files = []
        if server_change:
            files.append((self.box.server_xml, server_text))
        files.extend((path or self.box.web_xml, text) for path, text in forced_files)
        if rules_file:
            files.append(rules_file)
        if self.params['backup']:
            result['backup_files'] = self.transaction.backup_copies(
                [path for path, dummy in files if os.path.exists(path)])
        for path, text in files:
            # None: the file goes (a rewrite.config made for forced HTTPS, when forcing ends).
            self.transaction.stage(path, None if text is None else text.encode('utf-8'))
        for dummy, old, new, position in rules:
            self.transaction.stage_rule(nat, old, new, position)
        if not restart:
            # Only NAT rules changed: Tomcat keeps running, nothing to restart.
            self.transaction.activate_rules()
            result['restarted'] = False
        elif self.params['restart']:
            # Nothing to restart when this run only put back what a pending change had altered.
            self.transaction.restart_and_verify()
            result.update(self.transaction.activation_result(self.module.warn))
        else:
            result['restart_required'] = True
        return result

    def rules_file(self, nat, rules, current):
        """Return (path, new text) of the NAT rules file for these rule changes, or None (with a warning why)."""
        if not rules:
            return None
        text = nat.file_text()
        path = self.box.nat_rules_file
        if text is None:
            self.module.warn('The NAT rules file %s does not exist: the live rules are changed, but a reboot loads '
                             'the old ones. Set nat_rules_file to the file this box loads its rules from.' % path)
            return None
        try:
            https = current['nat'].get('https')
            return path, render_rules_file(text, [(old, new) for dummy, old, new, dummy in rules],
                                           ahead_of=https.line if https else None)
        except StarfaceError as err:
            self.module.warn('The NAT rules file %s was not changed (%s): the live rules differ from it now, and a '
                             'reboot loads the old ones. Compare them (starface_webserver_info reports nat.drift).'
                             % (path, err.msg))
            return None

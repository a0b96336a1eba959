# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The change transaction: activate what the journal holds (restart or reload), verify, then commit or roll back."""

from __future__ import annotations

import os
import time

from ansible_collections.telephony.starface.plugins.module_utils._appliance.probe import wait_for_box
from ansible_collections.telephony.starface.plugins.module_utils._appliance.tomcat_log import TomcatLog
from ansible_collections.telephony.starface.plugins.module_utils._change.files import read_text, reason, same_path
from ansible_collections.telephony.starface.plugins.module_utils._change.journal import Journal
from ansible_collections.telephony.starface.plugins.module_utils._crypto.library import HAS_CRYPTOGRAPHY
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError

TAIL_LINES = 5
TAIL_CHARS = 600
# After a rollback's restart command failed: how long to check whether the box serves the
# restored originals all the same (its web server was not restarted, or came back anyway).
SERVING_CHECK_SECONDS = 10


def output_tail(text):
    """Return the last lines of a command's output, short enough for a message."""
    lines = [line.strip() for line in (text or '').splitlines() if line.strip()]
    tail = ' / '.join(lines[-TAIL_LINES:])
    if len(tail) > TAIL_CHARS:
        tail = '...' + tail[-TAIL_CHARS:]
    return tail


def joined(problems):
    """Return problems as one clause, without trailing full stops (the message adds its own)."""
    return '; '.join(problem.rstrip().rstrip('.') for problem in problems)


def served_ports(settings):
    """Return the sorted ports the web server serves with these server.xml settings."""
    ports = set()
    for scheme in ('http', 'https'):
        if settings.get('%s_enabled' % scheme) and settings.get('%s_port' % scheme):
            ports.add(settings['%s_port' % scheme])
    return sorted(ports)


def keystore_fingerprint(box, settings):
    """Return the SHA-256 fingerprint of the keystore's leaf certificate, or None when it cannot be read."""
    if not HAS_CRYPTOGRAPHY:
        return None
    from ansible_collections.telephony.starface.plugins.module_utils._crypto.keystore import load_chain
    from ansible_collections.telephony.starface.plugins.module_utils._crypto.x509 import fingerprint

    path, password, alias, dummy = box.resolve_keystore(settings)
    try:
        with open(path, 'rb') as handle:
            chain = load_chain(handle.read(), password, alias)
    except (OSError, StarfaceError):
        return None
    if not chain:
        return None
    return fingerprint(chain[0])


def expected_from_files(box, previous_settings=None):
    """Return (host, expected) for _appliance.probe.check_box from server.xml, web.xml and the keystore as they are now.

    ``previous_settings`` (the server.xml settings before the change) adds the ports that
    are no longer served to ``disabled_ports``.
    """
    from ansible_collections.telephony.starface.plugins.module_utils._appliance.tomcat import ServerXml, WebXml

    from ansible_collections.telephony.starface.plugins.module_utils._appliance.rewrite import ForcedHttps

    server = ServerXml(read_text(box.server_xml, 'server_xml'))
    settings = server.settings()
    forced = ForcedHttps(box.tomcat_base, server, WebXml(read_text(box.web_xml, 'web_xml')))
    expected = dict(
        http_enabled=bool(settings.get('http_enabled')),
        http_port=settings.get('http_port'),
        https_enabled=bool(settings.get('https_enabled')),
        https_port=settings.get('https_port'),
        force_https=forced.forced(),
        # Where a forced redirect sends browsers: our rules' HTTPS port, else Tomcat's redirectPort.
        redirect_port=forced.https_port() or settings.get('redirect_port'),
        fingerprint_sha256=None,
        disabled_ports=[],
    )
    if expected['https_enabled']:
        expected['fingerprint_sha256'] = keystore_fingerprint(box, settings)
    if previous_settings:
        current = served_ports(settings)
        expected['disabled_ports'] = [port for port in served_ports(previous_settings) if port not in current]
    return box.probe_host(settings), expected


class NotReloaded(Exception):
    """The reload client could not ask Tomcat (attach or JMX failed): nothing was reloaded."""


class Transaction(Journal):
    """Change the box's files so that a failed change never stays: stage, activate, verify, commit or roll back.

    Staging is the journal's (``Journal``). ``restart_and_verify`` covers everything pending: it
    activates the change (restart or reload, as the box's ``activation`` says), commits when the
    box works with all of it, and restores every original otherwise. ``rollback`` restores on demand.
    """

    def __init__(self, box, run_command=None, now=None, wait=None, clock=None):
        super().__init__(box, run_command, now)
        self.clock = clock or time.monotonic
        self.wait = wait or wait_for_box
        # How the last restart_and_verify applied the change: 'reload', 'restart' or None, and why not by reload.
        self.activated = None
        self.restart_reason = None
        # What an activation could not clean up, for the module to warn about.
        self.notes = []

    def activate_rules(self, expected_fn=None):
        """Commit what is pending when only NAT rules and their file changed: no restart is needed for them.

        Checks that each new rule is live and that the web server serves its configuration;
        otherwise restores files and rules and raises StarfaceError.
        """
        from ansible_collections.telephony.starface.plugins.module_utils._appliance.nat import NatRules

        journal = self.settle()
        if journal is None:
            return []
        nat = NatRules(self.box, self.run_command)
        problems = ['the NAT rule %r is not live' % entry['after'] for entry in journal.get('rules') or []
                    if entry['after'] and nat.position(entry['after']) is None]
        if not problems:
            try:
                host, expected = (expected_fn or self.default_expected)()
                problems = self.wait(host, expected, SERVING_CHECK_SECONDS)
            except StarfaceError as err:
                problems = ['the configuration cannot be checked: %s' % err]
        if problems:
            try:
                self.restore(journal)
            except OSError as exc:
                raise StarfaceError('The NAT change did not work: %s. ROLLBACK FAILED (%s): the originals are listed '
                                    'in %s.' % (joined(problems), reason(exc), self.journal_path),
                                    details=dict(problems=problems))
            self.commit(journal)
            raise StarfaceError('The NAT change did not work: %s. The previous rules and files were put back.'
                                % joined(problems), details=dict(problems=problems, rolled_back=True))
        self.commit(journal)
        self.undo = []
        return self.listed(journal)

    def default_expected(self):
        """Return (host, expected) from the files as they are now, closing the ports the change stopped serving."""
        from ansible_collections.telephony.starface.plugins.module_utils._appliance.tomcat import ServerXml

        previous = None
        entry = self.find_entry(self.pending() or dict(files=[]), self.box.server_xml)
        if entry and entry['backup']:
            try:
                previous = ServerXml(read_text(entry['backup'], 'state_dir')).settings()
            except StarfaceError:
                previous = None
        return expected_from_files(self.box, previous)

    def restart(self, deadline):
        """Run the restart command until the deadline; return None on success, else what went wrong."""
        command = self.box.restart_command
        try:
            rc, out, err = self.run_command(command, max(deadline - self.clock(), 1))
        except OSError as exc:
            return 'the restart command `%s` could not be run: %s' % (command, reason(exc))
        tail = output_tail(err) or output_tail(out)
        if rc is None:
            return ('the restart command `%s` did not finish within restart_timeout (%d s) and was stopped with '
                    'the processes it started%s' % (command, self.box.restart_timeout, (': %s' % tail) if tail else ''))
        if rc == 0:
            return None
        return 'the restart command `%s` failed with exit code %s%s' % (command, rc, (': %s' % tail) if tail else '')

    def restart_and_check(self, expected_fn, serving_is_enough=False):
        """Compute what the box should serve, restart and wait for it; return (expected, problems, failed restart).

        restart_timeout bounds the restart command and the wait together. With serving_is_enough (a
        rollback), a restart command that failed or hung is no problem when the box serves the
        expected state all the same; it is then returned as the third item.
        """
        try:
            host, expected = expected_fn()
        except StarfaceError as err:
            return None, ['the configuration cannot be checked: %s' % err], None
        log = TomcatLog(self.box.tomcat_log)
        log.mark()
        deadline = self.clock() + self.box.restart_timeout
        failure = self.restart(deadline)
        if failure:
            if serving_is_enough and not self.wait(host, expected, SERVING_CHECK_SECONDS):
                return expected, [], failure
            logged = log.failure(served_ports(expected))
            return expected, [failure] + ([logged] if logged else []), None
        ports = served_ports(expected)
        return expected, self.wait(host, expected, max(deadline - self.clock(), 0),
                                   give_up=lambda: log.failure(ports)), None

    def restart_and_verify(self, expected_fn=None, always=False):
        """Activate everything pending (reload or restart), verify and commit; on failure roll back and raise StarfaceError.

        ``expected_fn() -> (host, expected)`` describes what the box must serve (see
        ``_appliance.probe.check_box``), computed from the files as they are when called; the default
        reads server.xml, web.xml and the keystore. How the change is activated follows the
        box's ``activation`` (see ``activation_method``). Returns the committed paths: [] and no
        restart when nothing changed is pending, unless ``always`` (which restarts).
        """
        journal = self.settle()
        expected_fn = expected_fn or self.default_expected
        self.activated, self.restart_reason, self.notes = None, None, []
        if journal is None:
            if always:
                self.restart_unchanged(expected_fn)
                self.activated = 'restart'
            return []
        # always (starface_restart, state restarted) asks for a restart whatever the activation.
        method, why = ('restart', None) if always else self.activation_method(journal)
        if method == 'restart' and self.box.activation == 'reload' and not always:
            raise self.abort('activation is reload, but %s: only a restart applies that. Use activation restart '
                             'or auto for this change.' % why, field='activation')
        if method == 'reload':
            problems = self.check_keystores(journal)
            if problems:
                raise self.refuse(journal, 'The new keystore was not activated: %s.' % joined(problems))
        self.activated, self.restart_reason = method, why
        try:
            dummy, problems, dummy = self.activate(method, expected_fn)
        except NotReloaded as err:
            if self.box.activation == 'reload':
                raise self.refuse(journal, 'The new keystore was not activated: %s.' % err, field='activation')
            # Nothing was reloaded: restart with the new files, as a box that cannot reload.
            method = 'restart'
            self.activated, self.restart_reason = method, 'the reload did not reach Tomcat: %s' % err
            dummy, problems, dummy = self.restart_and_check(expected_fn)
        if problems:
            self.fail(journal, problems, expected_fn, method)
        self.commit(journal)
        self.undo = []
        return self.listed(journal)

    def activation_result(self, warn=None):
        """Return the result keys that say how the change was applied: restarted, reloaded, restart_reason.

        ``warn`` (a module's warn) gets what the activation could not clean up.
        """
        for note in self.notes if warn else []:
            warn(note)
        result = dict(restarted=self.activated == 'restart', reloaded=self.activated == 'reload')
        if self.activated == 'restart' and self.restart_reason and self.box.activation != 'restart':
            result['restart_reason'] = self.restart_reason
        return result

    def reload_support(self):
        """Return what the box offers for a reload (_appliance.reload.ReloadSupport), read once per run."""
        if getattr(self, '_reload_support', None) is None:
            from ansible_collections.telephony.starface.plugins.module_utils._appliance.reload import ReloadSupport

            try:
                text = read_text(self.box.server_xml, 'server_xml')
            except StarfaceError:
                text = ''
            self._reload_support = ReloadSupport(self.box.tomcat_base, text)
        return self._reload_support

    def tls_connectors(self):
        """Return the live TLS connectors of server.xml with a keystore file: port, absolute path, password, alias.

        The web UI's HTTPS connector gets the box's keystore options (``Box.resolve_keystore``);
        another one (phone provisioning) what server.xml gives it.
        """
        from ansible_collections.telephony.starface.plugins.module_utils._appliance.tomcat import ServerXml

        server = ServerXml(read_text(self.box.server_xml, 'server_xml'))
        managed = server.settings()
        connectors = []
        for connector in server.tls_connectors():
            if managed.get('https_enabled') and connector['port'] == managed.get('https_port'):
                path, password, alias, key_password = self.box.resolve_keystore(connector)
            elif connector['keystore_file']:
                path = connector['keystore_file']
                if not os.path.isabs(path):
                    path = os.path.join(self.box.tomcat_base, path)
                password, alias = connector['keystore_password'], connector['key_alias']
                key_password = connector['key_password'] or password
            else:
                continue  # Tomcat's default ~/.keystore: not a file this collection writes
            connectors.append(dict(port=connector['port'], path=path, password=password, alias=alias,
                                   key_password=key_password))
        return connectors

    def activation_method(self, journal):
        """Return ('reload' or 'restart', why not reload) for what the journal lists, under the box's activation."""
        if self.box.activation == 'restart':
            return 'restart', None
        if journal.get('rules'):
            return 'restart', 'NAT rules changed with it'
        try:
            connectors = self.tls_connectors()
        except StarfaceError as err:
            return 'restart', 'server.xml cannot be read (%s)' % err
        reloadable = [connector['path'] for connector in connectors] + [self.box.key_pem_path]
        # Tomcat never reads the collection's own files (the pending key and request in the state directory).
        others = [entry['path'] for entry in journal['files']
                  if not any(same_path(entry['path'], path) for path in reloadable) and not self.is_own(entry['path'])]
        if others:
            return 'restart', 'Tomcat reads %s only when it starts' % ', '.join(others)
        why = self.reload_support().why_not()
        if why is None and not HAS_CRYPTOGRAPHY:
            why = 'the new keystore cannot be checked first without the Python library cryptography'
        if why:
            return 'restart', 'a reload is not possible: %s' % why
        return 'reload', None

    def reload_ports(self, journal):
        """Return the TLS connectors whose keystore the journal lists."""
        return [connector for connector in self.tls_connectors()
                if any(same_path(entry['path'], connector['path']) for entry in journal['files'])]

    def check_keystores(self, journal):
        """Read each changed keystore as Tomcat will (format, password, alias, key and leaf); return the problems."""
        from ansible_collections.telephony.starface.plugins.module_utils._crypto.keystore import load_key_entry
        from ansible_collections.telephony.starface.plugins.module_utils._crypto.x509 import key_matches

        problems = []
        for connector in self.reload_ports(journal):
            where = 'the keystore %s of the connector on port %d' % (connector['path'], connector['port'])
            try:
                with open(connector['path'], 'rb') as handle:
                    data = handle.read()
                entry = load_key_entry(data, connector['password'], connector['alias'] or self.box.default_alias,
                                       connector['key_password'])
            except OSError as exc:
                problems.append('%s cannot be read: %s' % (where, reason(exc)))
                continue
            except StarfaceError as err:
                problems.append('%s cannot be read as Tomcat reads it: %s' % (where, err.msg))
                continue
            if not entry.chain or not key_matches(entry.chain[0], entry.private_key):
                problems.append('%s holds a key that does not belong to its certificate' % where)
        return problems

    def refuse(self, journal, msg, field='keystore_path'):
        """Put back every original the journal lists before anything was activated; return the error to raise."""
        try:
            self.restore(journal)
        except OSError as exc:
            return StarfaceError('%s ROLLBACK FAILED: the originals could not be put back (%s); they are listed in %s.'
                                 % (msg, reason(exc), self.journal_path))
        self.commit(journal)
        self.undo = []
        return StarfaceError('%s Nothing was reloaded or restarted; the previous files were put back.' % msg,
                             field=field, details=dict(rolled_back=True))

    def reload_and_check(self, expected_fn):
        """Ask Tomcat to reload the changed keystores, then wait for the box; return (expected, problems, None).

        Raises NotReloaded when Tomcat could not be asked at all (nothing was reloaded).
        """
        try:
            host, expected = expected_fn()
        except StarfaceError as err:
            return None, ['the configuration cannot be checked: %s' % err], None
        journal = self.pending() or dict(files=[])
        ports = sorted(set(connector['port'] for connector in self.reload_ports(journal)))
        deadline = self.clock() + self.box.restart_timeout
        if ports:
            answer = self.reload_support().reload(ports, max(deadline - self.clock(), 1))
            self.notes.extend(answer.notes)
            if answer.unreachable:
                raise NotReloaded(answer.unreachable)
            if answer.failures:
                return expected, ['Tomcat did not take the keystore on port %d: "%s"' % (port, answer.failures[port])
                                  for port in sorted(answer.failures)], None
        return expected, self.wait(host, expected, max(deadline - self.clock(), 0)), None

    def activate(self, method, expected_fn, serving_is_enough=False):
        """Reload or restart; return (expected, problems, failed restart) as restart_and_check does."""
        if method == 'reload':
            return self.reload_and_check(expected_fn)
        return self.restart_and_check(expected_fn, serving_is_enough)

    def restart_unchanged(self, expected_fn):
        """Restart with nothing pending and verify the box serves its configuration; raise StarfaceError if not."""
        dummy, problems, dummy = self.restart_and_check(expected_fn)
        if problems:
            raise StarfaceError('The web server did not come back after the restart: %s. No change was pending, so '
                                'there is nothing to roll back: check the web server now (its service status and '
                                'logs).' % joined(problems), details=dict(problems=problems))

    def fail(self, journal, problems, expected_fn, method='restart'):
        """Keep the failed files, restore the originals, activate and verify the old state; always raise StarfaceError.

        After a failed reload the old keystore is reloaded; if Tomcat does not serve it again
        then, the web server is restarted with it.
        """
        done = 'reloaded' if method == 'reload' else 'restarted'
        msg = 'The web server did not come back with the new configuration: %s.' % joined(problems)
        if method == 'reload':
            msg = 'Tomcat did not serve the new keystore after the reload: %s.' % joined(problems)
        failed_dir, kept = self.keep_failed(journal)
        details = dict(problems=problems, failed_dir=failed_dir, rolled_back=False)
        try:
            self.restore(journal)
        except OSError as exc:
            raise StarfaceError('%s ROLLBACK FAILED: the previous configuration could not be restored (%s). The web '
                                'server may be down: restore the originals by hand from %s (listed in %s). %s'
                                % (msg, reason(exc), self.box.state_dir, self.journal_path, kept), details=details)
        try:
            old_expected, old_problems, failed_restart = self.activate(method, expected_fn, serving_is_enough=True)
        except NotReloaded as err:
            old_problems = [str(err)]
        if old_problems and method == 'reload':
            details['reload_problems'] = old_problems
            done = 'restarted, as reloading it failed too (%s)' % joined(old_problems)
            old_expected, old_problems, failed_restart = self.restart_and_check(expected_fn, serving_is_enough=True)
        if old_problems:
            details['rollback_problems'] = old_problems
            raise StarfaceError('%s ROLLBACK INCOMPLETE: the previous configuration was restored, but the web server '
                                'did not come back with it either: %s. Check the web server now (its service status '
                                'and logs), then run starface_restart (state: rolled_back) again. The backups of the '
                                'originals stay in %s (listed in %s). %s'
                                % (msg, joined(old_problems), self.box.state_dir, self.journal_path, kept),
                                details=details)
        self.commit(journal)
        self.undo = []
        details['rolled_back'] = True
        ports = ', '.join(str(port) for port in served_ports(old_expected))
        if failed_restart:
            raise StarfaceError('%s The previous configuration was restored; the restart for it failed too (%s), but '
                                'the web server serves the previous configuration on ports %s. %s'
                                % (msg, failed_restart, ports, kept), details=details)
        raise StarfaceError('%s The previous configuration was restored and the web server %s; it serves again '
                            'on ports %s. %s' % (msg, done, ports, kept), details=details)

    def rollback(self, restart=True, expected_fn=None):
        """Restore every changed original the journal lists; with restart, restart and verify the old state.

        Returns the paths restored ([] and no restart when no listed file differs from its original).

        Used for crash recovery on demand: it undoes whatever an earlier run left pending.
        When the old state does not come back, StarfaceError says so and the journal stays.
        """
        journal = self.settle()
        if journal is None:
            return []
        paths = self.listed(journal)
        try:
            self.restore(journal)
        except OSError as exc:
            raise StarfaceError('ROLLBACK FAILED: the previous configuration could not be restored (%s). Restore the '
                                'originals by hand from %s (listed in %s).'
                                % (reason(exc), self.box.state_dir, self.journal_path))
        if restart:
            dummy, problems, dummy = self.restart_and_check(expected_fn or self.default_expected,
                                                            serving_is_enough=True)
            if problems:
                raise StarfaceError('ROLLBACK INCOMPLETE: the previous configuration was restored, but the web server '
                                    'did not come back with it: %s. Check the web server now (its service status and '
                                    'logs), then run starface_restart (state: rolled_back) again. The backups of the '
                                    'originals stay in %s (listed in %s).'
                                    % (joined(problems), self.box.state_dir, self.journal_path),
                                    details=dict(problems=problems))
        self.commit(journal)
        self.undo = []
        return paths

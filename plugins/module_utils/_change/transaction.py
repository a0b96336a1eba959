# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The change transaction: stage files with backups, restart, verify, then commit or roll back."""

from __future__ import annotations

import collections
import datetime
import json
import os
import re
import stat
import tempfile
import time

from ansible_collections.telephony.starface.plugins.module_utils._appliance.command import run_with_deadline
from ansible_collections.telephony.starface.plugins.module_utils._appliance.probe import wait_for_box
from ansible_collections.telephony.starface.plugins.module_utils._appliance.tomcat_log import TomcatLog
from ansible_collections.telephony.starface.plugins.module_utils._crypto.library import HAS_CRYPTOGRAPHY
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError

JOURNAL_NAME = 'pending.json'
JOURNAL_VERSION = 1
SECRET_SUFFIXES = ('.keystore', '.jks', '.p12', '.pfx', '.key', '.pem')
TAIL_LINES = 5
TAIL_CHARS = 600
# After a rollback's restart command failed: how long to check whether the box serves the
# restored originals all the same (its web server was not restarted, or came back anyway).
SERVING_CHECK_SECONDS = 10

FileState = collections.namedtuple('FileState', 'data mode uid gid')
Undo = collections.namedtuple('Undo', 'path previous new_entry')


def utc_now():
    """Return the current time in UTC."""
    return datetime.datetime.now(datetime.timezone.utc)


def as_utc(moment):
    """Return an aware UTC datetime; a naive one is taken as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc)


def reason(exc):
    """Return the system's reason for an OSError without the errno noise."""
    return exc.strerror or str(exc) or exc.__class__.__name__


def same_path(left, right):
    """Return True when both paths name the same file (after resolving symbolic links)."""
    return os.path.realpath(left) == os.path.realpath(right)


def remove_file(path):
    """Remove a file; a file that is already gone is fine."""
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def make_folders(folder):
    """Make folder and its missing parents (0755), each owned like the first existing parent."""
    missing = []
    while not os.path.isdir(folder):
        missing.append(folder)
        folder = os.path.dirname(folder)
    owner = os.stat(folder)
    for path in reversed(missing):
        os.mkdir(path, 0o755)
        os.chown(path, owner.st_uid, owner.st_gid)


def fsync_directory(path):
    """Flush a directory's entries to disk where the platform allows it."""
    try:
        handle = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass  # some file systems cannot fsync a directory; the rename is still atomic there
    finally:
        os.close(handle)


def read_state(path):
    """Return the FileState of path (bytes, mode, owner), or None when it does not exist."""
    try:
        with open(path, 'rb') as handle:
            info = os.fstat(handle.fileno())
            data = handle.read()
    except FileNotFoundError:
        return None
    return FileState(data, stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)


def write_atomic(path, data, mode, owner=None):
    """Replace path by data atomically: temporary file in the same directory, owner, mode, fsync, os.replace."""
    target = os.path.realpath(path)
    directory = os.path.dirname(target)
    handle, temp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(target), suffix='.tmp', dir=directory)
    done = False
    try:
        with os.fdopen(handle, 'wb') as stream:
            info = os.fstat(stream.fileno())
            if owner is not None and tuple(owner) != (info.st_uid, info.st_gid):
                os.fchown(stream.fileno(), owner[0], owner[1])
            os.fchmod(stream.fileno(), mode)
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, target)
        done = True
    finally:
        if not done:
            remove_file(temp)
    fsync_directory(directory)


def temporary_name_re(name):
    """Return the pattern of the temporary files write_atomic makes for a file called name (and its copies)."""
    return re.compile(re.escape('.%s.' % name) + r'(?:.*\.)?[a-z0-9_]{8}\.tmp\Z')


def remove_temporary_files(directory, names=None):
    """Remove what write_atomic left in directory for these file names (any name: names None); return the paths.

    Only call this holding the box's lock: then no run of ours is writing, and such a file is
    what a killed run left behind (it may be a copy of key material).
    """
    patterns = [temporary_name_re(name) for name in names] if names is not None \
        else [re.compile(r'\..+\.[a-z0-9_]{8}\.tmp\Z'), re.compile(r'\.tmp-[a-z0-9_]{8}\Z')]
    try:
        entries = os.listdir(directory)
    except OSError:
        return []
    removed = []
    for entry in sorted(entries):
        path = os.path.join(directory, entry)
        if any(pattern.match(entry) for pattern in patterns) and os.path.isfile(path) and not os.path.islink(path):
            try:
                os.remove(path)
            except OSError:
                continue
            removed.append(path)
    return removed


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


def read_text(path, field):
    """Return a configuration file's text, or raise StarfaceError naming the option."""
    try:
        with open(path, 'rb') as handle:
            return handle.read().decode('utf-8')
    except OSError as exc:
        raise StarfaceError('cannot read %s: %s' % (path, reason(exc)), field=field)
    except UnicodeDecodeError:
        raise StarfaceError('%s is not UTF-8 text' % path, field=field)


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
    """Return (host, expected) for _probe.check_box from server.xml, web.xml and the keystore as they are now.

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


class Transaction:
    """Change the box's files so that a failed change never stays: stage, restart, verify, commit or roll back.

    Each staged file's original (bytes, mode, owner) is copied to ``<state_dir>/backup-<n>``
    and listed in the journal ``<state_dir>/pending.json`` before the file is replaced.
    Crash recovery: a journal found at the start of a run means an earlier run stopped
    between writing and committing, or used ``restart: false``. Staging more files adds
    them to it (a file already listed keeps its first backup as the original), and the next
    ``restart_and_verify`` covers everything pending: it commits when the box works with all
    of it, and restores every original otherwise. ``rollback`` restores on demand.
    Nothing here logs or returns file contents.
    """

    def __init__(self, box, run_command=None, now=None, wait=None, clock=None):
        self.box = box
        # run_command(command, timeout) -> (rc, out, err), rc None when it ran past timeout.
        self.run_command = run_command or run_with_deadline
        self.clock = clock or time.monotonic
        self.now = now or utc_now
        self.wait = wait or wait_for_box
        self.journal_path = os.path.join(box.state_dir, JOURNAL_NAME)
        self.undo = []
        # How the last restart_and_verify applied the change: 'reload', 'restart' or None, and why not by reload.
        self.activated = None
        self.restart_reason = None
        # What an activation could not clean up, for the module to warn about.
        self.notes = []

    # The journal

    def pending(self):
        """Return the journal of a change waiting for restart and verification, or None."""
        try:
            with open(self.journal_path, 'rb') as handle:
                data = handle.read()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StarfaceError('cannot read the journal of pending changes %s: %s' % (self.journal_path, reason(exc)),
                                field='state_dir')
        try:
            journal = json.loads(data.decode('utf-8'))
        except ValueError:
            journal = None
        if not isinstance(journal, dict) or journal.get('version') != JOURNAL_VERSION \
                or not isinstance(journal.get('files'), list):
            raise StarfaceError('the journal of pending changes %s is damaged. It lists the files an earlier run '
                                'changed and their backups (backup-* next to it): check those files, restore them '
                                'by hand if needed, then remove the journal' % self.journal_path, field='state_dir')
        return journal

    def pending_files(self):
        """Return the paths the journal lists: changed, or about to be, and not yet restarted and verified."""
        return [entry['path'] for entry in (self.pending() or {}).get('files', [])]

    def changed_files(self):
        """Return the paths the journal lists whose file differs from its original (reads only)."""
        return [entry['path'] for entry in (self.pending() or {}).get('files', []) if not self.unchanged(entry)]

    @staticmethod
    def unchanged(entry):
        """Return whether a journal entry's file is as it was before the change (a run stopped before writing it)."""
        try:
            current = read_state(entry['path'])
            if entry['backup'] is None:
                return current is None
            if current is None:
                return False
            with open(entry['backup'], 'rb') as handle:
                original = handle.read()
        except OSError:
            return False  # cannot tell: keep it, restart and verify or roll back as listed
        return (current.data == original and '%04o' % current.mode == entry['mode']
                and (current.uid, current.gid) == (entry['uid'], entry['gid']))

    def settle(self):
        """Drop the journal entries whose file is as it was; return the journal left, or None.

        A run killed between listing a file and writing it leaves such an entry: there is
        nothing of it to commit or roll back, and no restart is needed for it.
        """
        journal = self.pending()
        if journal is None:
            return None
        same = [entry['path'] for entry in journal['files'] if self.unchanged(entry)]
        if same:
            try:
                self.forget(same)
            except OSError as exc:
                raise StarfaceError('cannot update the journal of pending changes %s: %s'
                                    % (self.journal_path, reason(exc)), field='state_dir')
            journal = self.pending()
        return journal

    def remove_leftovers(self):
        """Remove temporary files killed runs left next to the files the modules write; return their paths.

        Call this only holding the box's lock (see _lock.BoxLock).
        """
        from ansible_collections.telephony.starface.plugins.module_utils._appliance.tomcat import ServerXml

        paths = [self.box.server_xml, self.box.web_xml, self.box.key_pem_path]
        try:
            server = ServerXml(read_text(self.box.server_xml, 'server_xml'))
            settings = server.settings()
            if server.host_config_dir():
                paths.append(os.path.join(self.box.tomcat_base, server.host_config_dir(), 'rewrite.config'))
        except StarfaceError:
            settings = {}
        paths.append(self.box.resolve_keystore(settings)[0])
        by_directory = collections.OrderedDict()
        for path in paths:
            target = os.path.realpath(path)
            by_directory.setdefault(os.path.dirname(target), []).append(os.path.basename(target))
        removed = remove_temporary_files(self.box.state_dir)
        for directory, names in by_directory.items():
            if not same_path(directory, self.box.state_dir):
                removed.extend(remove_temporary_files(directory, names))
        return removed

    def new_journal(self):
        """Return an empty journal started now."""
        started = as_utc(self.now()).strftime('%Y-%m-%dT%H:%M:%SZ')
        return dict(version=JOURNAL_VERSION, started=started, files=[], restart_required=True)

    def write_journal(self, journal):
        """Write the journal atomically, owner-only."""
        data = json.dumps(journal, indent=2, sort_keys=True).encode('utf-8') + b'\n'
        write_atomic(self.journal_path, data, 0o600)

    def make_state_dir(self):
        """Create the owner-only state directory."""
        if not os.path.isdir(self.box.state_dir):
            os.makedirs(self.box.state_dir, 0o700)
        os.chmod(self.box.state_dir, 0o700)

    def is_own(self, path):
        """Return whether path is one of the collection's own files, in the state directory."""
        return same_path(os.path.dirname(os.path.abspath(path)), self.box.state_dir)

    def is_secret(self, path):
        """Return True for keys and keystores, whose copies must be owner-only."""
        return path.lower().endswith(SECRET_SUFFIXES) or same_path(path, self.box.key_pem_path)

    # Staging

    def stage(self, path, data, mode=None):
        """Replace path by data (None: remove it), keeping its original in the journal first.

        An existing file keeps its mode and owner; a new file gets ``mode`` (default 0600
        for keys and keystores, 0644 otherwise) and its directory's owner, and a missing
        folder is made (0755). When the write fails, the file stays as it was, the files
        staged before it in this run are put back, and StarfaceError says which file and why.
        """
        journal = self.pending() or self.new_journal()
        entry = self.find_entry(journal, path)
        try:
            previous = read_state(path)
        except OSError as exc:
            raise self.abort('cannot read %s: %s.' % (path, reason(exc)))
        if entry is None:
            try:
                self.record(journal, path, previous)
            except OSError as exc:
                raise self.abort('cannot keep a backup of %s in the state directory %s: %s.'
                                 % (path, self.box.state_dir, reason(exc)), path, field='state_dir')
        try:
            if data is None:
                remove_file(path)
            elif previous is None:
                default = 0o600 if self.is_secret(path) else 0o644
                folder = os.path.dirname(os.path.realpath(path))
                if not os.path.isdir(folder):
                    make_folders(folder)
                directory = os.stat(folder)
                write_atomic(path, data, default if mode is None else mode, (directory.st_uid, directory.st_gid))
            else:
                write_atomic(path, data, previous.mode, (previous.uid, previous.gid))
        except OSError as exc:
            raise self.abort('cannot write %s: %s. Check that the file system is writable and that the module '
                             'runs as root (become: true).' % (path, reason(exc)), path if entry is None else None)
        self.undo.append(Undo(path, previous, entry is None))

    def stage_rule(self, nat, before, after, position=None):
        """Change one live NAT rule (see _nat.NatRules.apply), listed in the journal first for the rollback.

        Stage files before rules: a rule that cannot be changed puts back what this run staged.
        """
        journal = self.pending() or self.new_journal()
        entry = dict(before=before, after=after, position=position)
        try:
            self.make_state_dir()
            journal.setdefault('rules', []).append(entry)
            self.write_journal(journal)
        except OSError as exc:
            raise self.abort('cannot list the NAT rule change in the journal %s: %s.'
                             % (self.journal_path, reason(exc)), field='state_dir')
        try:
            nat.apply(before, after, position)
        except StarfaceError as err:
            journal['rules'].remove(entry)
            try:
                if journal['rules'] or journal['files']:
                    self.write_journal(journal)
                else:
                    remove_file(self.journal_path)
            except OSError:
                pass  # the entry names a rule that did not change: putting it "back" changes nothing
            raise self.abort('cannot change the NAT rule: %s.' % err.msg, field=err.field)

    def restore_rules(self, journal):
        """Put the live NAT rules the journal lists back as they were (latest change first)."""
        from ansible_collections.telephony.starface.plugins.module_utils._appliance.nat import NatRules

        nat = NatRules(self.box, self.run_command)
        for entry in reversed(journal.get('rules') or []):
            try:
                nat.apply(entry['after'], entry['before'], entry.get('position'))
            except StarfaceError as err:
                raise OSError('the NAT rule could not be put back: %s' % err.msg)

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
        return [entry['path'] for entry in journal['files']]

    @staticmethod
    def find_entry(journal, path):
        """Return the journal entry of path, or None."""
        for entry in journal['files']:
            if same_path(entry['path'], path):
                return entry
        return None

    def record(self, journal, path, previous):
        """Copy the original of path into the state directory and list it in the journal (fsynced)."""
        self.make_state_dir()
        entry = dict(path=path, backup=None, mode=None, uid=None, gid=None)
        if previous is not None:
            backup = self.free_backup_path(journal)
            write_atomic(backup, previous.data, 0o600)
            entry.update(backup=backup, mode='%04o' % previous.mode, uid=previous.uid, gid=previous.gid)
        journal['files'].append(entry)
        self.write_journal(journal)

    def free_backup_path(self, journal):
        """Return a backup-<n> path in the state directory that the journal does not use yet."""
        used = set(entry['backup'] for entry in journal['files'])
        number = len(journal['files']) + 1
        while os.path.join(self.box.state_dir, 'backup-%d' % number) in used:
            number += 1
        return os.path.join(self.box.state_dir, 'backup-%d' % number)

    def abort(self, msg, unlisted=None, field=None):
        """Put back what this run staged, drop ``unlisted`` from the journal, and return the error to raise."""
        restored, failed = [], None
        forget = [unlisted] if unlisted else []
        for undo in reversed(self.undo):
            try:
                if undo.previous is None:
                    remove_file(undo.path)
                else:
                    write_atomic(undo.path, undo.previous.data, undo.previous.mode,
                                 (undo.previous.uid, undo.previous.gid))
            except OSError as exc:
                failed = 'Putting back %s failed too (%s): its original is kept in %s, listed in %s.' % (
                    undo.path, reason(exc), self.box.state_dir, self.journal_path)
                break
            restored.append(undo.path)
            if undo.new_entry:
                forget.append(undo.path)
        self.undo = []
        try:
            self.forget(forget)
        except OSError as exc:
            failed = (failed or '') + ' The journal %s could not be updated (%s).' % (self.journal_path, reason(exc))
        if failed:
            msg += ' ' + failed.strip()
        elif restored:
            msg += ' The files changed before it in this run were put back: %s.' % ', '.join(restored)
        else:
            msg += ' Nothing was changed.'
        return StarfaceError(msg, field=field, details=dict(restored_files=restored))

    def forget(self, paths):
        """Drop paths and their backups from the journal; remove the journal when it lists nothing."""
        journal = self.pending()
        if journal is None or not paths:
            return
        keep = []
        for entry in journal['files']:
            if any(same_path(entry['path'], path) for path in paths):
                if entry['backup']:
                    remove_file(entry['backup'])
            else:
                keep.append(entry)
        journal['files'] = keep
        if keep or journal.get('rules'):
            self.write_journal(journal)
        else:
            remove_file(self.journal_path)

    def backup_copies(self, paths):
        """Write a user-visible copy ``<path>.<YYYY-mm-dd@HH:MM:SS>~`` next to each existing file; return their paths.

        The copy has the file's mode and owner; copies of keys and keystores are 0600.
        """
        stamp = self.now().astimezone().strftime('%Y-%m-%d@%H:%M:%S')
        copies = []
        for path in paths:
            copy = '%s.%s~' % (path, stamp)
            try:
                current = read_state(path)
                if current is None:
                    continue
                mode = 0o600 if self.is_secret(path) else current.mode
                write_atomic(copy, current.data, mode, (current.uid, current.gid))
            except OSError as exc:
                raise StarfaceError('cannot write the backup copy %s: %s. Nothing was changed.' % (copy, reason(exc)),
                                    field='backup')
            copies.append(copy)
        return copies

    # Restart, verify, commit or roll back

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
        ``_probe.check_box``), computed from the files as they are when called; the default
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
        return [entry['path'] for entry in journal['files']]

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

    # Reload: a new keystore without a restart

    def reload_support(self):
        """Return what the box offers for a reload (_reload.ReloadSupport), read once per run."""
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

    def keep_failed(self, journal):
        """Copy the failed files (owner-only) to <state_dir>/failed-<time>/; return (directory or None, sentence)."""
        stamp = as_utc(self.now()).strftime('%Y%m%dT%H%M%SZ')
        base = os.path.join(self.box.state_dir, 'failed-%s' % stamp)
        directory, number = base, 1
        try:
            while os.path.exists(directory):
                number += 1
                directory = '%s-%d' % (base, number)
            os.mkdir(directory, 0o700)
            os.chmod(directory, 0o700)
            names = set()
            for entry in journal['files']:
                current = read_state(entry['path'])
                if current is None:
                    continue
                name = os.path.basename(entry['path'])
                if name in names:
                    name = '%d-%s' % (len(names) + 1, name)
                names.add(name)
                write_atomic(os.path.join(directory, name), current.data, 0o600)
        except OSError as exc:
            return None, 'The failed configuration could not be kept (%s).' % reason(exc)
        return directory, 'The failed configuration is kept in %s for inspection.' % directory

    def restore(self, journal):
        """Put every original listed in the journal back in place (a file that did not exist is removed), and its NAT rules."""
        self.restore_rules(journal)
        for entry in journal['files']:
            if entry['backup'] is None:
                remove_file(entry['path'])
                continue
            with open(entry['backup'], 'rb') as handle:
                data = handle.read()
            write_atomic(entry['path'], data, int(entry['mode'], 8), (entry['uid'], entry['gid']))

    def commit(self, journal):
        """Remove the journal, then the internal backups it lists."""
        try:
            remove_file(self.journal_path)
        except OSError as exc:
            raise StarfaceError('the change is in place, but the journal %s could not be removed (%s): remove it '
                                'by hand, or the next run restarts the web server again'
                                % (self.journal_path, reason(exc)), field='state_dir')
        fsync_directory(self.box.state_dir)
        for entry in journal['files']:
            if entry['backup']:
                try:
                    remove_file(entry['backup'])
                except OSError:
                    pass  # a leftover backup is harmless: the next journal overwrites it

    def rollback(self, restart=True, expected_fn=None):
        """Restore every changed original the journal lists; with restart, restart and verify the old state.

        Returns the paths restored ([] and no restart when no listed file differs from its original).

        Used for crash recovery on demand: it undoes whatever an earlier run left pending.
        When the old state does not come back, StarfaceError says so and the journal stays.
        """
        journal = self.settle()
        if journal is None:
            return []
        paths = [entry['path'] for entry in journal['files']]
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

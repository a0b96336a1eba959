# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The journal of a change: each staged file's original kept before it is replaced, until commit or roll back."""

from __future__ import annotations

import collections
import json
import os

from ansible_collections.telephony.starface.plugins.module_utils._appliance.command import run_with_deadline
from ansible_collections.telephony.starface.plugins.module_utils._change.files import (
    as_utc, fsync_directory, make_folders, read_state, read_text, reason, remove_file, remove_temporary_files,
    same_path, temporary_files, utc_now, write_atomic)
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError

JOURNAL_NAME = 'pending.json'
JOURNAL_VERSION = 1
SECRET_SUFFIXES = ('.keystore', '.jks', '.p12', '.pfx', '.key', '.pem')

Undo = collections.namedtuple('Undo', 'path previous new_entry')


class Journal:
    """What a change staged on the box, and how to undo it.

    Each staged file's original (bytes, mode, owner) is copied to ``<state_dir>/backup-<n>``
    and listed in the journal ``<state_dir>/pending.json`` before the file is replaced; NAT
    rules are listed with the rule before and after. A journal found at the start of a run means
    an earlier run stopped between writing and committing, or used ``restart: false``. Staging
    more files adds them to it (a file already listed keeps its first backup as the original).
    ``commit`` forgets the originals, ``restore`` puts them back. Activating the change (restart
    or reload, then verify) is ``Transaction``'s job. Nothing here logs or returns file contents.
    """

    def __init__(self, box, run_command=None, now=None):
        self.box = box
        # run_command(command, timeout) -> (rc, out, err), rc None when it ran past timeout.
        self.run_command = run_command or run_with_deadline
        self.now = now or utc_now
        self.journal_path = os.path.join(box.state_dir, JOURNAL_NAME)
        self.undo = []

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

    def listed(self, journal):
        """Return the paths of the box's files the journal lists, for results (not the collection's own files)."""
        return [entry['path'] for entry in journal['files'] if not self.is_own(entry['path'])]

    def pending_files(self):
        """Return the paths the journal lists: changed, or about to be, and not yet restarted and verified."""
        return self.listed(self.pending() or dict(files=[]))

    def changed_files(self):
        """Return the paths the journal lists whose file differs from its original (reads only)."""
        return [entry['path'] for entry in (self.pending() or {}).get('files', [])
                if not self.unchanged(entry) and not self.is_own(entry['path'])]

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

    def leftovers(self):
        """Return the temporary files killed runs left next to the files the modules write (reads only)."""
        return [path for directory, names in self._written_names() for path in temporary_files(directory, names)]

    def remove_leftovers(self):
        """Remove temporary files killed runs left next to the files the modules write; return their paths.

        Call this only holding the box's lock (see _change.lock.BoxLock).
        """
        return [path for directory, names in self._written_names() for path in remove_temporary_files(directory, names)]

    def _written_names(self):
        """Return (directory, file names or None for any) of everything the modules write, the state directory first."""
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
        return [(self.box.state_dir, None)] + [(directory, names) for directory, names in by_directory.items()
                                               if not same_path(directory, self.box.state_dir)]

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
        """Change one live NAT rule (see _appliance.nat.NatRules.apply), listed in the journal first for the rollback.

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
            if self.is_own(entry['path']) and entry['backup'] is not None and os.path.exists(entry['path']):
                # The change removed the pending key and request it consumed; a newer pair made since
                # (starface_csr while the change waited) is kept, not overwritten by the old one.
                continue
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

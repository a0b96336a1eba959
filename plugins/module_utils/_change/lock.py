# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One lock per box: a run that changes the box holds it from its first read to its commit or rollback."""

from __future__ import annotations

import datetime
import errno
import fcntl
import json
import os
import time

from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError

HOLDER_NAME = 'lock'
POLL_SECONDS = 0.1


def reason(exc):
    """Return the system's reason for an OSError without the errno noise."""
    return exc.strerror or str(exc) or exc.__class__.__name__


class BoxLock:
    """An exclusive flock(2) on the box's state directory, with a note of who holds it.

    The kernel drops the lock when its holder exits, however it ends, so a lock is never
    left behind by a dead run; the note (``<state_dir>/lock``: PID, module, since when) is
    only read to tell a waiting run who it waits for, and a stale one is overwritten. A state
    directory this lock had to create is removed again when it is still empty at release,
    so that a run that changed nothing leaves nothing.
    """

    def __init__(self, state_dir, timeout, holder, clock=None, sleep=None, now=None, parent_field='state_dir'):
        self.state_dir = state_dir
        self.parent_field = parent_field
        self.timeout = timeout
        self.holder = holder
        self.clock = clock or time.monotonic
        self.sleep = sleep or time.sleep
        self.now = now or (lambda: datetime.datetime.now(datetime.timezone.utc))
        self.note_path = os.path.join(state_dir, HOLDER_NAME)
        self.handle = None
        self.created = False

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc_info):
        self.release()

    def make_state_dir(self):
        """Create the owner-only state directory when it is missing (its parent must exist)."""
        if os.path.isdir(self.state_dir):
            return
        if os.path.lexists(self.state_dir) and not os.path.isdir(self.state_dir):
            raise StarfaceError('%s is not a directory: it cannot hold the lock and the journal of pending changes. '
                                'Nothing was changed.' % self.state_dir, field='state_dir')
        parent = os.path.dirname(os.path.abspath(self.state_dir))
        if not os.path.isdir(parent):
            raise StarfaceError('%s does not exist, so the state directory %s cannot be made. Nothing was changed.'
                                % (parent, self.state_dir), field=self.parent_field)
        try:
            os.mkdir(self.state_dir, 0o700)
            self.created = True
        except FileExistsError:
            pass  # another run made it at the same moment
        except OSError as exc:
            raise StarfaceError('cannot create the state directory %s to lock the box: %s. Nothing was changed.'
                                % (self.state_dir, reason(exc)), field='state_dir')

    def acquire(self):
        """Wait up to timeout seconds for the lock; raise StarfaceError naming its holder when it stays taken."""
        deadline = self.clock() + self.timeout
        while True:
            self.make_state_dir()
            handle = self.open_directory()
            if handle is None:
                continue  # the holder removed its empty state directory just now: make it again
            if self.try_lock(handle):
                if self.still_the_state_dir(handle):
                    self.handle = handle
                    self.write_note()
                    return
                # The directory was removed (an earlier holder's empty one) and made again: lock the new one.
                fcntl.flock(handle, fcntl.LOCK_UN)
                os.close(handle)
                continue
            os.close(handle)
            if self.clock() >= deadline:
                raise StarfaceError('another run is changing this box: %s. Waited %d s for it (lock_timeout). '
                                    'Nothing was changed.' % (self.describe_holder(), self.timeout),
                                    field='lock_timeout')
            self.sleep(POLL_SECONDS)

    def open_directory(self):
        """Open the state directory for flock (not inherited by the commands this run starts)."""
        try:
            return os.open(self.state_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StarfaceError('cannot open the state directory %s to lock the box: %s. Nothing was changed.'
                                % (self.state_dir, reason(exc)), field='state_dir')

    def try_lock(self, handle):
        """Take the lock without waiting; return whether it was free."""
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                return False
            os.close(handle)
            raise StarfaceError('cannot lock the state directory %s: %s. Put state_dir on a local file system. '
                                'Nothing was changed.' % (self.state_dir, reason(exc)), field='state_dir')
        return True

    def still_the_state_dir(self, handle):
        """Return whether the locked directory is still the one at state_dir's path."""
        try:
            path_info = os.stat(self.state_dir)
        except FileNotFoundError:
            return False
        locked = os.fstat(handle)
        return (locked.st_dev, locked.st_ino) == (path_info.st_dev, path_info.st_ino)

    def write_note(self):
        """Note who holds the lock; a full disk only costs the note, not the lock (a reader copes with half a note)."""
        note = dict(pid=os.getpid(), module=self.holder, since=self.now().strftime('%Y-%m-%dT%H:%M:%SZ'))
        try:
            handle = os.open(self.note_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        except OSError:
            return
        try:
            os.write(handle, json.dumps(note).encode('utf-8'))
        except OSError:
            pass
        finally:
            os.close(handle)

    def describe_holder(self):
        """Return who holds the lock, from its note."""
        try:
            with open(self.note_path) as stream:
                note = json.load(stream)
            return 'PID %s (%s) holds the lock of %s since %s' % (note['pid'], note['module'], self.state_dir,
                                                                  note['since'])
        except (OSError, ValueError, KeyError, TypeError):
            return 'a run holds the lock of %s' % self.state_dir

    def release(self):
        """Remove the note, drop the lock, and remove a state directory this lock made and nothing else used."""
        if self.handle is None:
            return
        try:
            os.remove(self.note_path)
        except OSError:
            pass
        if self.created:
            try:
                os.rmdir(self.state_dir)
            except OSError:
                pass  # not empty: the run kept something there
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        os.close(self.handle)
        self.handle = None

# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Files on the box, written so that a crash never leaves half a file: atomic writes, states, temporary names."""

from __future__ import annotations

import collections
import datetime
import os
import re
import stat
import tempfile

from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError

FileState = collections.namedtuple('FileState', 'data mode uid gid')


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


def temporary_files(directory, names=None):
    """Return what write_atomic left in directory for these file names (any name: names None), without removing it."""
    patterns = [temporary_name_re(name) for name in names] if names is not None \
        else [re.compile(r'\..+\.[a-z0-9_]{8}\.tmp\Z'), re.compile(r'\.tmp-[a-z0-9_]{8}\Z')]
    try:
        entries = os.listdir(directory)
    except OSError:
        return []
    paths = (os.path.join(directory, entry) for entry in sorted(entries)
             if any(pattern.match(entry) for pattern in patterns))
    return [path for path in paths if os.path.isfile(path) and not os.path.islink(path)]


def remove_temporary_files(directory, names=None):
    """Remove what write_atomic left in directory for these file names (any name: names None); return the paths.

    Only call this holding the box's lock: then no run of ours is writing, and such a file is
    what a killed run left behind (it may be a copy of key material).
    """
    removed = []
    for path in temporary_files(directory, names):
        try:
            os.remove(path)
        except OSError:
            continue
        removed.append(path)
    return removed


def read_text(path, field):
    """Return a configuration file's text, or raise StarfaceError naming the option."""
    try:
        with open(path, 'rb') as handle:
            return handle.read().decode('utf-8')
    except OSError as exc:
        raise StarfaceError('cannot read %s: %s' % (path, reason(exc)), field=field)
    except UnicodeDecodeError:
        raise StarfaceError('%s is not UTF-8 text' % path, field=field)

# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The box's lock: exclusive between processes, named when it stays taken, free when its holder dies."""
from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import textwrap

import pytest

from ansible_collections.telephony.starface.plugins.module_utils._change.lock import BoxLock
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError

NOW = datetime.datetime(2026, 12, 2, 8, 0, 0, tzinfo=datetime.timezone.utc)

HOLD = textwrap.dedent('''
    import sys, time
    from ansible_collections.telephony.starface.plugins.module_utils._change.lock import BoxLock
    lock = BoxLock(sys.argv[1], 5, 'starface_webserver')
    lock.acquire()
    print('held', flush=True)
    sys.stdin.read()
''')


class Clock:
    """A clock that moves on by each sleep."""

    def __init__(self):
        self.time = 0.0

    def __call__(self):
        return self.time

    def sleep(self, seconds):
        self.time += seconds


@pytest.fixture(name='holder')
def holder_fixture(tmp_path):
    """Start a process that holds the lock of tmp_path/state until its stdin closes (or it is killed)."""
    state = tmp_path / 'state'
    process = subprocess.Popen([sys.executable, '-c', HOLD, str(state)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert process.stdout.readline() == b'held\n'
    yield process, state
    if process.poll() is None:
        process.kill()
    process.wait()


def test_a_second_run_is_refused_after_the_timeout_with_the_holder_named(holder):
    process, state = holder
    clock = Clock()
    lock = BoxLock(str(state), 3, 'starface_csr', clock=clock, sleep=clock.sleep)
    with pytest.raises(StarfaceError) as caught:
        lock.acquire()
    note = json.loads((state / 'lock').read_text())
    assert note['pid'] == process.pid and note['module'] == 'starface_webserver'
    assert str(caught.value) == (
        'lock_timeout: another run is changing this box: PID %d (starface_webserver) holds the lock of %s since %s. '
        'Waited 3 s for it (lock_timeout). Nothing was changed.' % (process.pid, state, note['since']))
    assert clock.time >= 3


def test_a_second_run_takes_the_lock_when_the_first_ends(holder):
    process, state = holder
    process.stdin.close()
    process.wait()
    with BoxLock(str(state), 10, 'starface_csr', now=lambda: NOW):
        note = json.loads((state / 'lock').read_text())
        assert note == dict(pid=os.getpid(), module='starface_csr', since='2026-12-02T08:00:00Z')
    assert not (state / 'lock').exists()


def test_a_killed_holder_leaves_no_lock_and_its_note_is_overwritten(holder):
    process, state = holder
    process.kill()
    process.wait()
    assert json.loads((state / 'lock').read_text())['pid'] == process.pid
    clock = Clock()
    with BoxLock(str(state), 0, 'starface_restart', clock=clock, sleep=clock.sleep):
        assert json.loads((state / 'lock').read_text())['pid'] == os.getpid()
    assert clock.time == 0


def test_a_state_dir_made_for_the_lock_alone_is_removed_and_one_in_use_is_kept(tmp_path):
    state = tmp_path / 'state'
    with BoxLock(str(state), 0, 'starface_webserver'):
        assert oct(state.stat().st_mode & 0o777) == '0o700'
    assert not state.exists()
    with BoxLock(str(state), 0, 'starface_webserver'):
        (state / 'pending.json').write_text('{}')
    assert sorted(os.listdir(str(state))) == ['pending.json']


def test_a_missing_parent_is_refused_and_not_made(tmp_path):
    state = tmp_path / 'no-tomcat' / '.telephony.starface'
    with pytest.raises(StarfaceError) as caught:
        BoxLock(str(state), 0, 'starface_webserver', parent_field='tomcat_base').acquire()
    assert caught.value.field == 'tomcat_base'
    assert '%s does not exist, so the state directory %s cannot be made' % (state.parent, state) in caught.value.msg
    assert not state.parent.exists()


def test_a_state_dir_that_is_a_file_is_refused_and_left_alone(tmp_path):
    state = tmp_path / 'state'
    state.write_text('not a directory')
    with pytest.raises(StarfaceError) as caught:
        BoxLock(str(state), 0, 'starface_webserver').acquire()
    assert caught.value.field == 'state_dir'
    assert '%s is not a directory' % state in caught.value.msg
    assert state.read_text() == 'not a directory'


def test_the_lock_is_not_inherited_by_commands_the_run_starts(tmp_path):
    state = tmp_path / 'state'
    with BoxLock(str(state), 0, 'starface_webserver') as lock:
        assert os.readlink('/proc/self/fd/%d' % lock.handle) == str(state)
        seen = subprocess.run(['readlink', '/proc/self/fd/%d' % lock.handle], stdout=subprocess.PIPE, check=False,
                              close_fds=False)
        assert seen.stdout.decode().strip() != str(state)

# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The restart command's runner: exit codes, output, and a deadline that ends the whole process group."""
from __future__ import annotations

import os
import time
import types

import pytest

from ansible_collections.telephony.starface.plugins.module_utils._appliance import command
from ansible_collections.telephony.starface.plugins.module_utils._appliance.command import run_with_deadline


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    with open('/proc/%d/stat' % pid) as handle:
        return handle.read().split(') ')[-1][0] != 'Z'


def test_exit_code_and_output():
    assert run_with_deadline('echo out; echo err >&2; exit 3', 10) == (3, 'out\n', 'err\n')


def test_success():
    assert run_with_deadline('true', 10) == (0, '', '')


def test_a_hanging_command_is_ended_with_what_it_started(tmp_path):
    pid_file = tmp_path / 'child.pid'
    started = time.monotonic()
    rc, out, err = run_with_deadline('echo waiting; sleep 300 & echo $! > %s; wait' % pid_file, 1)
    took = time.monotonic() - started
    assert rc is None
    assert out == 'waiting\n' and err == ''
    assert took < 10, took
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child), 'the command\'s background child %d still runs' % child


def test_a_command_that_ignores_sigterm_is_killed():
    started = time.monotonic()
    rc, dummy, dummy = run_with_deadline("trap '' TERM; sleep 300 & wait; sleep 300", 1)
    assert rc is None
    assert time.monotonic() - started < 15


def test_a_command_that_leaves_a_daemon_with_its_output_attached_is_done_when_it_exits(tmp_path):
    # Like `catalina.sh start`: the shell exits 0 and the daemon it started keeps stdout and
    # stderr open. The command is done; the daemon is not ended (it is the new web server).
    pid_file = tmp_path / 'daemon.pid'
    rc, out, dummy = run_with_deadline('sleep 60 & echo $! > %s; echo started' % pid_file, 30)
    daemon = int(pid_file.read_text())
    try:
        assert rc == 0
        assert out == 'started\n'
        assert alive(daemon), 'the daemon the command left running was ended'
    finally:
        os.kill(daemon, 9)


@pytest.mark.parametrize('python', [(3, 8), (3, 11)], ids=['preexec', 'popen-user'])
def test_a_program_runs_as_the_user_and_group_given_without_other_groups(monkeypatch, python):
    """As the reload client runs as Tomcat's user: Python 3.9+ switches in Popen, 3.8 with a preexec function."""
    if os.geteuid() != 0:
        pytest.fail('this test switches users: run the unit tests as root (make units)')
    monkeypatch.setattr(command, 'sys', types.SimpleNamespace(version_info=python))
    rc, out, err = command.run_program(['sh', '-c', 'id -u; id -g; id -G'], 10, uid=65534, gid=65534,
                                       env=dict(PATH='/usr/bin:/bin'))
    assert (rc, out.split(), err) == (0, ['65534', '65534', '65534'], '')


def test_a_program_runs_as_the_caller_when_no_user_is_given():
    rc, out, dummy = command.run_program(['id', '-u'], 10, env=dict(PATH='/usr/bin:/bin'))
    assert (rc, out.strip()) == (0, str(os.geteuid()))

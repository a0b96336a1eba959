# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Run the box's restart command under a deadline, in a process group of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time

# After SIGTERM to the group, how long its processes get to end before SIGKILL.
TERM_GRACE = 5.0


def _read(stream):
    stream.seek(0)
    return stream.read().decode('utf-8', 'replace')


def _end_group(process):
    """SIGTERM the command's process group; SIGKILL whatever of it is left after TERM_GRACE seconds."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except OSError:
        return  # the group is gone
    deadline = time.monotonic() + TERM_GRACE
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        pass  # nothing of the group was left
    process.wait()


def _run(args, timeout, **options):
    """Start args in a new session with its output in temporary files; return (rc or None, stdout, stderr)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True,
                                   **options)
        try:
            rc = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _end_group(process)
            rc = None
        return rc, _read(out), _read(err)


def run_with_deadline(command, timeout):
    """Run a shell command; return (rc, stdout, stderr), rc None when it ran past timeout seconds.

    The command runs in a new session, so that on a time-out its whole process group (the shell
    and what it started, a hanging systemctl for example) is ended, not only the shell. Its
    output goes to unnamed temporary files, not pipes: a restart command that leaves a daemon
    running with its output attached (``catalina.sh start``) is done when the shell exits.
    """
    return _run(command, timeout, shell=True)


def _as_user(uid, gid):
    """Return the Popen options that make the child run as uid:gid with no supplementary groups.

    Python 3.9 and later switch in the child without running Python code there (safe where the
    module shares its process with threads, as under Mitogen); 3.8 needs a preexec function.
    """
    if sys.version_info >= (3, 9):
        return dict(user=uid, group=gid, extra_groups=[])

    def drop():
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    return dict(preexec_fn=drop)


def run_program(argv, timeout, uid=None, gid=None, env=None, cwd='/'):
    """Run a program (no shell), as uid:gid when given; return (rc, stdout, stderr) like run_with_deadline.

    rc is None when it ran past timeout seconds; its whole process group has then been ended.
    """
    switch = _as_user(uid, gid) if uid is not None and uid != os.geteuid() else {}
    return _run(argv, timeout, env=env, cwd=cwd, **switch)

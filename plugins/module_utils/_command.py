# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Run the box's restart command under a deadline, in a process group of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import time

# After SIGTERM to the group, how long its processes get to end before SIGKILL, and how long
# the output pipes may stay open after that (a process that left the group may hold them).
TERM_GRACE = 5.0
PIPE_GRACE = 2.0


def _decode(data):
    return (data or b'').decode('utf-8', 'replace')


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


def run_with_deadline(command, timeout):
    """Run a shell command; return (rc, stdout, stderr), rc None when it ran past timeout seconds.

    The command runs in a new session, so that on a time-out its whole process group (the shell
    and what it started, a hanging systemctl for example) is ended, not only the shell.
    """
    process = subprocess.Popen(command, shell=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _end_group(process)
        try:
            out, err = process.communicate(timeout=PIPE_GRACE)
        except subprocess.TimeoutExpired:
            # Something outside the group still holds the pipes: stop reading.
            process.stdout.close()
            process.stderr.close()
            process.wait()
            out, err = b'', b''
        return None, _decode(out), _decode(err)
    return process.returncode, _decode(out), _decode(err)

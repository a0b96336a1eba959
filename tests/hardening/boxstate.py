# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a lab box holds on disk, to prove a failed run left it byte for byte as it was."""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shlex
import signal
import stat
import sys
from pathlib import Path

from integration.runner import file_hashes

STATE_DIR_NAME = '.telephony.starface'
KEY_BLOCK_RE = re.compile(r'-----BEGIN [A-Z ]*PRIVATE KEY-----(.*?)-----END [A-Z ]*PRIVATE KEY-----', re.S)
MIN_SECRET_LINE = 16


def state_dir(box) -> Path:
    """The collection's state directory on the box (the modules' default)."""
    return box.base / STATE_DIR_NAME


def tree(directory: Path):
    """Return {relative path: sha256 (files) or 'dir'} under directory, or None when it does not exist."""
    if not directory.is_dir():
        return None
    listing = {}
    for path in sorted(directory.rglob('*')):
        name = str(path.relative_to(directory))
        listing[name] = 'dir' if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return listing


def snapshot(box) -> dict:
    """Hashes of every file the modules may change, and the state directory's tree."""
    files = file_hashes(box.server_xml, box.web_xml, box.rewrite_config, box.keystore, box.key_pem)
    return dict(files=files, state_dir=tree(state_dir(box)))


def ignoring_empty_state_dir(state: dict) -> dict:
    """A snapshot where an empty state directory counts as none (a run may create it before a write fails)."""
    return dict(state, state_dir=state['state_dir'] or None)


@contextlib.contextmanager
def replaced(path: Path, data: bytes):
    """Put data into path for the duration of the block, then restore the file (or remove it if it was new)."""
    original = path.read_bytes() if path.exists() else None
    made_parent = not path.parent.exists()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_bytes(data)
    try:
        yield path
    finally:
        if original is None:
            path.unlink()
            if made_parent:
                path.parent.rmdir()
        else:
            path.write_bytes(original)


def unhandled(run) -> bool:
    """Whether a failed run ended in an unhandled exception rather than the module's own error message."""
    return 'Module failed:' in run.msg or 'Traceback (most recent call last)' in run.output


def key_lines(*paths) -> set:
    """The base64 lines of every private key PEM block in these files (missing files are skipped)."""
    lines = set()
    for path in paths:
        path = Path(path)
        if not path.is_file():
            continue
        for block in KEY_BLOCK_RE.findall(path.read_text(encoding='ascii', errors='replace')):
            lines.update(line.strip() for line in block.splitlines() if len(line.strip()) >= MIN_SECRET_LINE)
    return lines


def mode_and_owner(path) -> tuple:
    """Return (permission bits, uid, gid) of a file or directory."""
    info = os.stat(str(path))
    return stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid


RESTART_WRAPPER = '''#!/bin/sh
# Counts the restarts of a lab box (one line each); the first {fail_first} fail without restarting.
echo restart >> {count_file}
if [ "$(wc -l < {count_file})" -le {fail_first} ]; then
    echo 'simulated: the web server failed to start' >&2
    exit 1
fi
exec {command}
'''


class RestartCounter:
    """A restart command for a box that counts its calls, and can fail the first ones (exit 1, no restart)."""

    def __init__(self, box, directory: Path, fail_first: int = 0):
        self.count_file = Path(directory) / 'restarts.log'
        self.command = Path(directory) / 'counting-restart'
        self.command.write_text(RESTART_WRAPPER.format(count_file=shlex.quote(str(self.count_file)),
                                                       fail_first=int(fail_first),
                                                       command=shlex.quote(str(box.restart_command))))
        self.command.chmod(0o755)

    @property
    def count(self) -> int:
        """How often the command ran."""
        if not self.count_file.exists():
            return 0
        return len(self.count_file.read_text().splitlines())


PORT_GRABBING_RESTART = """#!/bin/sh
# Restart command of a lab box whose port {address}:{port} another program takes just before the
# first restart; the restart then returns at once, as systemctl does, so that only Tomcat's log
# can tell why the box does not come up. Each call's time is appended to {calls}.
date +%s.%N >> {calls}
if [ ! -e {pid_file} ]; then
    {python} -c 'import socket, time; s = socket.socket(); s.bind(("{address}", {port})); s.listen(); \\
open("{pid_file}.ready", "w").write("ready"); time.sleep(600)' >/dev/null 2>&1 &
    echo $! > {pid_file}
    while [ ! -e {pid_file}.ready ]; do sleep 0.1; done
fi
exec {restart} --no-wait
"""


class PortGrabbingRestart:
    """A restart command that lets another program take a port first (see PORT_GRABBING_RESTART)."""

    def __init__(self, box, port: int, directory: Path):
        directory = Path(directory)
        self.pid_file = directory / 'grabber.pid'
        self.calls_file = directory / 'restart-calls.log'
        self.command = directory / 'restart-after-the-port-is-taken'
        self.command.write_text(PORT_GRABBING_RESTART.format(
            address=box.address, port=int(port), pid_file=shlex.quote(str(self.pid_file)),
            calls=shlex.quote(str(self.calls_file)), python=shlex.quote(sys.executable),
            restart=shlex.quote(str(box.restart_command))))
        self.command.chmod(0o755)

    def calls(self) -> list:
        """When the command ran (time.time() seconds), in order."""
        if not self.calls_file.exists():
            return []
        return [float(line) for line in self.calls_file.read_text().split()]

    def release(self) -> None:
        """Stop the program that holds the port."""
        if self.pid_file.exists():
            try:
                os.kill(int(self.pid_file.read_text()), signal.SIGTERM)
            except ProcessLookupError:
                pass

# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Lab boxes for pytest, at every test level: free loopback (or NAT) addresses, and a factory that destroys its boxes."""
from __future__ import annotations

import errno
import fcntl
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

from lab.starface_lab import CATALINA_HOME, PROVISIONING_HTTP_PORT, PROVISIONING_HTTPS_PORT, LabBox, LabError

ADDRESS_RANGE = range(100, 251)
LOCK_DIR = Path(tempfile.gettempdir()) / 'starface-lab-addresses'


def ports_free(address: str, ports: list) -> bool:
    """True if nothing holds any of the ports on the address (bound as Tomcat binds: SO_REUSEADDR)."""
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((address, port))
            except PermissionError:
                pytest.fail('a lab box binds port {0}: run the lab tests as root, or deselect them with '
                            '-m "not lab"'.format(port))
            except OSError as err:
                if err.errno != errno.EADDRINUSE:
                    raise
                return False
    return True


class AddressLease:
    """Loopback addresses held through per-address lock files, so parallel pytest workers never share one."""

    def __init__(self):
        self._locks = []

    def _lock(self, address: str):
        """Return the open lock file of the address when this process got it, else None."""
        LOCK_DIR.mkdir(mode=0o1777, exist_ok=True)
        lock = open(str(LOCK_DIR / (address + '.lock')), 'a', encoding='utf-8')  # pylint: disable=consider-using-with
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            return None
        return lock

    def take(self, ports: list) -> str:
        """Lock a free address of 127.0.0.100-250 whose ports nothing holds, and return it."""
        for last in ADDRESS_RANGE:
            address = '127.0.0.{0}'.format(last)
            lock = self._lock(address)
            if lock is None:
                continue
            if ports_free(address, ports):
                self._locks.append(lock)
                return address
            lock.close()
        raise LabError('no free loopback address in 127.0.0.{0}-{1}: stop leftover lab boxes '
                       '(starface_lab.py stop)'.format(ADDRESS_RANGE[0], ADDRESS_RANGE[-1]))

    def take_nat(self) -> str:
        """Lock a free NAT box address 10.88.N.2 (N 1-254) and return it; its namespace is the box's own."""
        for number in range(1, 255):
            address = '10.88.{0}.2'.format(number)
            lock = self._lock(address)
            if lock is not None:
                self._locks.append(lock)
                return address
        raise LabError('no free NAT box address in 10.88.1-254.2: destroy leftover lab boxes')

    def release(self) -> None:
        """Give every address back."""
        for lock in self._locks:
            lock.close()
        self._locks = []


def destroy_boxes(boxes: list) -> list:
    """Destroy each box (even after another one failed to go); return the errors."""
    errors = []
    for box in boxes:
        try:
            box.destroy()
        except LabError as err:
            errors.append(str(err))
    return errors


class BoxFactory:
    """Makes lab boxes below one folder, each on an address of its own; ``destroy_all`` ends them and says what failed."""

    def __init__(self, base: Path):
        if not (CATALINA_HOME / 'bin' / 'catalina.sh').is_file():
            pytest.fail('Apache Tomcat 10.1 is not installed in {0}: apt-get install tomcat10 openjdk-17-jdk-headless '
                        '(or deselect the lab tests with -m "not lab")'.format(CATALINA_HOME))
        self.base = base
        self.lease = AddressLease()
        self.boxes = []
        # Tomcat running as another user (user=..., every NAT box) cannot reach pytest's owner-only tmp_path.
        self.shared = []

    def make(self, http_port: int = 80, https_port: int = 443, start: bool = True, **options) -> LabBox:
        """Create a box (started unless start=False) with the lab tool's create options."""
        parent = self.base
        nat = options.get('layout') == 'nat'
        if options.get('user') or nat:
            parent = Path(tempfile.mkdtemp(prefix='starface-lab-user-'))
            parent.chmod(0o755)
            self.shared.append(parent)
        box = LabBox(parent / 'box-{0:02d}'.format(len(self.boxes) + 1))
        self.boxes.append(box)
        ports = [http_port, https_port]
        if options.get('provisioning', True):
            ports += [PROVISIONING_HTTP_PORT, PROVISIONING_HTTPS_PORT]
        address = self.lease.take_nat() if nat else self.lease.take(ports)
        options.setdefault('server_name', 'pbx-{0}.lab.test'.format(address.split('.')[2 if nat else 3]))
        box.create(address, http_port, https_port, **options)
        if start:
            box.start()
        return box

    def destroy_all(self) -> None:
        """Destroy every box made, give the addresses back; fail the test naming the boxes that would not go."""
        errors = destroy_boxes(self.boxes)
        self.lease.release()
        for parent in self.shared:
            shutil.rmtree(str(parent), ignore_errors=True)
        if errors:
            pytest.fail('could not destroy lab boxes: {0}'.format('; '.join(errors)))

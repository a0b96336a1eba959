# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Who holds a TCP port on the box and whether Tomcat's user may bind it, read from /proc before anything is written."""

from __future__ import annotations

import ipaddress
import os
import pwd
import re
import sys
from collections import namedtuple

from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError

LISTEN = '0A'
CAP_NET_BIND_SERVICE = 10
DEFAULT_UNPRIVILEGED_PORT_START = 1024
SOCKET_LINK_RE = re.compile(r'^socket:\[(\d+)\]$')

Listener = namedtuple('Listener', 'address port inode')
Process = namedtuple('Process', 'pid uid name command executable')


def hex_address(text, byteorder=sys.byteorder):
    """Return the IP address of a /proc/net/tcp{,6} address field (32-bit words in host byte order), as a string."""
    raw = bytes.fromhex(text)
    if byteorder == 'big':
        words = raw
    else:
        words = b''.join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    if len(words) == 4:
        return str(ipaddress.IPv4Address(words))
    address = ipaddress.IPv6Address(words)
    return str(address.ipv4_mapped or address)


def is_any(address):
    """Return whether an address means every address of the box."""
    return address in (None, '', '0.0.0.0', '::')


class ProcView:
    """The parts of /proc these checks read; ``root`` points elsewhere in tests."""

    def __init__(self, root='/proc'):
        self.root = root

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def read(self, *parts):
        try:
            with open(self.path(*parts), 'rb') as handle:
                return handle.read().decode('utf-8', 'replace')
        except OSError:
            return None

    def listeners(self):
        """Return the TCP sockets in LISTEN state of this network namespace."""
        found = []
        for name in ('tcp', 'tcp6'):
            text = self.read('net', name) or ''
            for line in text.splitlines()[1:]:
                fields = line.split()
                if len(fields) < 10 or fields[3] != LISTEN:
                    continue
                address, port = fields[1].rsplit(':', 1)
                found.append(Listener(hex_address(address), int(port, 16), fields[9]))
        return found

    def processes(self):
        """Return the PIDs of /proc."""
        try:
            return sorted(int(name) for name in os.listdir(self.root) if name.isdigit())
        except OSError:
            return []

    def process(self, pid):
        """Return a Process (uid is the effective one), or None when it is gone."""
        status = self.read(str(pid), 'status')
        if status is None:
            return None
        fields = dict(line.split(':', 1) for line in status.splitlines() if ':' in line)
        try:
            uid = int(fields['Uid'].split()[1])
        except (KeyError, IndexError, ValueError):
            return None
        command = (self.read(str(pid), 'cmdline') or '').replace('\0', ' ').strip()
        try:
            executable = os.readlink(self.path(str(pid), 'exe'))
        except OSError:
            executable = None
        return Process(pid, uid, fields.get('Name', '').strip(), command, executable)

    def capabilities(self, pid):
        """Return the effective capability bits of a process (0 when unknown)."""
        status = self.read(str(pid), 'status') or ''
        for line in status.splitlines():
            if line.startswith('CapEff:'):
                return int(line.split(':', 1)[1].strip(), 16)
        return 0

    def socket_owners(self, inodes):
        """Return {socket inode: set of PIDs} for the sockets among inodes that processes of /proc hold."""
        owners = {}
        for pid in self.processes():
            directory = self.path(str(pid), 'fd')
            try:
                names = os.listdir(directory)
            except OSError:
                continue
            for name in names:
                try:
                    link = os.readlink(os.path.join(directory, name))
                except OSError:
                    continue
                match = SOCKET_LINK_RE.match(link)
                if match and match.group(1) in inodes:
                    owners.setdefault(match.group(1), set()).add(pid)
        return owners

    def unprivileged_port_start(self):
        """Return net.ipv4.ip_unprivileged_port_start (1024 on kernels without it)."""
        text = self.read('sys', 'net', 'ipv4', 'ip_unprivileged_port_start')
        try:
            return int(text.strip())
        except (AttributeError, ValueError):
            return DEFAULT_UNPRIVILEGED_PORT_START

    def tomcat_processes(self, tomcat_base):
        """Return the running JVMs whose catalina.base is tomcat_base."""
        wanted = os.path.realpath(tomcat_base)
        found = []
        for pid in self.processes():
            info = self.process(pid)
            if info is None:
                continue
            for word in info.command.split():
                if word.startswith('-Dcatalina.base=') and os.path.realpath(word.split('=', 1)[1]) == wanted:
                    found.append(info)
                    break
        return found


def conflicts(listener, address, port):
    """Return whether a listening socket keeps Tomcat from binding address:port."""
    if listener.port != port:
        return False
    return is_any(address) or is_any(listener.address) or listener.address == address


def describe(process):
    """Return 'PID n (name, executable)' for a message: not its command line, which may hold a secret."""
    if process.executable:
        return 'PID %d (%s, %s)' % (process.pid, process.name, process.executable)
    return 'PID %d (%s)' % (process.pid, process.name)


def may_bind_low_ports(proc, process):
    """Return whether a process may bind ports below ip_unprivileged_port_start: root or CAP_NET_BIND_SERVICE."""
    return process.uid == 0 or bool(proc.capabilities(process.pid) & (1 << CAP_NET_BIND_SERVICE))


def tomcat_facts(tomcat_base, proc=None):
    """Return what starface_webserver_info reports of the running Tomcat: PID, user, whether it may bind low ports."""
    proc = proc or ProcView()
    running = proc.tomcat_processes(tomcat_base)
    facts = dict(running=bool(running), pid=None, user=None, uid=None, may_bind_low_ports=None,
                 unprivileged_port_start=proc.unprivileged_port_start())
    if running:
        process = running[0]
        try:
            user = pwd.getpwuid(process.uid).pw_name
        except KeyError:
            user = None
        facts.update(pid=process.pid, user=user, uid=process.uid, may_bind_low_ports=may_bind_low_ports(proc, process))
    return facts


def user_name(uid):
    """Return the user name of uid, or the uid when it has none."""
    try:
        return '%s (uid %d)' % (pwd.getpwuid(uid).pw_name, uid)
    except KeyError:
        return 'uid %d' % uid


class PortCheck:
    """Refuse, before anything is written, a connector port that Tomcat will not be able to open."""

    def __init__(self, tomcat_base, proc=None):
        self.proc = proc or ProcView()
        self.tomcat = self.proc.tomcat_processes(tomcat_base)

    def check(self, field, address, port):
        """Raise StarfaceError naming ``field`` when port (on address, None for every address) cannot be bound."""
        self.check_privilege(field, port)
        self.check_free(field, address, port)

    def check_privilege(self, field, port):
        """Refuse a port below ip_unprivileged_port_start that the running Tomcat's user may not bind."""
        start = self.proc.unprivileged_port_start()
        if port >= start or not self.tomcat:
            return  # Tomcat not running: its user is not known here.
        process = self.tomcat[0]
        if may_bind_low_ports(self.proc, process):
            return
        raise StarfaceError(
            'Tomcat runs as %s, which may not open port %d: ports below %d (net.ipv4.ip_unprivileged_port_start) '
            'need root or CAP_NET_BIND_SERVICE. Keep the connector on a port of %d or above and send the public '
            'port to it with a NAT rule, as STARFACE does (80 to 8080, 443 to 8181). Nothing was changed.'
            % (user_name(process.uid), port, start, start), field=field)

    def check_free(self, field, address, port, consequence='Tomcat could not open it'):
        """Refuse a port another program listens on (this box's Tomcat itself does not count)."""
        held = [listener for listener in self.proc.listeners() if conflicts(listener, address, port)]
        if not held:
            return
        owners = self.proc.socket_owners(set(listener.inode for listener in held))
        tomcat = set(process.pid for process in self.tomcat)
        # A socket Tomcat holds (with its wrapper, say) is let go when it restarts.
        others = [owners.get(listener.inode, set()) for listener in held
                  if not owners.get(listener.inode, set()) & tomcat]
        if not others:
            return
        where = 'port %d%s' % (port, '' if is_any(address) else ' on %s' % address)
        named = [min(pids) for pids in others if pids]
        pid = min(named) if named else None
        process = self.proc.process(pid) if pid is not None else None
        holder = describe(process) if process else 'a program this run cannot name (not visible in /proc)'
        raise StarfaceError('%s is in use by %s: %s. Stop that program or choose another port. Nothing was '
                            'changed.' % (where, holder, consequence), field=field)

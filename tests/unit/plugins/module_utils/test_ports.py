# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Port checks before a write: who holds a port, whether Tomcat's user may bind it (a /proc laid out in tmp_path)."""
from __future__ import annotations

import os
import socket

import pytest

from ansible_collections.telephony.starface.plugins.module_utils._appliance.ports import PortCheck, ProcView, hex_address, tomcat_facts
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError
from ansible_collections.telephony.starface.plugins.module_utils._reconcile.webserver import new_ports

HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n'
BASE = '/opt/tomcat'
NO_CAPS = '0000000000000000'
BIND_CAP = '0000000000000400'


class FakeProc:
    """A /proc tree: listening sockets, processes with their sockets, the unprivileged port start."""

    def __init__(self, root):
        self.root = root
        (root / 'net').mkdir(parents=True)
        (root / 'sys' / 'net' / 'ipv4').mkdir(parents=True)
        (root / 'sys' / 'net' / 'ipv4' / 'ip_unprivileged_port_start').write_text('1024\n')
        self.lines = {'tcp': [], 'tcp6': []}
        self.write_tables()

    def write_tables(self):
        for name, lines in self.lines.items():
            (self.root / 'net' / name).write_text(HEADER + ''.join(lines))

    def listen(self, address_hex, port, inode, table='tcp', state='0A'):
        line = '   0: %s:%04X %s:0000 %s 00000000:00000000 00:00000000 00000000     0        0 %s 1 0 100 0 0 10 0\n' % (
            address_hex, port, '0' * len(address_hex), state, inode)
        self.lines[table].append(line)
        self.write_tables()

    def process(self, pid, name, command, uid=0, caps=NO_CAPS, sockets=()):
        directory = self.root / str(pid)
        (directory / 'fd').mkdir(parents=True)
        uids = '\t'.join([str(uid)] * 4)
        (directory / 'status').write_text('Name:\t%s\nUid:\t%s\nCapEff:\t%s\n' % (name, uids, caps))
        (directory / 'cmdline').write_text('\0'.join(command) + '\0')
        os.symlink('/usr/bin/' + name, str(directory / 'exe'))
        for number, inode in enumerate(sockets, start=3):
            os.symlink('socket:[%s]' % inode, str(directory / 'fd' / str(number)))

    def view(self):
        return ProcView(str(self.root))


@pytest.fixture(name='proc')
def proc_fixture(tmp_path):
    return FakeProc(tmp_path / 'proc')


def tomcat(proc, uid=0, caps=NO_CAPS, sockets=()):
    proc.process(700, 'java', ['/usr/bin/java', '-Dcatalina.base=%s' % BASE, 'org.apache.catalina.startup.Bootstrap',
                               'start'], uid=uid, caps=caps, sockets=sockets)


@pytest.mark.parametrize('text, expected', [
    ('6400007F', '127.0.0.100'),
    ('00000000', '0.0.0.0'),
    ('00000000000000000000000000000000', '::'),
    ('0000000000000000FFFF00006400007F', '127.0.0.100'),
    ('00000000000000000000000001000000', '::1'),
])
def test_proc_net_addresses_are_read_in_host_byte_order(text, expected):
    assert hex_address(text, 'little') == expected


def test_on_a_big_endian_box_the_words_are_read_as_they_are():
    assert hex_address('7F000064', 'big') == '127.0.0.100'
    assert hex_address('0000000000000000000000000000' + '0001', 'big') == '::1'


def test_a_port_another_program_listens_on_is_refused_naming_it(proc):
    tomcat(proc)
    proc.listen('6400007F', 8443, '5001')
    proc.process(4242, 'python3', ['python3', '-m', 'http.server', '8443'], sockets=['5001'])
    with pytest.raises(StarfaceError) as caught:
        PortCheck(BASE, proc.view()).check('https_port', '127.0.0.100', 8443)
    assert caught.value.field == 'https_port'
    assert caught.value.msg == ('port 8443 on 127.0.0.100 is in use by PID 4242 (python3, /usr/bin/python3): Tomcat '
                                'could not open it. Stop that program or choose another port. Nothing was changed.')


def test_the_holders_command_line_is_not_quoted_it_may_hold_a_secret(proc):
    proc.listen('6400007F', 8443, '5001')
    proc.process(4242, 'java', ['java', '-Dpassword=hunter2', '-jar', 'other.jar'], sockets=['5001'])
    with pytest.raises(StarfaceError) as caught:
        PortCheck(BASE, proc.view()).check('https_port', '127.0.0.100', 8443)
    assert 'hunter2' not in caught.value.msg and 'PID 4242 (java, /usr/bin/java)' in caught.value.msg


def test_a_socket_tomcat_shares_with_its_wrapper_is_no_conflict(proc):
    proc.listen('6400007F', 8443, '5001')
    proc.process(600, 'jsvc', ['jsvc', '-user', 'tomcat'], sockets=['5001'])
    tomcat(proc, sockets=['5001'])
    PortCheck(BASE, proc.view()).check('https_port', '127.0.0.100', 8443)


def test_a_wildcard_listener_on_either_side_conflicts_and_another_address_does_not(proc):
    proc.listen('00000000000000000000000000000000', 9000, '6001', table='tcp6')
    proc.listen('6500007F', 9001, '6002')
    proc.process(4343, 'nc', ['nc', '-l', '9000'], sockets=['6001', '6002'])
    check = PortCheck(BASE, proc.view())
    with pytest.raises(StarfaceError):
        check.check('http_port', '127.0.0.100', 9000)
    with pytest.raises(StarfaceError):
        check.check('http_port', None, 9001)
    check.check('http_port', '127.0.0.100', 9001)
    check.check('http_port', '127.0.0.100', 9002)


def test_a_socket_that_is_not_listening_or_that_tomcat_holds_is_no_conflict(proc):
    proc.listen('6400007F', 8080, '7001', state='01')
    proc.listen('6400007F', 8443, '7002')
    tomcat(proc, sockets=['7002'])
    check = PortCheck(BASE, proc.view())
    check.check('http_port', '127.0.0.100', 8080)
    check.check('https_port', '127.0.0.100', 8443)


def test_a_listener_whose_owner_is_not_visible_is_still_refused(proc):
    proc.listen('6400007F', 8443, '8001')
    with pytest.raises(StarfaceError) as caught:
        PortCheck(BASE, proc.view()).check('https_port', '127.0.0.100', 8443)
    assert 'in use by a program this run cannot name' in caught.value.msg


def test_a_low_port_is_refused_when_tomcats_user_may_not_bind_it(proc):
    tomcat(proc, uid=os.getuid() + 5000)
    with pytest.raises(StarfaceError) as caught:
        PortCheck(BASE, proc.view()).check('http_port', None, 80)
    assert caught.value.field == 'http_port'
    assert 'Tomcat runs as uid %d, which may not open port 80: ports below 1024' % (os.getuid() + 5000) \
        in caught.value.msg
    assert 'NAT rule, as STARFACE does (80 to 8080, 443 to 8181). Nothing was changed.' in caught.value.msg
    PortCheck(BASE, proc.view()).check('http_port', None, 8080)


@pytest.mark.parametrize('uid, caps, start', [(0, NO_CAPS, '1024'), (998, BIND_CAP, '1024'), (998, NO_CAPS, '80')])
def test_a_low_port_is_allowed_to_root_to_the_capability_and_above_the_sysctl(proc, uid, caps, start):
    tomcat(proc, uid=uid, caps=caps)
    (proc.root / 'sys' / 'net' / 'ipv4' / 'ip_unprivileged_port_start').write_text(start)
    PortCheck(BASE, proc.view()).check('http_port', None, 80)


def test_without_a_running_tomcat_its_user_is_unknown_and_a_low_port_passes(proc):
    PortCheck(BASE, proc.view()).check('http_port', None, 80)


def test_the_real_proc_names_this_process_as_the_holder_of_its_socket():
    server = socket.socket()
    server.bind(('127.0.0.1', 0))
    server.listen()
    try:
        port = server.getsockname()[1]
        with pytest.raises(StarfaceError) as caught:
            PortCheck(BASE).check('https_port', '127.0.0.1', port)
        assert 'port %d on 127.0.0.1 is in use by PID %d (' % (port, os.getpid()) in caught.value.msg
    finally:
        server.close()


CURRENT = dict(http_enabled=True, http_port=80, https_enabled=True, https_port=443, bind_address='127.0.0.100')


@pytest.mark.parametrize('change, expected', [
    (dict(), []),
    (dict(https_port=8443), [('https_port', 8443)]),
    (dict(http_enabled=False), []),
    (dict(bind_address='127.0.0.101'), [('http_port', 80), ('https_port', 443)]),
])
def test_only_ports_tomcat_opens_anew_are_checked(change, expected):
    assert new_ports(CURRENT, dict(CURRENT, **change)) == expected


def test_tomcat_facts_name_the_running_jvm_its_user_and_its_right_to_low_ports(proc):
    assert tomcat_facts(BASE, proc.view()) == dict(running=False, pid=None, user=None, uid=None,
                                                   may_bind_low_ports=None, unprivileged_port_start=1024)
    tomcat(proc, uid=0)
    assert tomcat_facts(BASE, proc.view()) == dict(running=True, pid=700, user='root', uid=0,
                                                   may_bind_low_ports=True, unprivileged_port_start=1024)


def test_tomcat_facts_of_an_unprivileged_jvm_with_and_without_the_capability(proc):
    tomcat(proc, uid=os.getuid() + 5000)
    facts = tomcat_facts(BASE, proc.view())
    assert (facts['user'], facts['uid'], facts['may_bind_low_ports']) == (None, os.getuid() + 5000, False)
    (proc.root / '700' / 'status').write_text('Name:\tjava\nUid:\t998\t998\t998\t998\nCapEff:\t%s\n' % BIND_CAP)
    assert tomcat_facts(BASE, proc.view())['may_bind_low_ports'] is True

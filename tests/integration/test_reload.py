# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""activation: reload and auto on both lab flavors: a new certificate served with Tomcat's PID unchanged.

Each change runs while a loop of HTTPS requests (a new connection every 0.1 s, one kept open)
goes to the box's public HTTPS port: a reload must not fail a single one.
"""

from __future__ import annotations

import os

import pytest

from openssl_ca import OpensslCa
from lab.clients import RequestLoop, served_sha256
from runner import box_args, file_hashes, run_module
from test_certificate_modules import import_response, pem_sha256, request

pytestmark = pytest.mark.lab


@pytest.fixture(params=['direct', 'nat'])
def box(request, lab_box_factory):
    """A started box of each lab flavor: Tomcat as root on 80/443, or as tomcat behind NAT."""
    return lab_box_factory(layout=request.param)


@pytest.fixture(scope='module')
def ca(tmp_path_factory):
    return OpensslCa(tmp_path_factory.mktemp('ca'))


def reloading(box, **options):
    """Box options with activation reload."""
    return dict(box_args(box), activation='reload', **options)


def listening_ports(pid):
    """The TCP ports a process listens on, read from its own /proc (its network namespace)."""
    inodes = set()
    for name in os.listdir('/proc/%d/fd' % pid):
        try:
            link = os.readlink('/proc/%d/fd/%s' % (pid, name))
        except OSError:
            continue
        if link.startswith('socket:['):
            inodes.add(link[8:-1])
    ports = set()
    for table in ('tcp', 'tcp6'):
        with open('/proc/%d/net/%s' % (pid, table)) as handle:
            for line in handle.read().splitlines()[1:]:
                fields = line.split()
                if fields[3] == '0A' and fields[9] in inodes:
                    ports.add(int(fields[1].rsplit(':', 1)[1], 16))
    return ports


def assert_reloaded(run, box, pid, fingerprint):
    assert run.changed and not run.failed, run.output
    assert run.result['reloaded'] is True and run.result['restarted'] is False, run.output
    assert served_sha256(box.address, 443) == fingerprint
    assert box.pid() == pid


def test_renewal_csr_answer_and_import_are_served_without_restart(box, ca):
    pid = box.pid()
    ports = listening_ports(pid)
    info = run_module('starface_webserver_info', box_args(box))
    assert info.result['reload']['possible'] is True, info.output
    with RequestLoop(box.address, 443) as loop:
        renewed = run_module('starface_csr', reloading(box, state='selfsigned', server_name=box.server_name,
                                                       force=True))
        assert_reloaded(renewed, box, pid, renewed.result['certificate']['fingerprint_sha256'])

        made = request(box, activation='reload')
        assert made.changed and not made.failed, made.output
        leaf = ca.sign(made.result['csr'])
        answered = import_response(box, ca.response(leaf), ca.text('root'), activation='reload')
        assert_reloaded(answered, box, pid, pem_sha256(leaf))
        assert answered.result['key_source'] == 'pending'

        again = request(box, key='current', activation='reload')
        resigned = ca.sign(again.result['csr'], name='resigned')
        imported = import_response(box, ca.response(resigned), ca.text('root'), activation='reload')
        assert_reloaded(imported, box, pid, pem_sha256(resigned))
    assert loop.failures == [] and loop.ok > 10, (loop.ok, loop.failures)
    assert loop.keep_alive_status == 200
    # Phone provisioning's TLS connector uses the same keystore: it was reloaded too.
    assert served_sha256(box.address, 50081) == pem_sha256(resigned)
    info = run_module('starface_webserver_info', box_args(box))
    assert info.result['restart_required'] is False and info.result['drift'] is False, info.output
    # The JMX agent each reload started in Tomcat's JVM was stopped again: no new port stays open.
    assert listening_ports(pid) == ports


def test_corrupt_keystore_is_refused_before_activation(box):
    original = file_hashes(box.keystore)
    served = served_sha256(box.address, 443)
    pid = box.pid()
    staged = run_module('starface_csr', dict(box_args(box), state='selfsigned', server_name=box.server_name,
                                             force=True, restart=False))
    assert staged.changed and staged.result['restart_required'], staged.output
    stat = os.stat(str(box.keystore))
    with open(str(box.keystore), 'r+b') as handle:
        handle.seek(40)
        handle.write(b'\0' * 64)
    os.chown(str(box.keystore), stat.st_uid, stat.st_gid)
    run = run_module('starface_restart', reloading(box))
    assert run.failed, run.output
    assert 'The new keystore was not activated' in run.msg and 'cannot be read as Tomcat reads it' in run.msg, \
        run.msg
    assert 'Nothing was reloaded or restarted; the previous files were put back.' in run.msg, run.msg
    assert file_hashes(box.keystore) == original
    assert served_sha256(box.address, 443) == served
    assert box.pid() == pid
    info = run_module('starface_webserver_info', box_args(box))
    assert info.result['pending_files'] == [], info.output


def test_keystore_tomcat_cannot_read_is_rolled_back_and_reloaded(lab_box_factory):
    # Tomcat runs as tomcat here; a keystore only root may read passes our check (run as root) but not Tomcat's.
    box = lab_box_factory(layout='nat')
    original = file_hashes(box.keystore)
    served = served_sha256(box.address, 443)
    pid = box.pid()
    staged = run_module('starface_csr', dict(box_args(box), state='selfsigned', server_name=box.server_name,
                                             force=True, restart=False))
    assert staged.changed, staged.output
    os.chown(str(box.keystore), 0, 0)
    os.chmod(str(box.keystore), 0o600)
    with RequestLoop(box.address, 443) as loop:
        run = run_module('starface_restart', reloading(box))
    assert run.failed, run.output
    assert run.msg.startswith('Tomcat did not serve the new keystore after the reload: Tomcat did not take the '
                              'keystore on port 8181: "'), run.msg
    assert 'Permission denied' in run.msg, run.msg
    assert 'The previous configuration was restored and the web server reloaded' in run.msg, run.msg
    assert run.result['rolled_back'] is True
    assert file_hashes(box.keystore) == original
    assert served_sha256(box.address, 443) == served
    assert box.pid() == pid
    assert loop.failures == [] and loop.keep_alive_status == 200, (loop.failures, loop.keep_alive_status)


def test_reload_refuses_a_settings_change_before_writing(box):
    hashes = file_hashes(box.server_xml)
    pid = box.pid()
    for check in (True, False):
        run = run_module('starface_webserver', reloading(box, force_https=True), check=check)
        assert run.failed, run.output
        assert run.msg.startswith('activation: is reload, but this change is in %s' % box.server_xml), run.msg
        assert run.msg.endswith('Nothing was changed.'), run.msg
    assert file_hashes(box.server_xml) == hashes
    assert box.pid() == pid


def test_auto_falls_back_to_a_restart_where_attach_is_disabled(lab_box_factory):
    box = lab_box_factory(java_options='-XX:+DisableAttachMechanism')
    info = run_module('starface_webserver_info', box_args(box))
    assert info.result['reload']['possible'] is False, info.output
    assert info.result['reload']['attach_disabled'] is True
    pid = box.pid()
    run = run_module('starface_csr', dict(box_args(box), activation='auto', state='selfsigned',
                                          server_name=box.server_name, force=True))
    assert run.changed and not run.failed, run.output
    assert run.result['restarted'] is True and run.result['reloaded'] is False, run.output
    assert run.result['restart_reason'] == ("a reload is not possible: Tomcat's JVM was started with "
                                            "-XX:+DisableAttachMechanism"), run.output
    assert box.pid() != pid
    assert served_sha256(box.address, 443) == run.result['certificate']['fingerprint_sha256']


def test_auto_restarts_a_settings_change_and_says_why(box):
    pid = box.pid()
    run = run_module('starface_webserver', dict(box_args(box), activation='auto', force_https=True))
    assert run.changed and not run.failed, run.output
    assert run.result['restarted'] is True and run.result['reloaded'] is False, run.output
    assert run.result['restart_reason'].startswith('Tomcat reads %s' % box.server_xml), run.output
    assert box.pid() != pid

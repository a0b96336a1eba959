# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Faults on real lab boxes: a failing restart, a killed run, a disk that refuses writes, a damaged keystore."""
from __future__ import annotations

import contextlib
import hashlib
import os
import pwd
import subprocess
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from hardening.boxstate import (PortGrabbingRestart, RestartCounter, ignoring_empty_state_dir, snapshot,
                                state_dir, unhandled)
from integration.runner import box_args, file_hashes, run_module
from lab.clients import get, port_refuses, served_der, served_sha256

pytestmark = pytest.mark.lab

PAGE = 4096


def selfsigned(box, **options):
    """starface_csr state=selfsigned options for the box."""
    return dict(box_args(box), state='selfsigned', server_name=box.server_name, subject_alt_names=[box.address],
                **options)


def import_answer(box, ca):
    """Make a pending request on the box, have the CA sign it; return (starface_cert_import options, leaf PEM)."""
    made = run_module('starface_csr', dict(box_args(box), server_name=box.server_name, subject_alt_names=[box.address]))
    assert made.changed and not made.failed, made.output
    leaf = ca.sign(made.result['csr'], name='leaf-%s' % box.address)
    args = dict(box_args(box), certificate=ca.response(leaf), root_certificate=ca.text('root'),
                server_name=box.server_name)
    return args, leaf


def pem_sha256(pem: str) -> str:
    """The SHA-256 fingerprint of a PEM certificate, as the modules print it."""
    der = x509.load_pem_x509_certificate(pem.encode('ascii')).public_bytes(serialization.Encoding.DER)
    return sha256_of(der)


def sha256_of(der: bytes) -> str:
    """Upper-case colon hex SHA-256 of DER bytes."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ':'.join(digest[i:i + 2] for i in range(0, len(digest), 2))


def run_root(*command):
    """Run a system command needed to set up a fault; skip the test when this machine does not allow it."""
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          check=False)
    if done.returncode:
        pytest.skip('cannot set up the fault here (%s: %s)' % (' '.join(command), done.stdout.strip()))


@contextlib.contextmanager
def read_only(directory: Path):
    """Make directory read-only for everyone, root included: a read-only bind mount of it onto itself."""
    run_root('mount', '--bind', str(directory), str(directory))
    try:
        run_root('mount', '-o', 'remount,bind,ro', str(directory))
        yield
    finally:
        subprocess.run(['umount', str(directory)], check=True)


@contextlib.contextmanager
def full_disk(directory: Path):
    """Put directory's files on a small tmpfs that is filled up, so that writing anything more fails (ENOSPC)."""
    saved = {path.name: (path.read_bytes(), path.stat()) for path in directory.iterdir() if path.is_file()}
    size = sum(PAGE * (len(data) // PAGE + 1) for data, dummy in saved.values()) + 16 * PAGE
    run_root('mount', '-t', 'tmpfs', '-o', 'size=%d,mode=0755' % size, 'starface-full', str(directory))
    try:
        for name, (data, info) in saved.items():
            target = directory / name
            target.write_bytes(data)
            os.chmod(str(target), info.st_mode & 0o7777)
            os.chown(str(target), info.st_uid, info.st_gid)
        filler = os.open(str(directory / 'filler'), os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while os.write(filler, b'\0' * PAGE):
                pass
        except OSError:
            pass  # the file system is full: that is the point
        finally:
            os.close(filler)
        yield
    finally:
        subprocess.run(['umount', str(directory)], check=True)


@contextlib.contextmanager
def immutable(path: Path):
    """Make a file immutable (chattr +i): even root can neither replace nor remove it."""
    run_root('chattr', '+i', str(path))
    try:
        yield
    finally:
        subprocess.run(['chattr', '-i', str(path)], check=True)


# -- (1) the restart command fails ------------------------------------------------------------------------

@pytest.mark.parametrize('change', ['ports', 'certificate'])
def test_failed_restart_rolls_back_and_the_old_configuration_serves(lab_box, tmp_path, change):
    counter = RestartCounter(lab_box, tmp_path, fail_first=1)
    before = snapshot(lab_box)
    served = served_sha256(lab_box.address, 443)
    if change == 'ports':
        run = run_module('starface_webserver', dict(box_args(lab_box), https_port=8443,
                                                    restart_command=str(counter.command)))
    else:
        run = run_module('starface_csr', selfsigned(lab_box, force=True, restart_command=str(counter.command)))
    assert run.failed, run.output
    assert not unhandled(run), run.msg
    assert 'the restart command `%s` failed with exit code 1: simulated: the web server failed to start' \
        % counter.command in run.msg, run.msg
    assert 'The previous configuration was restored and the web server restarted; it serves again on ports 80, 443' \
        in run.msg, run.msg
    assert run.result['rolled_back'] is True
    assert counter.count == 2, 'expected the failed restart and the rollback restart'
    after = snapshot(lab_box)
    assert after['files'] == before['files']
    failed_dir = Path(run.result['failed_dir'])
    assert failed_dir.parent == state_dir(lab_box) and oct(failed_dir.stat().st_mode & 0o777) == '0o700'
    assert served_sha256(lab_box.address, 443) == served
    assert port_refuses(lab_box.address, 8443)
    assert get(lab_box.address, 80, '/rest/login', tls=False)[0] == 200
    info = run_module('starface_webserver_info', box_args(lab_box))
    assert info.result['restart_required'] is False and info.result['drift'] is False, info.output


def test_hanging_restart_command_is_stopped_and_the_old_configuration_serves(lab_box):
    before = snapshot(lab_box)
    served = served_sha256(lab_box.address, 443)
    started = time.monotonic()
    run = run_module('starface_webserver', dict(box_args(lab_box), https_port=8443, restart_command='sleep 600',
                                                restart_timeout=30))
    took = time.monotonic() - started
    print('hanging restart: the run ended after %.1f s' % took)
    assert run.failed, run.output
    assert not unhandled(run), run.msg
    assert 'the restart command `sleep 600` did not finish within restart_timeout (30 s) and was stopped' \
        in run.msg, run.msg
    assert 'but the web server serves the previous configuration on ports 80, 443' in run.msg, run.msg
    assert run.result['rolled_back'] is True
    # Without the deadline the two restarts (change, rollback) would take 20 minutes.
    assert took < 300, took
    assert snapshot(lab_box)['files'] == before['files']
    assert served_sha256(lab_box.address, 443) == served
    assert port_refuses(lab_box.address, 8443)
    assert subprocess.run(['pgrep', '-f', 'sleep 600'], stdout=subprocess.DEVNULL, check=False).returncode == 1
    info = run_module('starface_webserver_info', box_args(lab_box))
    assert info.result['restart_required'] is False and info.result['pending_files'] == [], info.output


@pytest.mark.parametrize('check_mode', [False, True], ids=['run', 'check-mode'])
def test_a_low_port_an_unprivileged_tomcat_cannot_open_is_refused_before_any_write(lab_box_factory, check_mode):
    box = lab_box_factory(http_port=8080, https_port=8181, user='tomcat')
    before = snapshot(box)
    pid = box.pid()
    run = run_module('starface_webserver', dict(box_args(box), https_port=443), check=check_mode)
    assert run.failed and not unhandled(run), run.output
    assert run.msg.startswith('https_port: Tomcat runs as tomcat (uid %d), which may not open port 443: ports below '
                              % pwd.getpwnam('tomcat').pw_uid), run.msg
    assert 'send the public port to it with a NAT rule' in run.msg and run.msg.endswith('Nothing was changed.')
    assert ignoring_empty_state_dir(snapshot(box)) == ignoring_empty_state_dir(before)
    assert box.pid() == pid
    assert served_sha256(box.address, 8181)
    # The same Tomcat takes a port of 1024 or more, and a new certificate, as the user it runs as.
    moved = run_module('starface_webserver', dict(box_args(box), https_port=8443))
    assert moved.changed and not moved.failed, moved.output
    assert served_sha256(box.address, 8443) and port_refuses(box.address, 8181)
    assert box.pid() != pid and os.stat('/proc/%d' % box.pid()).st_uid == pwd.getpwnam('tomcat').pw_uid


def test_a_start_up_error_in_tomcats_log_ends_the_wait_and_is_quoted(lab_box, tmp_path):
    before = snapshot(lab_box)
    served = served_sha256(lab_box.address, 443)
    restart = PortGrabbingRestart(lab_box, 8443, tmp_path)
    started = time.monotonic()
    try:
        run = run_module('starface_webserver', dict(box_args(lab_box), https_port=8443,
                                                    restart_command=str(restart.command), restart_timeout=300))
    finally:
        restart.release()
    took = time.monotonic() - started
    calls = restart.calls()
    print('start-up error in the log: the run ended %.1f s after it began, the rollback restart came %.1f s after '
          'the restart (restart_timeout 300 s)' % (took, calls[1] - calls[0]))
    assert run.failed and not unhandled(run), run.output
    assert 'Tomcat logged in %s/logs/catalina.out: "' % lab_box.base in run.msg, run.msg
    assert '"java.net.BindException: Address already in use" (another program holds the port)' in run.msg, run.msg
    assert run.result['rolled_back'] is True, run.output
    # The wait ended on Tomcat's words, not on restart_timeout: two restarts, the change's and the rollback's.
    assert len(calls) == 2 and calls[1] - calls[0] < 150, calls
    assert snapshot(lab_box)['files'] == before['files']
    assert served_sha256(lab_box.address, 443) == served


# -- (3) the run is killed between write and commit -----------------------------------------------------------

@pytest.mark.parametrize('recovery', ['starface_restart', 'starface_cert_import', 'rolled_back'])
def test_import_killed_during_restart_is_finished_or_undone_by_the_next_run(lab_box, ca, recovery):
    args, leaf = import_answer(lab_box, ca)
    old = served_sha256(lab_box.address, 443)
    old_files = file_hashes(lab_box.keystore, lab_box.key_pem)
    killed = run_module('starface_cert_import', dict(args, restart_command='kill -9 $PPID'))
    assert killed.failed, killed.output
    assert served_sha256(lab_box.address, 443) == old
    info = run_module('starface_webserver_info', box_args(lab_box))
    assert info.result['restart_required'] is True and info.result['drift'] is True, info.output
    assert sorted(info.result['pending_files']) == sorted([str(lab_box.keystore), str(lab_box.key_pem)])

    if recovery == 'starface_restart':
        run = run_module('starface_restart', box_args(lab_box))
    elif recovery == 'starface_cert_import':
        run = run_module('starface_cert_import', args)
    else:
        run = run_module('starface_restart', dict(box_args(lab_box), state='rolled_back'))
    assert run.changed and not run.failed, run.output

    info = run_module('starface_webserver_info', box_args(lab_box))
    assert info.result['restart_required'] is False and info.result['drift'] is False, info.output
    assert not (state_dir(lab_box) / 'pending.json').exists()
    if recovery == 'rolled_back':
        assert served_sha256(lab_box.address, 443) == old
        assert file_hashes(lab_box.keystore, lab_box.key_pem) == old_files
    else:
        assert served_sha256(lab_box.address, 443) == pem_sha256(leaf)
        assert info.result['keystore']['fingerprint_sha256'] == pem_sha256(leaf)
    if recovery == 'starface_cert_import':
        assert info.result['pending_request'] is None


# -- (4) the disk refuses the write ----------------------------------------------------------------------------

def check_refused_write(box, run, before, pid, served, reason, path):
    """The run failed naming the file and the system's reason, and the box is as it was and still serving."""
    assert run.failed, run.output
    assert not unhandled(run), run.msg
    assert 'cannot write %s: %s' % (path, reason) in run.msg, run.msg
    assert ignoring_empty_state_dir(snapshot(box)) == ignoring_empty_state_dir(before)
    assert box.pid() == pid
    assert served_sha256(box.address, 443) == served


def test_read_only_keystore_directory_fails_the_import_cleanly(lab_box, ca):
    args, dummy = import_answer(lab_box, ca)
    before, pid, served = snapshot(lab_box), lab_box.pid(), served_sha256(lab_box.address, 443)
    with read_only(lab_box.keystore.parent):
        run = run_module('starface_cert_import', args)
    check_refused_write(lab_box, run, before, pid, served, 'Read-only file system', lab_box.keystore)
    assert run.msg.endswith('Nothing was changed.'), run.msg
    done = run_module('starface_cert_import', args)
    assert done.changed and not done.failed, done.output


def test_full_disk_fails_the_settings_change_cleanly(lab_box):
    conf = lab_box.server_xml.parent
    pid, served = lab_box.pid(), served_sha256(lab_box.address, 443)
    with full_disk(conf):
        before = snapshot(lab_box)
        run = run_module('starface_webserver', dict(box_args(lab_box), https_port=8443))
        check_refused_write(lab_box, run, before, pid, served, 'No space left on device', lab_box.server_xml)
        assert not [path.name for path in conf.iterdir() if path.name.endswith('.tmp')]
    assert port_refuses(lab_box.address, 8443)


def test_second_file_refused_puts_the_first_back(lab_box):
    before, pid, served = snapshot(lab_box), lab_box.pid(), served_sha256(lab_box.address, 443)
    with immutable(lab_box.key_pem):
        run = run_module('starface_csr', selfsigned(lab_box, force=True))
    check_refused_write(lab_box, run, before, pid, served, 'Operation not permitted', lab_box.key_pem)
    assert 'The files changed before it in this run were put back: %s.' % lab_box.keystore in run.msg, run.msg
    assert run.result['restored_files'] == [str(lab_box.keystore)]


# -- (5) a keystore damaged before the run ---------------------------------------------------------------------

DAMAGE = {
    'truncated': (lambda data: data[:len(data) // 2], 'the keystore is damaged'),
    'empty': (lambda data: b'', 'the file is empty'),
    'pem-text': (lambda data: b'-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', 'it is PEM text'),
}


@pytest.mark.parametrize('damage', sorted(DAMAGE))
def test_damaged_keystore_is_reported_refused_and_recovered_by_force(lab_box, damage):
    damaged, expected = DAMAGE[damage]
    lab_box.keystore.write_bytes(damaged(lab_box.keystore.read_bytes()))
    info = run_module('starface_webserver_info', dict(box_args(lab_box), server_name=lab_box.server_name))
    assert not info.failed, info.output
    assert expected in info.result['keystore']['error'], info.result['keystore']
    assert info.result['renewal'] == dict(needed=True, reasons=['keystore_unreadable'])

    before, pid = snapshot(lab_box), lab_box.pid()
    refused = run_module('starface_csr', selfsigned(lab_box))
    assert refused.failed and not unhandled(refused), refused.output
    assert expected in refused.msg and str(lab_box.keystore) in refused.msg, refused.msg
    assert snapshot(lab_box) == before and lab_box.pid() == pid

    recovered = run_module('starface_csr', selfsigned(lab_box, force=True))
    assert recovered.changed and not recovered.failed, recovered.output
    assert recovered.result['restarted'] is True
    served = served_der(lab_box.address, 443)
    assert sha256_of(served) == recovered.result['certificate']['fingerprint_sha256']
    key = serialization.load_pem_private_key(lab_box.key_pem.read_bytes(), None)
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    assert x509.load_der_x509_certificate(served).public_key().public_bytes(serialization.Encoding.DER, public) == \
        key.public_key().public_bytes(serialization.Encoding.DER, public)
    listing = subprocess.run(['keytool', '-list', '-keystore', str(lab_box.keystore), '-storepass', 'changeit'],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert listing.returncode == 0 and 'PrivateKeyEntry' in listing.stdout, listing.stdout
    healthy = run_module('starface_webserver_info', box_args(lab_box))
    assert healthy.result['keystore']['error'] is None and healthy.result['drift'] is False, healthy.output

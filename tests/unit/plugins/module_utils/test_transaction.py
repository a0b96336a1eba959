# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of _transaction with a fake restart command and a fake verification."""

from __future__ import annotations

import datetime
import errno
import json
import os
import stat
import sys
import types

import pytest

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.telephony.starface.plugins.module_utils._appliance.box import Box
from ansible_collections.telephony.starface.plugins.module_utils._change import files as _files
from ansible_collections.telephony.starface.plugins.module_utils._change import transaction as _transaction
from ansible_collections.telephony.starface.plugins.module_utils._change.transaction import Transaction
from ansible_collections.telephony.starface.plugins.module_utils._crypto.pem import der_fingerprint
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError


NOW = datetime.datetime(2026, 11, 28, 10, 15, 0, tzinfo=datetime.timezone.utc)
OLD = b'<Server port="8005">old connectors</Server>\n'
NEW = b'<Server port="8005">new connectors</Server>\n'
SECRET = b'-----SECRET KEYSTORE BYTES changeit-----'
BROKEN = 'HTTPS port 8443: connection refused'


class Runner:
    """A fake _command.run_with_deadline: records calls, answers from a queue (default success)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, command, timeout):
        self.calls.append((command, timeout))
        return self.answers.pop(0) if self.answers else (0, '', '')


class Verifier:
    """A fake expected_fn plus wait_for_box: the box is healthy unless server.xml holds a broken config."""

    def __init__(self, box, broken=(NEW,)):
        self.box = box
        self.broken = broken
        self.seen = []

    def expected(self):
        """Describe the box from server.xml as it is now (old config: ports 80, 443; new: 8080, 8443)."""
        with open(self.box.server_xml, 'rb') as handle:
            config = handle.read()
        ports = (80, 443) if config == OLD else (8080, 8443)
        return '127.0.0.1', dict(http_enabled=True, http_port=ports[0], https_enabled=True, https_port=ports[1],
                                 force_https=False, fingerprint_sha256=None, disabled_ports=[], config=config)

    def wait(self, host, expected, timeout, give_up=None):
        """Answer like _probe.wait_for_box."""
        self.seen.append((host, expected['config'], timeout))
        if expected['config'] not in self.broken:
            return []
        reason = give_up() if give_up else None
        return ([reason] if reason else []) + [BROKEN]


@pytest.fixture(name='box')
def box_fixture(tmp_path):
    """Return a Box laid out like STARFACE's Tomcat under tmp_path, with the old config."""
    base = tmp_path / 'tomcat'
    (base / 'conf').mkdir(parents=True)
    (base / 'ssl').mkdir()
    (base / 'conf' / 'server.xml').write_bytes(OLD)
    os.chmod(str(base / 'conf' / 'server.xml'), 0o640)
    (base / 'conf' / 'web.xml').write_bytes(b'<web-app/>\n')
    (base / 'ssl' / 'tomcat.keystore').write_bytes(b'old keystore')
    os.chmod(str(base / 'ssl' / 'tomcat.keystore'), 0o640)
    return Box(dict(tomcat_base=str(base), restart_command='systemctl restart tomcat', restart_timeout=42))


def make(box, runner=None, broken=(NEW,)):
    """Return (transaction, runner, verifier) wired with fakes."""
    runner = runner or Runner()
    verifier = Verifier(box, broken)
    return Transaction(box, runner, now=lambda: NOW, wait=verifier.wait, clock=lambda: 1000.0), runner, verifier


def read(path):
    with open(path, 'rb') as handle:
        return handle.read()


def write(path, data):
    with open(path, 'wb') as handle:
        handle.write(data)


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def journal_path(box):
    return os.path.join(box.state_dir, 'pending.json')


def test_stage_writes_journal_first_and_commit_cleans_up(box):
    transaction, runner, verifier = make(box, broken=())
    transaction.stage(box.server_xml, NEW)
    assert read(box.server_xml) == NEW
    assert mode_of(box.server_xml) == 0o640
    assert mode_of(box.state_dir) == 0o700
    assert mode_of(journal_path(box)) == 0o600
    journal = json.loads(read(journal_path(box)))
    backup = os.path.join(box.state_dir, 'backup-1')
    assert journal == dict(version=1, started='2026-11-28T10:15:00Z', restart_required=True, files=[dict(
        path=box.server_xml, backup=backup, mode='0640', uid=os.getuid(), gid=os.getgid())])
    assert read(backup) == OLD
    assert mode_of(backup) == 0o600
    assert transaction.pending() == journal
    assert transaction.pending_files() == [box.server_xml]

    assert transaction.restart_and_verify(verifier.expected) == [box.server_xml]
    assert runner.calls == [('systemctl restart tomcat', 42)]
    assert verifier.seen == [('127.0.0.1', NEW, 42)]
    assert read(box.server_xml) == NEW
    assert not os.path.exists(journal_path(box))
    assert not os.path.exists(backup)
    assert transaction.pending() is None
    assert transaction.pending_files() == []


def test_nothing_pending_means_no_restart(box):
    transaction, runner, verifier = make(box)
    assert transaction.restart_and_verify(verifier.expected) == []
    assert transaction.rollback() == []
    assert runner.calls == []


def test_stage_twice_keeps_the_first_original(box):
    transaction = make(box)[0]
    transaction.stage(box.server_xml, b'one')
    transaction.stage(box.server_xml, b'two')
    assert read(box.server_xml) == b'two'
    assert len(transaction.pending()['files']) == 1
    assert transaction.rollback(restart=False) == [box.server_xml]
    assert read(box.server_xml) == OLD
    assert transaction.pending() is None


@pytest.mark.parametrize('name, mode, expected_mode', [
    ('conf/extra.xml', None, 0o644),
    ('ssl/new.keystore', None, 0o600),
    ('ssl/tomcatkey.pem', None, 0o600),
    ('conf/extra.xml', 0o640, 0o640),
])
def test_new_file_is_created_and_rollback_removes_it(box, name, mode, expected_mode):
    transaction = make(box)[0]
    path = os.path.join(box.tomcat_base, name)
    transaction.stage(path, SECRET, mode=mode)
    assert read(path) == SECRET
    assert mode_of(path) == expected_mode
    assert transaction.pending()['files'][0]['backup'] is None
    transaction.rollback(restart=False)
    assert not os.path.exists(path)
    assert transaction.pending() is None


@pytest.mark.parametrize('mode', [0o600, 0o640, 0o644, 0o400])
def test_existing_mode_is_kept_even_when_a_mode_is_given(box, mode):
    os.chmod(box.server_xml, mode)
    make(box)[0].stage(box.server_xml, NEW, mode=0o600 if mode != 0o600 else 0o644)
    assert mode_of(box.server_xml) == mode


@pytest.mark.skipif(os.geteuid() != 0, reason='changing a file owner needs root')
def test_owner_is_kept(box):
    os.chown(box.server_xml, 1234, 2345)
    transaction = make(box)[0]
    transaction.stage(box.server_xml, NEW)
    info = os.stat(box.server_xml)
    assert (info.st_uid, info.st_gid) == (1234, 2345)
    assert transaction.pending()['files'][0]['uid'] == 1234
    with open(box.server_xml, 'wb') as handle:
        handle.write(b'changed by root, owner unchanged')
    os.chown(box.server_xml, 0, 0)
    transaction.rollback(restart=False)
    info = os.stat(box.server_xml)
    assert (info.st_uid, info.st_gid, read(box.server_xml)) == (1234, 2345, OLD)


@pytest.mark.skipif(os.geteuid() != 0, reason='changing a directory owner needs root')
def test_new_file_takes_its_directory_owner(box):
    ssl_dir = os.path.join(box.tomcat_base, 'ssl')
    os.chown(ssl_dir, 1234, 2345)
    path = os.path.join(ssl_dir, 'fresh.keystore')
    make(box)[0].stage(path, SECRET)
    info = os.stat(path)
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (1234, 2345, 0o600)


@pytest.fixture(name='read_only')
def read_only_fixture(monkeypatch):
    """Make writes into the given directories fail like a read-only file system (tests run as root)."""
    directories = []
    mkstemp = _files.tempfile.mkstemp

    def failing_mkstemp(*args, **kwargs):
        if os.path.realpath(kwargs.get('dir')) in directories:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return mkstemp(*args, **kwargs)

    monkeypatch.setattr(_files.tempfile, 'mkstemp', failing_mkstemp)
    return lambda directory: directories.append(os.path.realpath(directory))


def test_read_only_target_leaves_original_and_no_journal(box, read_only):
    read_only(os.path.dirname(box.server_xml))
    transaction = make(box)[0]
    with pytest.raises(StarfaceError) as caught:
        transaction.stage(box.server_xml, NEW)
    assert str(caught.value) == ('cannot write %s: Read-only file system. Check that the file system is writable and '
                                 'that the module runs as root (become: true). Nothing was changed.' % box.server_xml)
    assert read(box.server_xml) == OLD
    assert transaction.pending() is None
    assert not os.path.exists(os.path.join(box.state_dir, 'backup-1'))


def test_failed_second_file_puts_back_the_first(box, read_only):
    read_only(os.path.join(box.tomcat_base, 'ssl'))
    transaction = make(box)[0]
    transaction.stage(box.server_xml, NEW)
    with pytest.raises(StarfaceError) as caught:
        transaction.stage(os.path.join(box.tomcat_base, 'ssl', 'tomcat.keystore'), SECRET)
    message = str(caught.value)
    assert 'cannot write %s/ssl/tomcat.keystore: Read-only file system' % box.tomcat_base in message
    assert message.endswith('The files changed before it in this run were put back: %s.' % box.server_xml)
    assert caught.value.details == dict(restored_files=[box.server_xml])
    assert read(box.server_xml) == OLD
    assert mode_of(box.server_xml) == 0o640
    assert read(os.path.join(box.tomcat_base, 'ssl', 'tomcat.keystore')) == b'old keystore'
    assert transaction.pending() is None
    assert os.listdir(box.state_dir) == []


def test_failed_stage_keeps_what_an_earlier_run_left_pending(box, read_only):
    make(box)[0].stage(box.web_xml, b'<web-app>forced</web-app>')
    read_only(os.path.join(box.tomcat_base, 'ssl'))
    transaction = make(box)[0]
    transaction.stage(box.server_xml, NEW)
    with pytest.raises(StarfaceError):
        transaction.stage(os.path.join(box.tomcat_base, 'ssl', 'tomcat.keystore'), SECRET)
    assert read(box.server_xml) == OLD
    assert read(box.web_xml) == b'<web-app>forced</web-app>'
    assert transaction.pending_files() == [box.web_xml]


def test_unwritable_state_dir_changes_nothing(box, tmp_path, read_only):
    state = tmp_path / 'state'
    state.mkdir()
    read_only(str(state))
    box.state_dir = str(state)
    transaction = make(box)[0]
    with pytest.raises(StarfaceError) as caught:
        transaction.stage(box.server_xml, NEW)
    assert caught.value.field == 'state_dir'
    assert 'cannot keep a backup of %s in the state directory %s: Read-only file system' % (
        box.server_xml, state) in str(caught.value)
    assert read(box.server_xml) == OLD


def rejected(transaction, verifier):
    """Run restart_and_verify expecting the rollback's StarfaceError; return it."""
    with pytest.raises(StarfaceError) as caught:
        transaction.restart_and_verify(verifier.expected)
    assert SECRET not in str(caught.value).encode()
    return caught.value


def test_restart_failure_rolls_back(box):
    runner = Runner((1, 'starting', 'Job for tomcat.service failed.\nSee "systemctl status tomcat.service".\n'))
    transaction, runner, verifier = make(box, runner)
    keystore = os.path.join(box.tomcat_base, 'ssl', 'tomcat.keystore')
    transaction.stage(box.server_xml, NEW)
    transaction.stage(keystore, SECRET)
    error = rejected(transaction, verifier)
    failed = os.path.join(box.state_dir, 'failed-20261128T101500Z')
    assert str(error) == (
        'The web server did not come back with the new configuration: the restart command `systemctl restart tomcat` '
        'failed with exit code 1: Job for tomcat.service failed. / See "systemctl status tomcat.service". '
        'The previous configuration was restored and the web server restarted; it serves again on ports 80, 443. '
        'The failed configuration is kept in %s for inspection.' % failed)
    assert error.details['rolled_back'] is True
    assert error.details['failed_dir'] == failed
    assert runner.calls == [('systemctl restart tomcat', 42)] * 2
    assert [seen[1] for seen in verifier.seen] == [OLD]
    assert (read(box.server_xml), mode_of(box.server_xml)) == (OLD, 0o640)
    assert (read(keystore), mode_of(keystore)) == (b'old keystore', 0o640)
    assert mode_of(failed) == 0o700
    assert sorted(os.listdir(failed)) == ['server.xml', 'tomcat.keystore']
    assert read(os.path.join(failed, 'tomcat.keystore')) == SECRET
    assert read(os.path.join(failed, 'server.xml')) == NEW
    assert {mode_of(os.path.join(failed, name)) for name in os.listdir(failed)} == {0o600}
    assert sorted(os.listdir(box.state_dir)) == ['failed-20261128T101500Z']


def test_hung_restart_is_reported_as_a_timeout_and_rolled_back(box):
    transaction, runner, verifier = make(box, Runner((None, 'stopping tomcat', '')))
    transaction.stage(box.server_xml, NEW)
    error = rejected(transaction, verifier)
    assert str(error).startswith(
        'The web server did not come back with the new configuration: the restart command `systemctl restart tomcat` '
        'did not finish within restart_timeout (42 s) and was stopped with the processes it started: stopping tomcat. '
        'The previous configuration was restored and the web server restarted'), str(error)
    assert runner.calls == [('systemctl restart tomcat', 42)] * 2
    assert read(box.server_xml) == OLD
    assert transaction.pending() is None


def test_rollback_restart_hangs_too_but_the_box_serves_the_originals(box):
    transaction, runner, verifier = make(box, Runner((None, '', ''), (None, '', '')))
    transaction.stage(box.server_xml, NEW)
    error = rejected(transaction, verifier)
    assert 'The previous configuration was restored; the restart for it failed too (the restart command ' \
           '`systemctl restart tomcat` did not finish within restart_timeout (42 s) and was stopped with the ' \
           'processes it started), but the web server serves the previous configuration on ports 80, 443.' \
           in str(error), str(error)
    assert error.details['rolled_back'] is True
    assert [seen[1:] for seen in verifier.seen] == [(OLD, _transaction.SERVING_CHECK_SECONDS)]
    assert read(box.server_xml) == OLD
    assert transaction.pending() is None


def test_rollback_restart_hangs_and_the_box_is_down_keeps_the_journal(box):
    transaction, runner, verifier = make(box, Runner((None, '', ''), (None, '', '')), broken=(NEW, OLD))
    transaction.stage(box.server_xml, NEW)
    error = rejected(transaction, verifier)
    assert 'ROLLBACK INCOMPLETE' in str(error) and 'did not finish within restart_timeout (42 s)' in str(error)
    assert 'then run starface_restart (state: rolled_back) again' in str(error)
    assert read(box.server_xml) == OLD
    assert transaction.pending_files() == [box.server_xml]


def test_restart_timeout_bounds_the_command_and_the_wait_together(box):
    clock = [1000.0]

    def slow_restart(command, timeout):
        clock[0] += 30  # the command took 30 of the 42 seconds
        return 0, '', ''

    verifier = Verifier(box, broken=())
    transaction = Transaction(box, slow_restart, now=lambda: NOW, wait=verifier.wait, clock=lambda: clock[0])
    transaction.stage(box.server_xml, NEW)
    assert transaction.restart_and_verify(verifier.expected) == [box.server_xml]
    assert verifier.seen == [('127.0.0.1', NEW, 12.0)]


def test_verification_failure_rolls_back(box):
    transaction, runner, verifier = make(box)
    new_file = os.path.join(box.tomcat_base, 'conf', 'extra.xml')
    transaction.stage(box.server_xml, NEW)
    transaction.stage(new_file, b'extra')
    error = rejected(transaction, verifier)
    assert str(error).startswith('The web server did not come back with the new configuration: %s. The previous '
                                 'configuration was restored and the web server restarted; it serves again on '
                                 'ports 80, 443.' % BROKEN)
    assert error.details['problems'] == [BROKEN]
    assert len(runner.calls) == 2
    assert [seen[1] for seen in verifier.seen] == [NEW, OLD]
    assert read(box.server_xml) == OLD
    assert not os.path.exists(new_file)
    assert transaction.pending() is None
    assert read(os.path.join(error.details['failed_dir'], 'extra.xml')) == b'extra'


def test_failed_rollback_is_loud_and_keeps_the_journal(box):
    transaction, dummy, verifier = make(box, Runner((0, '', ''), (3, '', 'tomcat: port 80 in use')),
                                        broken=(NEW, OLD))
    transaction.stage(box.server_xml, NEW)
    error = rejected(transaction, verifier)
    message = str(error)
    assert 'ROLLBACK INCOMPLETE: the previous configuration was restored, but the web server did not come back ' \
           'with it either: the restart command `systemctl restart tomcat` failed with exit code 3: tomcat: port 80 ' \
           'in use.' in message
    assert 'The backups of the originals stay in %s (listed in %s)' % (box.state_dir, journal_path(box)) in message
    assert error.details['rolled_back'] is False
    assert read(box.server_xml) == OLD
    assert transaction.pending_files() == [box.server_xml]
    assert read(os.path.join(box.state_dir, 'backup-1')) == OLD


def test_rollback_verification_failure(box):
    transaction, runner, verifier = make(box, broken=(OLD,))
    transaction.stage(box.server_xml, NEW)
    with pytest.raises(StarfaceError) as caught:
        transaction.rollback(expected_fn=verifier.expected)
    assert str(caught.value).startswith('ROLLBACK INCOMPLETE: the previous configuration was restored, but the web '
                                        'server did not come back with it: %s.' % BROKEN)
    assert read(box.server_xml) == OLD
    assert transaction.pending_files() == [box.server_xml]
    assert len(runner.calls) == 1


def test_expected_fn_failure_rolls_back(box):
    transaction, runner, verifier = make(box)
    transaction.stage(box.server_xml, NEW)
    calls = []

    def expected():
        calls.append(read(box.server_xml))
        if calls[-1] == NEW:
            raise StarfaceError('no HTTPS connector found', field='server_xml')
        return verifier.expected()

    with pytest.raises(StarfaceError) as caught:
        transaction.restart_and_verify(expected)
    assert 'the configuration cannot be checked: server_xml: no HTTPS connector found.' in str(caught.value)
    assert 'The previous configuration was restored' in str(caught.value)
    assert len(runner.calls) == 1
    assert read(box.server_xml) == OLD


@pytest.mark.parametrize('finish', ['restart_and_verify', 'rollback'])
def test_crash_recovery_by_a_new_transaction(box, finish):
    make(box)[0].stage(box.server_xml, NEW)
    transaction, runner, verifier = make(box, broken=())
    assert transaction.pending_files() == [box.server_xml]
    getattr(transaction, finish)(expected_fn=verifier.expected)
    assert read(box.server_xml) == (NEW if finish == 'restart_and_verify' else OLD)
    assert transaction.pending() is None
    assert len(runner.calls) == 1
    assert os.listdir(box.state_dir) == []


def test_later_run_adds_to_pending_and_keeps_the_first_original(box):
    make(box)[0].stage(box.server_xml, b'first run')
    transaction, dummy, verifier = make(box, broken=(NEW,))
    transaction.stage(box.server_xml, NEW)
    transaction.stage(box.web_xml, b'<web-app>forced</web-app>')
    assert transaction.pending_files() == [box.server_xml, box.web_xml]
    rejected(transaction, verifier)
    assert read(box.server_xml) == OLD
    assert read(box.web_xml) == b'<web-app/>\n'


@pytest.mark.parametrize('content', [b'{not json', b'{"version": 2, "files": []}', b'[]', b'\xff\xfe'])
def test_damaged_journal(box, content):
    os.makedirs(box.state_dir)
    with open(journal_path(box), 'wb') as handle:
        handle.write(content)
    with pytest.raises(StarfaceError) as caught:
        make(box)[0].pending()
    assert caught.value.field == 'state_dir'
    assert 'the journal of pending changes %s is damaged' % journal_path(box) in str(caught.value)


@pytest.mark.parametrize('name, mode, expected_mode', [
    ('conf/server.xml', 0o640, 0o640),
    ('conf/server.xml', 0o644, 0o644),
    ('ssl/tomcat.keystore', 0o644, 0o600),
    ('ssl/tomcatkey.pem', 0o640, 0o600),
])
def test_backup_copies(box, name, mode, expected_mode):
    path = os.path.join(box.tomcat_base, name)
    with open(path, 'wb') as handle:
        handle.write(SECRET)
    os.chmod(path, mode)
    copies = make(box)[0].backup_copies([path, os.path.join(box.tomcat_base, 'conf', 'missing.xml')])
    assert copies == ['%s.%s~' % (path, NOW.astimezone().strftime('%Y-%m-%d@%H:%M:%S'))]
    assert read(copies[0]) == SECRET
    assert mode_of(copies[0]) == expected_mode
    assert read(path) == SECRET


def test_backup_copy_failure(box, read_only):
    read_only(os.path.dirname(box.server_xml))
    with pytest.raises(StarfaceError) as caught:
        make(box)[0].backup_copies([box.server_xml])
    assert caught.value.field == 'backup'
    assert 'Read-only file system' in str(caught.value)


def make_leaf_der():
    """Return the DER of a fresh self-signed certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'pbx.example.com')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


@pytest.fixture(name='fake_layers')
def fake_layers_fixture(monkeypatch):
    """Replace _appliance.tomcat and _crypto.keystore by fakes reading 'key=value' lines; return the leaf DER the keystore holds."""
    der = make_leaf_der()
    package = 'ansible_collections.telephony.starface.plugins.module_utils.'

    def parse(text):
        settings = {}
        for line in text.split():
            key, value = line.split('=')
            settings[key] = {'true': True, 'false': False}.get(value, int(value) if value.isdigit() else value)
        return settings

    tomcat = types.ModuleType(package + '_appliance.tomcat')
    tomcat.ServerXml = lambda text: types.SimpleNamespace(settings=lambda: parse(text), host_config_dir=lambda: None,
                                                          rewrite_valve=lambda: None)
    tomcat.WebXml = lambda text: types.SimpleNamespace(force_https=lambda: 'forced' in text)
    keystore = types.ModuleType(package + '_crypto.keystore')

    def load_chain(data, password, alias):
        assert (data, password, alias) == (b'old keystore', 'changeit', 'tomcat')
        return [x509.load_der_x509_certificate(der)]

    keystore.load_chain = load_chain
    monkeypatch.setitem(sys.modules, package + '_appliance.tomcat', tomcat)
    monkeypatch.setitem(sys.modules, package + '_crypto.keystore', keystore)
    return der


SERVED = 'http_enabled=true http_port=80 https_enabled=true https_port=443'


@pytest.mark.parametrize('server_xml, web_xml, expected', [
    (SERVED, '<web-app>forced</web-app>', dict(
        http_enabled=True, http_port=80, https_enabled=True, https_port=443, force_https=True, disabled_ports=[],
        redirect_port=None)),
    ('http_enabled=true http_port=8080 https_enabled=false', '<web-app/>', dict(
        http_enabled=True, http_port=8080, https_enabled=False, https_port=None, force_https=False,
        disabled_ports=[], fingerprint_sha256=None, redirect_port=None)),
    # A NAT box: the HTTP connector sends browsers to the public HTTPS port, not to its connector.
    ('http_enabled=true http_port=8080 https_enabled=true https_port=8181 redirect_port=443', '<web-app>forced</web-app>',
     dict(http_enabled=True, http_port=8080, https_enabled=True, https_port=8181, force_https=True,
          disabled_ports=[], redirect_port=443)),
])
def test_expected_from_files(box, fake_layers, server_xml, web_xml, expected):
    write(box.server_xml, server_xml.encode())
    write(box.web_xml, web_xml.encode())
    host, found = _transaction.expected_from_files(box)
    expected.setdefault('fingerprint_sha256', der_fingerprint(fake_layers))
    assert (host, found) == ('127.0.0.1', expected)


def test_default_expectation_closes_ports_no_longer_served(box, fake_layers):
    write(box.server_xml, SERVED.encode())
    transaction = make(box)[0]
    transaction.stage(box.server_xml, b'http_enabled=false https_enabled=true https_port=8443 bind_address=127.0.0.2')
    host, expected = transaction.default_expected()
    assert host == '127.0.0.2'
    assert (expected['https_port'], expected['disabled_ports']) == (8443, [80, 443])
    assert expected['fingerprint_sha256'] == der_fingerprint(fake_layers)


# -- honest results after a recovery -------------------------------------------------------------------------

def list_without_writing(transaction, box, path):
    """Do what a run killed between listing a file and writing it leaves: the entry and its backup, file as it was."""
    journal = transaction.pending() or transaction.new_journal()
    transaction.record(journal, path, _files.read_state(path))


def test_a_listed_file_that_was_never_written_is_dropped_without_a_restart(box):
    transaction, runner, verifier = make(box, broken=())
    list_without_writing(transaction, box, box.server_xml)
    assert transaction.pending_files() == [box.server_xml]
    assert transaction.changed_files() == []
    assert transaction.restart_and_verify(verifier.expected) == []
    assert runner.calls == []
    assert transaction.pending() is None
    assert os.listdir(box.state_dir) == []


def test_only_the_written_files_are_committed(box):
    transaction, runner, verifier = make(box, broken=())
    keystore = os.path.join(box.tomcat_base, 'ssl', 'tomcat.keystore')
    list_without_writing(transaction, box, keystore)
    transaction.stage(box.server_xml, NEW)
    assert transaction.changed_files() == [box.server_xml]
    assert transaction.restart_and_verify(verifier.expected) == [box.server_xml]
    assert len(runner.calls) == 1
    assert read(keystore) == b'old keystore'


def test_a_file_whose_mode_changed_counts_as_changed(box):
    transaction, dummy, dummy = make(box, broken=())
    list_without_writing(transaction, box, box.server_xml)
    os.chmod(box.server_xml, 0o600)
    assert transaction.changed_files() == [box.server_xml]


def test_rollback_of_files_never_written_restores_nothing_and_does_not_restart(box):
    transaction, runner, verifier = make(box, broken=())
    list_without_writing(transaction, box, box.server_xml)
    assert transaction.rollback(restart=True, expected_fn=verifier.expected) == []
    assert runner.calls == []
    assert transaction.pending() is None


def test_always_restarts_with_nothing_pending_and_verifies(box):
    transaction, runner, verifier = make(box, broken=())
    assert transaction.restart_and_verify(verifier.expected, always=True) == []
    assert len(runner.calls) == 1
    assert [config for dummy, config, dummy in verifier.seen] == [OLD]


def test_always_restart_that_fails_says_there_is_nothing_to_roll_back(box):
    transaction, dummy, verifier = make(box, broken=(OLD,))
    with pytest.raises(StarfaceError) as caught:
        transaction.restart_and_verify(verifier.expected, always=True)
    assert str(caught.value) == ('The web server did not come back after the restart: %s. No change was pending, so '
                                 'there is nothing to roll back: check the web server now (its service status and '
                                 'logs).' % BROKEN)


# -- temporary files a killed run left ----------------------------------------------------------------------

def test_leftover_temporary_files_are_removed_and_nothing_else(box):
    transaction, dummy, dummy = make(box)
    os.makedirs(box.state_dir)
    ssl = os.path.join(box.tomcat_base, 'ssl')
    conf = os.path.join(box.tomcat_base, 'conf')
    left = [os.path.join(ssl, '.tomcat.keystore.k3y_x9ab.tmp'),
            os.path.join(conf, '.server.xml.2026-11-28@10:15:00~.abcdefgh.tmp'),
            os.path.join(box.state_dir, '.backup-1.zz9z9z9z.tmp'),
            os.path.join(box.state_dir, '.tmp-q1w2e3r4')]
    kept = [os.path.join(ssl, '.other.keystore.abcdefgh.tmp'),   # not a file the modules write
            os.path.join(conf, '.server.xml.tmp'),                # not write_atomic's name
            os.path.join(conf, 'server.xml.2026-11-28@10:15:00~')]
    for path in left + kept:
        write(path, SECRET)
    assert sorted(transaction.remove_leftovers()) == sorted(left)
    assert [path for path in left + kept if os.path.exists(path)] == kept


def test_write_atomic_leaves_no_temporary_file_when_the_write_fails(box, monkeypatch):
    def full(handle):
        raise OSError(errno.ENOSPC, 'No space left on device')

    monkeypatch.setattr(_files.os, 'fsync', full)
    with pytest.raises(OSError):
        _files.write_atomic(box.server_xml, NEW, 0o644)
    assert read(box.server_xml) == OLD
    assert sorted(os.listdir(os.path.dirname(box.server_xml))) == ['server.xml', 'web.xml']


def test_what_tomcat_logs_after_the_restart_is_quoted_and_what_it_logged_before_is_not(box):
    log = os.path.join(box.tomcat_base, 'logs', 'catalina.out')
    os.mkdir(os.path.dirname(log))
    severe = ('02-Dec-2026 15:10:03.246 SEVERE [main] org.apache.catalina.util.LifecycleBase.handleSubClassException '
              'Failed to initialize component [Connector["https-jsse-nio-127.0.0.1-%d"]]\n'
              '\tCaused by: java.net.BindException: Address already in use\n')
    write(log, (severe % 1111).encode())

    def restart_that_logs(command, timeout):
        with open(log, 'a') as stream:
            stream.write(severe % 8443 if read(box.server_xml) == NEW else 'started\n')
        return 0, '', ''

    transaction, dummy, verifier = make(box, runner=restart_that_logs)
    transaction.stage(box.server_xml, NEW)
    with pytest.raises(StarfaceError) as caught:
        transaction.restart_and_verify(verifier.expected)
    assert caught.value.details['rolled_back']
    first = caught.value.details['problems'][0]
    assert first == ('Tomcat logged in %s: "Failed to initialize component [Connector["https-jsse-nio-127.0.0.1-8443"]]", '
                     'caused by "java.net.BindException: Address already in use" (another program holds the port)' % log)
    assert '1111' not in str(caught.value)
    assert read(box.server_xml) == OLD


# -- NAT rules in the transaction ----------------------------------------------------------------------------

HTTP_RULE = '-A PREROUTING -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 8080'
MOVED_RULE = '-A PREROUTING -p tcp -m tcp --dport 8088 -j REDIRECT --to-ports 8080'


class ChainRunner(Runner):
    """Runner that also plays iptables-save (/bin/true) and iptables (/bin/echo) on a PREROUTING chain in memory."""

    def __init__(self, chain):
        super().__init__()
        self.chain = list(chain)

    def __call__(self, command, timeout):
        words = command.split()
        if words[0] == '/bin/true':
            return 0, '*nat\n' + ''.join(line + '\n' for line in self.chain) + 'COMMIT\n', ''
        if words[0] != '/bin/echo':
            return super().__call__(command, timeout)
        self.calls.append((command, timeout))
        op, rest = words[3], words[4:]
        if op == '-R':
            self.chain[int(rest[1]) - 1] = ' '.join(['-A', 'PREROUTING'] + rest[2:])
        elif op == '-I':
            self.chain.insert(int(rest[1]) - 1, ' '.join(['-A', 'PREROUTING'] + rest[2:]))
        elif op == '-D':
            self.chain.remove(' '.join(['-A', 'PREROUTING'] + rest[1:]))
        return 0, '', ''


@pytest.fixture(name='nat_box')
def nat_box_fixture(box):
    box.iptables_save_command = '/bin/true'
    box.iptables_command = '/bin/echo'
    return box


def test_failed_restart_puts_the_live_rule_back_with_the_files(nat_box):
    from ansible_collections.telephony.starface.plugins.module_utils._appliance.nat import NatRules

    runner = ChainRunner([HTTP_RULE])
    transaction, dummy, verifier = make(nat_box, runner)
    transaction.stage(nat_box.server_xml, NEW)
    transaction.stage_rule(NatRules(nat_box, runner), HTTP_RULE, MOVED_RULE, 1)
    assert runner.chain == [MOVED_RULE]
    assert transaction.pending()['rules'] == [dict(before=HTTP_RULE, after=MOVED_RULE, position=1)]
    with pytest.raises(StarfaceError):
        transaction.restart_and_verify(verifier.expected)
    assert runner.chain == [HTTP_RULE] and read(nat_box.server_xml) == OLD
    assert transaction.pending() is None


def test_rules_only_change_commits_without_a_restart(nat_box):
    from ansible_collections.telephony.starface.plugins.module_utils._appliance.nat import NatRules

    runner = ChainRunner([HTTP_RULE])
    transaction, dummy, verifier = make(nat_box, runner)
    transaction.stage_rule(NatRules(nat_box, runner), HTTP_RULE, MOVED_RULE, 1)
    assert transaction.activate_rules(verifier.expected) == []
    assert runner.chain == [MOVED_RULE] and transaction.pending() is None
    assert not [call for call in runner.calls if 'restart' in call[0]]


def test_rules_only_change_that_does_not_take_is_put_back(nat_box):
    from ansible_collections.telephony.starface.plugins.module_utils._appliance.nat import NatRules

    class Ignoring(ChainRunner):
        """iptables that answers 0 but changes nothing."""

        def __call__(self, command, timeout):
            if command.startswith('/bin/echo'):
                self.calls.append((command, timeout))
                return 0, '', ''
            return super().__call__(command, timeout)

    runner = Ignoring([HTTP_RULE])
    transaction, dummy, verifier = make(nat_box, runner)
    transaction.stage_rule(NatRules(nat_box, runner), HTTP_RULE, MOVED_RULE, 1)
    with pytest.raises(StarfaceError) as err:
        transaction.activate_rules(verifier.expected)
    assert 'is not live' in str(err.value) and 'put back' in str(err.value)
    assert transaction.pending() is None


# -- the keystore password -------------------------------------------------------------------------------------

@pytest.mark.parametrize('option, declared, expected', [
    (None, 'secret', 'secret'),
    ('secret', 'secret', 'secret'),
    # No HTTPS connector yet (starface_webserver enables one): the option, else STARFACE's default.
    ('mine', None, 'mine'),
    (None, None, 'changeit'),
])
def test_the_keystore_password_comes_from_the_option_then_server_xml_then_the_default(box, option, declared, expected):
    box.keystore_password_option = option
    settings = dict(keystore_password=declared) if declared else {}
    assert box.resolve_keystore(settings)[1] == expected


def test_a_keystore_password_other_than_server_xml_s_is_refused_for_writing_only(box):
    box.keystore_password_option = 'wrong-pass'
    assert box.resolve_keystore(dict(keystore_password='changeit'))[1] == 'wrong-pass'
    box.check_keystore_password(dict(keystore_password='wrong-pass'))
    box.check_keystore_password({})
    with pytest.raises(StarfaceError) as caught:
        box.check_keystore_password(dict(keystore_password='changeit'))
    assert caught.value.field == 'keystore_password'
    assert 'differs from the keystore password in %s' % box.server_xml in str(caught.value)
    assert 'wrong-pass' not in str(caught.value) and 'changeit' not in str(caught.value)

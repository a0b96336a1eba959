# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Two runs on one box at once, a full state directory, a read-only conf directory, a killed write."""
from __future__ import annotations

import json
import os
import random
import tempfile
import time

import pytest

from hardening.boxstate import ignoring_empty_state_dir, snapshot, state_dir, unhandled
from hardening.test_hardening_faults import full_disk, read_only, selfsigned
from integration.runner import DirectRun, box_args, run_module
from lab.clients import port_refuses, served_sha256

pytestmark = pytest.mark.lab

RACES = 50
SEED = 20261202


def restore(box, pristine):
    """Put the box's files back as they were and empty the state directory (the box was not restarted)."""
    for path, (data, mode) in pristine.items():
        path.write_bytes(data)
        os.chmod(str(path), mode)
    if state_dir(box).is_dir():
        for entry in state_dir(box).iterdir():
            entry.unlink()


def journal(box) -> dict:
    """The journal of pending changes."""
    return json.loads((state_dir(box) / 'pending.json').read_text())


def test_two_runs_started_together_end_one_after_the_other_with_one_intact_journal(lab_box, tmp_path):
    managed = [lab_box.server_xml, lab_box.keystore, lab_box.key_pem]
    pristine = {path: (path.read_bytes(), path.stat().st_mode & 0o7777) for path in managed}
    pid = lab_box.pid()
    rng = random.Random(SEED)
    overlapped = 0
    for race in range(RACES):
        offset = rng.uniform(0, 0.8)
        ports = DirectRun('starface_webserver', dict(box_args(lab_box), https_port=8443, restart=False),
                          tmp_path / 'args')
        time.sleep(offset)
        certificate = DirectRun('starface_csr', selfsigned(lab_box, force=True, restart=False), tmp_path / 'args')
        # Both modules were running at once: the first had not exited when the second was started.
        overlapped += ports.process.poll() is None
        first, second = ports.finish(), certificate.finish()
        context = 'race %d (seed %d, offset %.3f s):\n%s\n%s' % (race, SEED, offset, first.output, second.output)
        assert not first.failed and not second.failed, context
        assert first.changed and second.changed, context
        listed = journal(lab_box)['files']
        assert sorted(entry['path'] for entry in listed) == sorted(str(path) for path in managed), context
        for entry in listed:
            original, mode = pristine[next(path for path in managed if str(path) == entry['path'])]
            assert (state_dir(lab_box) / os.path.basename(entry['backup'])).read_bytes() == original, context
            assert entry['mode'] == '%04o' % mode, context
        for path in managed:
            assert path.read_bytes() != pristine[path][0], '%s was not changed in %s' % (path, context)
        assert not (state_dir(lab_box) / 'lock').exists(), context
        restore(lab_box, pristine)
    print('%d of %d races had the two runs overlapping' % (overlapped, RACES))
    # Without overlapping runs this test would prove nothing about the lock.
    assert overlapped >= RACES // 4, overlapped
    assert lab_box.pid() == pid


def port_change_holding_the_lock(lab_box, tmp_path, restart_seconds):
    """Start starface_webserver https_port=8443 with a slow restart; return it once it holds the box's lock."""
    slow = tmp_path / 'slow-restart'
    slow.write_text('#!/bin/sh\nsleep %d\nexec %s\n' % (restart_seconds, lab_box.restart_command))
    slow.chmod(0o755)
    ports = DirectRun('starface_webserver', dict(box_args(lab_box), https_port=8443, restart_command=str(slow)),
                      tmp_path / 'args')
    note = state_dir(lab_box) / 'lock'
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if json.loads(note.read_text())['pid'] == ports.pid:
                return ports
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.05)
    raise AssertionError('starface_webserver (PID %d) did not take the lock within 60 s' % ports.pid)


def test_a_run_waits_for_a_restart_in_progress_and_both_changes_serve(lab_box, tmp_path):
    ports = port_change_holding_the_lock(lab_box, tmp_path, 3)
    certificate = DirectRun('starface_csr', selfsigned(lab_box, force=True), tmp_path / 'args')
    first, second = ports.finish(), certificate.finish()
    assert not first.failed and not second.failed, first.output + second.output
    assert first.result['restarted'] and second.result['restarted']
    assert served_sha256(lab_box.address, 8443) == second.result['certificate']['fingerprint_sha256']
    assert port_refuses(lab_box.address, 443)
    assert not (state_dir(lab_box) / 'pending.json').exists()


def test_a_run_refused_after_lock_timeout_names_the_holder_and_changes_nothing(lab_box, tmp_path):
    ports = port_change_holding_the_lock(lab_box, tmp_path, 10)
    refused = run_module('starface_csr', selfsigned(lab_box, force=True, lock_timeout=1))
    first = ports.finish()
    assert not first.failed, first.output
    assert refused.failed and not unhandled(refused), refused.output
    assert ('lock_timeout: another run is changing this box: PID %d (starface_webserver) holds the lock of %s since '
            % (ports.pid, state_dir(lab_box))) in refused.msg, refused.msg
    assert refused.msg.endswith('Waited 1 s for it (lock_timeout). Nothing was changed.'), refused.msg
    # The certificate run changed nothing: the box serves the one certificate it had, on the new port.
    info = run_module('starface_webserver_info', box_args(lab_box))
    assert info.result['pending_files'] == [] and info.result['drift'] is False, info.output
    assert served_sha256(lab_box.address, 8443) == info.result['keystore']['fingerprint_sha256']


def test_a_full_state_dir_fails_the_request_clearly_and_leaves_no_temporary_file(lab_box):
    directory = state_dir(lab_box)
    directory.mkdir(mode=0o700)
    before = snapshot(lab_box)
    with full_disk(directory):
        run = run_module('starface_csr', dict(box_args(lab_box), server_name=lab_box.server_name))
        left = sorted(entry.name for entry in directory.iterdir() if entry.name != 'filler')
    assert run.failed and not unhandled(run), run.output
    assert run.msg == ('state_dir: cannot write the pending key %s: No space left on device. Nothing was changed.'
                       % (directory / 'pending-key.pem')), run.msg
    assert left == [], left
    assert snapshot(lab_box) == before


def test_a_read_only_conf_dir_fails_the_settings_change_clearly(lab_box):
    conf = lab_box.server_xml.parent
    before, pid, served = snapshot(lab_box), lab_box.pid(), served_sha256(lab_box.address, 443)
    with read_only(conf):
        run = run_module('starface_webserver', dict(box_args(lab_box), https_port=8443))
        left = [entry.name for entry in conf.iterdir() if entry.name.endswith('.tmp')]
    assert run.failed and not unhandled(run), run.output
    assert 'cannot write %s: Read-only file system' % lab_box.server_xml in run.msg, run.msg
    assert run.msg.endswith('Nothing was changed.'), run.msg
    assert left == []
    assert ignoring_empty_state_dir(snapshot(lab_box)) == ignoring_empty_state_dir(before)
    assert lab_box.pid() == pid and served_sha256(lab_box.address, 443) == served


def test_the_next_run_removes_what_a_killed_write_left(lab_box):
    directory = state_dir(lab_box)
    directory.mkdir(mode=0o700)
    left = []
    # The names write_atomic gives its temporary files: a copy of the keystore and of a pending key.
    for folder, name, data in ((lab_box.keystore.parent, lab_box.keystore.name, lab_box.keystore.read_bytes()),
                               (directory, 'pending-key.pem', lab_box.key_pem.read_bytes())):
        handle, path = tempfile.mkstemp(prefix='.%s.' % name, suffix='.tmp', dir=str(folder))
        os.write(handle, data[:len(data) // 2])
        os.close(handle)
        left.append(path)
    pid = lab_box.pid()
    run = run_module('starface_webserver', box_args(lab_box))
    assert not run.failed and not run.changed, run.output
    assert [path for path in left if os.path.exists(path)] == []
    warnings = [warning for warning in run.warnings if 'Removed temporary files an interrupted run left' in warning]
    assert warnings and all(path in warnings[0] for path in left), run.warnings
    assert lab_box.pid() == pid

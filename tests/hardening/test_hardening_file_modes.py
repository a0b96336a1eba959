# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""File modes and owners: keys stay owner-only, files keep the owner they had, even under a careless umask."""
from __future__ import annotations

import contextlib
import os
import pwd
from pathlib import Path

import pytest

from hardening.boxstate import RestartCounter, mode_and_owner, state_dir
from integration.runner import box_args, run_module

pytestmark = pytest.mark.lab

OWNER_ONLY_FILE = 0o600
OWNER_ONLY_DIR = 0o700
SERVER_XML_MODE = 0o640


@contextlib.contextmanager
def careless_umask():
    """Run the modules with umask 000, as a careless service account might: nothing may rely on the umask."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def tomcat_box(lab_box):
    """A box whose keystore, key and server.xml belong to the user tomcat, as on a STARFACE (Tomcat's own user)."""
    try:
        user = pwd.getpwnam('tomcat')
    except KeyError:
        pytest.fail('the user tomcat is missing: apt-get install tomcat10 (it creates the user)')
    for path in (lab_box.keystore, lab_box.key_pem, lab_box.server_xml):
        os.chown(str(path), user.pw_uid, user.pw_gid)
    os.chmod(str(lab_box.server_xml), SERVER_XML_MODE)
    lab_box.owner = (user.pw_uid, user.pw_gid)
    return lab_box


def problems_with(expected: dict) -> list:
    """Return a line for every path whose (mode, uid, gid) differs from the expected one."""
    problems = []
    for path, (mode, owner) in sorted(expected.items()):
        found = mode_and_owner(path)
        if found != (mode,) + tuple(owner):
            problems.append('%s: mode %04o owner %s:%s, expected %04o %s:%s'
                            % (path, found[0], found[1], found[2], mode, owner[0], owner[1]))
    return problems


def key_files(box) -> dict:
    """The box's key files, owner-only and owned by tomcat."""
    return {box.keystore: (OWNER_ONLY_FILE, box.owner), box.key_pem: (OWNER_ONLY_FILE, box.owner)}


def test_key_files_backups_and_state_stay_owner_only_and_keep_their_owner(tomcat_box, ca):
    box = tomcat_box
    root = (0, 0)
    names = dict(server_name=box.server_name, subject_alt_names=[box.address])
    with careless_umask():
        made = run_module('starface_csr', dict(box_args(box), state='selfsigned', force=True, backup=True, **names))
        assert made.changed and not made.failed, made.output
        expected = key_files(box)
        expected.update((Path(copy), (OWNER_ONLY_FILE, box.owner)) for copy in made.result['backup_files'])
        assert len(made.result['backup_files']) == 2
        assert not problems_with(expected), problems_with(expected)
        # The lock made the state directory for this run; with nothing pending it is gone again.
        assert not state_dir(box).exists(), sorted(os.listdir(str(state_dir(box))))

        staged = run_module('starface_csr', dict(box_args(box), state='selfsigned', force=True, restart=False,
                                                 **names))
        assert staged.result['restart_required'], staged.output
        journal = {path: (OWNER_ONLY_FILE, root) for path in state_dir(box).iterdir()}
        assert sorted(path.name for path in journal) == ['backup-1', 'backup-2', 'pending.json']
        assert not problems_with({**journal, **key_files(box)}), problems_with({**journal, **key_files(box)})
        assert run_module('starface_restart', box_args(box)).changed

        request = run_module('starface_csr', dict(box_args(box), **names))
        assert request.changed and not request.failed, request.output
        pending = {state_dir(box) / name: (OWNER_ONLY_FILE, root) for name in ('pending-key.pem', 'pending-csr.pem')}
        assert not problems_with(pending), problems_with(pending)

        answer = ca.response(ca.sign(request.result['csr'], name='modes'))
        done = run_module('starface_cert_import', dict(box_args(box), certificate=answer,
                                                       root_certificate=ca.text('root'), backup=True))
        assert done.changed and not done.failed and done.result['key_source'] == 'pending', done.output
        assert not any(path.exists() for path in pending), 'the consumed pending key is still on the box'
        expected = key_files(box)
        expected.update((Path(copy), (OWNER_ONLY_FILE, box.owner)) for copy in done.result['backup_files'])
        expected[state_dir(box)] = (OWNER_ONLY_DIR, root)
        assert not problems_with(expected), problems_with(expected)

        web_before = mode_and_owner(box.web_xml)
        folder = box.rewrite_config.parent.stat()
        settings = run_module('starface_webserver', dict(box_args(box), https_port=8443, force_https=True, backup=True))
        assert settings.changed and not settings.failed, settings.output
        # Forced HTTPS: server.xml gets the rewrite valve, a new rewrite.config (readable by Tomcat's
        # user, owned like its folder) the rules; web.xml is not touched.
        expected = {box.server_xml: (SERVER_XML_MODE, box.owner), box.web_xml: (web_before[0], web_before[1:]),
                    box.rewrite_config: (0o644, (folder.st_uid, folder.st_gid))}
        copies = [Path(copy) for copy in settings.result['backup_files']]
        assert [copy.name.split('.xml.')[0] for copy in copies] == ['server']
        expected[copies[0]] = expected[box.server_xml]
        assert not problems_with(expected), problems_with(expected)


def test_failed_change_keeps_owner_only_copies_and_restores_owner(tomcat_box, tmp_path):
    box = tomcat_box
    counter = RestartCounter(box, tmp_path, fail_first=1)
    with careless_umask():
        run = run_module('starface_csr', dict(box_args(box), state='selfsigned', force=True,
                                              restart_command=str(counter.command), server_name=box.server_name,
                                              subject_alt_names=[box.address]))
    assert run.failed and run.result['rolled_back'], run.output
    failed_dir = Path(run.result['failed_dir'])
    kept = {path: (OWNER_ONLY_FILE, (0, 0)) for path in failed_dir.iterdir()}
    assert sorted(path.name for path in kept) == ['tomcat.keystore', 'tomcatkey.pem']
    kept[failed_dir] = (OWNER_ONLY_DIR, (0, 0))
    assert not problems_with({**kept, **key_files(box)}), problems_with({**kept, **key_files(box)})

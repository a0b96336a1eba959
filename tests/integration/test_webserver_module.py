# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""starface_webserver and starface_restart on a running lab box, checked with real HTTP and TLS clients."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from runner import box_args, file_hashes, run_module
from lab.clients import get, port_refuses, served_sha256

pytestmark = pytest.mark.lab


def webserver(box, check=False, diff=False, **options):
    """Run starface_webserver on the box."""
    return run_module('starface_webserver', dict(box_args(box), **options), check=check, diff=diff)


def config_hashes(box):
    """Hashes of the files starface_webserver may change."""
    return file_hashes(box.server_xml, box.web_xml, box.rewrite_config)


def test_ports_move_and_old_ports_refuse(lab_box):
    certificate = served_sha256(lab_box.address, 443)
    run = webserver(lab_box, http_port=8080, https_port=8443)
    assert run.changed and not run.failed, run.output
    assert run.result['settings']['http_port'] == 8080
    address = lab_box.address
    assert get(address, 8080, '/', tls=False)[0] == 200
    assert served_sha256(address, 8443) == certificate
    assert port_refuses(address, 80) and port_refuses(address, 443)
    assert any('moved to port 8080' in warning for warning in run.warnings), run.warnings


def test_second_run_and_check_mode_change_nothing(lab_box):
    first = webserver(lab_box, https_port=8443)
    assert first.changed, first.output
    hashes = config_hashes(lab_box)
    again = webserver(lab_box, https_port=8443)
    assert not again.changed and not again.failed, again.output
    assert not again.result.get('restarted')
    checked = webserver(lab_box, https_port=8443, check=True)
    assert not checked.changed
    assert config_hashes(lab_box) == hashes


def test_check_mode_reports_change_and_touches_nothing(lab_box):
    hashes = config_hashes(lab_box)
    run = webserver(lab_box, check=True, diff=True, http_enabled=False)
    assert run.changed and not run.failed, run.output
    assert run.result['diff']['before']['http_enabled'] is True
    assert run.result['diff']['after']['http_enabled'] is False
    assert config_hashes(lab_box) == hashes
    assert get(lab_box.address, 80, '/', tls=False)[0] == 200


def test_disabled_service_refuses_and_comes_back(lab_box):
    run = webserver(lab_box, http_enabled=False)
    assert run.changed and not run.failed, run.output
    assert port_refuses(lab_box.address, 80)
    assert any('being disabled' in warning and 'address book' in warning for warning in run.warnings)
    back = webserver(lab_box, http_enabled=True)
    assert back.changed and not back.failed, back.output
    assert get(lab_box.address, 80, '/', tls=False)[0] == 200


def test_force_https_redirects_to_https_port_and_off_restores_files(lab_box):
    original = config_hashes(lab_box)
    run = webserver(lab_box, force_https=True, https_port=8443)
    assert run.changed and not run.failed, run.output
    status, headers, dummy = get(lab_box.address, 80, '/rest/login', tls=False)
    assert status == 302 and headers['location'] == 'https://%s:8443/rest/login' % lab_box.address, headers
    # Phone provisioning is another connector: not redirected.
    assert get(lab_box.address, 50080, '/rest/login', tls=False)[0] == 200
    status, dummy, body = get(lab_box.address, 8443, '/rest/login', tls=True)
    assert status == 200 and json.loads(body)['loginType'] == 'Internal'
    off = webserver(lab_box, force_https=False, https_port=443)
    assert off.changed and not off.failed, off.output
    assert get(lab_box.address, 80, '/', tls=False)[0] == 200
    assert config_hashes(lab_box) == original


@pytest.mark.parametrize('options, field', [
    (dict(http_enabled=False, https_enabled=False), 'http_enabled'),
    (dict(https_enabled=False, force_https=True), 'force_https'),
    (dict(http_port=443), 'https_port'),
    (dict(http_port=70000), 'http_port'),
    (dict(https_port=0), 'https_port'),
])
def test_refusals_name_the_field_and_leave_files_unchanged(lab_box, options, field):
    hashes = config_hashes(lab_box)
    run = webserver(lab_box, **options)
    assert run.failed, run.output
    assert run.msg.startswith(field + ':'), run.msg
    assert config_hashes(lab_box) == hashes


@pytest.mark.parametrize('check_mode', [False, True], ids=['run', 'check-mode'])
def test_taken_port_is_refused_before_any_write_naming_the_program(lab_box, check_mode):
    # A port taken only after this check makes Tomcat fail at the restart: see the hardening
    # test of Tomcat's log, where the change is rolled back.
    before = config_hashes(lab_box)
    pid = lab_box.pid()
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    blocker.bind((lab_box.address, 8443))
    blocker.listen(5)
    try:
        run = run_module('starface_webserver', dict(box_args(lab_box), https_port=8443), check=check_mode)
    finally:
        blocker.close()
    assert run.failed, run.output
    assert run.msg.startswith('https_port: port 8443 on %s is in use by PID %d (' % (lab_box.address, os.getpid())), \
        run.msg
    assert run.msg.endswith('Tomcat could not open it. Stop that program or choose another port. Nothing was '
                            'changed.'), run.msg
    assert config_hashes(lab_box) == before
    assert lab_box.pid() == pid
    assert served_sha256(lab_box.address, 443)
    assert get(lab_box.address, 80, '/', tls=False)[0] == 200


def test_kill_between_write_and_commit_is_finished_by_next_run(lab_box):
    killer = dict(box_args(lab_box), restart_command='kill -9 $PPID')
    run = run_module('starface_webserver', dict(killer, https_port=8443))
    assert run.failed, run.output
    info = run_module('starface_webserver_info', box_args(lab_box))
    assert info.result['restart_required'] is True, info.output
    assert served_sha256(lab_box.address, 443)
    again = webserver(lab_box, https_port=8443)
    assert again.changed and not again.failed, again.output
    assert again.result.get('restarted')
    assert served_sha256(lab_box.address, 8443) and port_refuses(lab_box.address, 443)
    info = run_module('starface_webserver_info', box_args(lab_box))
    assert info.result['restart_required'] is False


def test_restart_false_then_one_restart_commits_everything(lab_box):
    first = webserver(lab_box, https_port=8443, restart=False)
    assert first.changed and first.result['restart_required'], first.output
    second = webserver(lab_box, force_https=True, restart=False)
    assert second.changed and second.result['restart_required'], second.output
    assert served_sha256(lab_box.address, 443)
    restart = run_module('starface_restart', box_args(lab_box))
    assert restart.changed and not restart.failed, restart.output
    assert sorted(restart.result['committed_files']) == sorted([str(lab_box.server_xml),
                                                                str(lab_box.rewrite_config)])
    status, headers, dummy = get(lab_box.address, 80, '/', tls=False)
    assert status == 302 and headers['location'] == 'https://%s:8443/' % lab_box.address, headers
    assert served_sha256(lab_box.address, 8443)
    idle = run_module('starface_restart', box_args(lab_box))
    assert not idle.changed, idle.output


def test_rolled_back_restores_pending_files(lab_box):
    before = config_hashes(lab_box)
    assert webserver(lab_box, https_port=8443, restart=False).changed
    assert config_hashes(lab_box) != before
    undo = run_module('starface_restart', dict(box_args(lab_box), state='rolled_back'))
    assert undo.changed and not undo.failed, undo.output
    assert config_hashes(lab_box) == before
    assert served_sha256(lab_box.address, 443)


def test_info_reports_settings_and_served_certificate(lab_box):
    info = run_module('starface_webserver_info', box_args(lab_box))
    assert not info.failed and not info.changed, info.output
    assert info.result['settings'] == dict(http_enabled=True, http_port=80, https_enabled=True, https_port=443,
                                           force_https=False, force_https_exempt_paths=[], bind_address=lab_box.address,
                                           http_connector_port=80, https_connector_port=443)
    assert info.result['nat']['redirects'] == []  # a direct box: its connector ports are its public ports
    served = info.result['served']
    assert served['fingerprint_sha256'] == served_sha256(lab_box.address, 443)
    assert served['fingerprint_sha256'] == info.result['keystore']['fingerprint_sha256']
    assert served['self_signed'] is True and served['common_name'] == lab_box.server_name
    assert info.result['drift'] is False
    assert 'changeit' not in info.output
    # The direct-bind lab runs Tomcat as root: it binds 80 and 443 itself.
    with open('/proc/sys/net/ipv4/ip_unprivileged_port_start') as stream:
        start = int(stream.read())
    assert info.result['tomcat'] == dict(running=True, pid=lab_box.pid(), user='root', uid=0,
                                         may_bind_low_ports=True, unprivileged_port_start=start)
    # The folder reported is the one served at /: a file put there is fetched over HTTP.
    assert info.result['web_root'] == str(lab_box.base / 'webapps' / 'ROOT')
    probe = Path(info.result['web_root']) / 'web-root-probe.txt'
    probe.write_text('served from the web root\n')
    status, dummy, body = get(lab_box.address, 80, '/web-root-probe.txt', tls=False)
    assert (status, body) == (200, 'served from the web root\n')
    probe.unlink()


def test_putting_back_a_pending_change_needs_no_restart_and_says_so(lab_box):
    before = config_hashes(lab_box)
    pid = lab_box.pid()
    assert webserver(lab_box, https_port=8443, restart=False).changed
    back = webserver(lab_box, https_port=443)
    assert back.changed and not back.failed, back.output
    assert back.result['restarted'] is False, back.output
    assert config_hashes(lab_box) == before
    assert lab_box.pid() == pid
    info = run_module('starface_webserver_info', box_args(lab_box))
    assert info.result['pending_files'] == [] and info.result['restart_required'] is False, info.output

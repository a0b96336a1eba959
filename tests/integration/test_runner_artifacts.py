# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The role under ansible-runner, as AWX runs it: each box's report line as the job's artifacts.

Two lab boxes (Tomcat binding 127.x addresses) get the role with certificate source selfsigned,
run by ansible_runner.run() in a private data directory. The artifacts are read as AWX reads them:
the ``artifact_data`` of the ``playbook_on_stats`` event in ``artifacts/<ident>/job_events/``. Each
box's line must be there, with its host, status and the fingerprint of the certificate a TLS
handshake with the box gets: after a change, in check mode, and for a box whose restart fails
(the role's rescue path) beside one that succeeds.

Box A also has starface_webserver_bootstrap_python on and no interpreter configured: the bootstrap
script must find this Debian's /usr/bin/python3 with its cryptography, install nothing (dpkg's list
of packages is the same afterwards), and the role's modules must run with it (no interpreter
discovery happened).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import ansible_runner
import pytest

from lab.clients import served_sha256
from runner import COLLECTIONS, box_args, file_hashes, run_module

pytestmark = pytest.mark.lab

ROLE = 'telephony.starface.starface_webserver'
# The events of a task's result on a host (runner_on_start is only its start).
RESULT_EVENTS = ('runner_on_ok', 'runner_on_failed', 'runner_on_skipped', 'runner_on_unreachable')
SITE_PACKAGES = Path(ansible_runner.__file__).resolve().parents[1]


def dpkg_packages() -> str:
    """Every package dpkg knows, with version and status: to prove nothing was installed."""
    return subprocess.run(['dpkg-query', '-W', '-f', '${Package} ${Version} ${Status}\n'], stdout=subprocess.PIPE,
                          universal_newlines=True, check=True).stdout


class Fleet:
    """Two started lab boxes, an inventory for them, and runs of a play with the role through ansible-runner."""

    def __init__(self, directory: Path, boxes: dict):
        self.directory = directory
        self.boxes = boxes
        self.report_dir = directory / 'report'

    def host_vars(self, name: str, box) -> dict:
        """The variables of one box: a local connection to a lab box, a self-signed certificate."""
        variables = dict(
            ansible_connection='local',
            starface_webserver_tomcat_base=str(box.base),
            starface_webserver_restart_command=str(box.restart_command),
            starface_webserver_restart_timeout=60,
            starface_webserver_server_name=box.server_name,
            starface_webserver_verify_address=box.address,
            starface_webserver_certificate_source='selfsigned',
            starface_webserver_report_dir=str(self.report_dir))
        if name == 'pbx-a':
            # No interpreter: the bootstrap must find one and point the modules at it.
            variables['starface_webserver_bootstrap_python'] = True
        else:
            variables['ansible_python_interpreter'] = sys.executable
        return variables

    def run(self, ident: str, check: bool = False, extravars=None, host_vars=None, environment=None):
        """Run the play (with this environment for its tasks); return the runner, artifact_data, all events."""
        hosts = {}
        for name, box in self.boxes.items():
            hosts[name] = self.host_vars(name, box)
            hosts[name].update((host_vars or {}).get(name, {}))
        # A private data directory per run, as AWX gives each job: ansible-runner keeps the options of
        # a run in its env/ folder (cmdline, extravars), where the next run would read them again.
        private = self.directory / ('runner-' + ident)
        (private / 'project').mkdir(parents=True)
        (private / 'project' / 'play.yml').write_text(json.dumps([dict(
            name='STARFACE web servers', hosts='starface', gather_facts=False, environment=environment or {},
            roles=[dict(role=ROLE)])], indent=2))
        inventory = self.directory / ('inventory-%s.json' % ident)
        inventory.write_text(json.dumps(dict(starface=dict(hosts=hosts)), indent=2))
        result = ansible_runner.run(
            private_data_dir=str(private), ident=ident, playbook='play.yml', inventory=str(inventory),
            cmdline='--check' if check else None, extravars=extravars or {}, quiet=True, timeout=900,
            envvars=dict(
                # This venv's ansible-playbook (runner's binary option would drop the playbook).
                PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get('PATH', '/usr/bin:/bin'),
                ANSIBLE_COLLECTIONS_PATH='%s:%s' % (COLLECTIONS, SITE_PACKAGES),
                # As on a box reached over SSH with nothing configured: the bootstrap decides (pbx-a).
                ANSIBLE_PYTHON_INTERPRETER='auto_silent',
                ANSIBLE_NOCOLOR='1',
                ANSIBLE_DEPRECATION_WARNINGS='0'))
        events = read_events(private / 'artifacts' / ident / 'job_events')
        stats = [event for event in events if event.get('event') == 'playbook_on_stats']
        assert len(stats) == 1, 'no single playbook_on_stats event:\n' + stdout_of(result)
        return result, stats[0]['event_data']['artifact_data'], events

    def served(self) -> dict:
        """What each box serves on its HTTPS port now, by a TLS handshake."""
        return dict((name, served_sha256(box.address, 443)) for name, box in self.boxes.items())

    def report_line(self, name: str) -> dict:
        """The box's line the role left in the report folder on the controller."""
        lines = json.loads((self.report_dir / 'report.json').read_text())
        found = [line for line in lines if line['host'] == name]
        assert len(found) == 1, 'report.json has %d lines for %s: %s' % (len(found), name, lines)
        return found[0]


def read_events(directory: Path) -> list:
    """The job events ansible-runner wrote, in order (complete events only, as AWX reads them)."""
    paths = [path for path in directory.glob('*.json') if not path.name.endswith('-partial.json')]
    paths.sort(key=lambda path: int(path.name.split('-', 1)[0]))
    return [json.loads(path.read_text()) for path in paths]


def stdout_of(result) -> str:
    """What the run printed, for failure messages."""
    try:
        return result.stdout.read()
    except (OSError, ValueError, AttributeError):
        return '(no stdout)'


def host_events(events: list, host: str, action: str = None) -> list:
    """The events of one host's task results, optionally of one action."""
    return [event for event in events
            if event.get('event') in RESULT_EVENTS and event['event_data'].get('host') == host
            and (action is None or event['event_data'].get('task_action') == action)]


@pytest.fixture
def fleet(lab_box_factory, tmp_path):
    return Fleet(tmp_path, {'pbx-a': lab_box_factory(), 'pbx-b': lab_box_factory()})


def test_report_lines_are_the_jobs_artifacts(fleet):
    before = fleet.served()
    pids = dict((name, box.pid()) for name, box in fleet.boxes.items())
    packages = dpkg_packages()

    # 1. A change: a new provisional certificate on both boxes, one restart each.
    result, artifacts, events = fleet.run('change', extravars=dict(starface_webserver_force_renewal=True))
    assert result.status == 'successful', stdout_of(result)
    served = fleet.served()
    lines = artifacts['starface_webserver_report']
    assert sorted(lines) == ['pbx-a', 'pbx-b'], artifacts
    for name, box in fleet.boxes.items():
        line = lines[name]
        assert line['host'] == name and line['server_name'] == box.server_name, line
        assert line['status'] == 'ok', line
        assert line['check_mode'] is False, line
        assert 'certificate' in line['changed'] and 'restart' in line['changed'], line
        assert served[name] != before[name], 'the box serves its old certificate'
        assert line['fingerprint_sha256'] == served[name], (line, served)
        assert line == fleet.report_line(name)
        assert box.pid() != pids[name], 'the box was not restarted'

    # The bootstrap on pbx-a: this Debian's python3 has cryptography; it found it and installed nothing.
    assert dpkg_packages() == packages, 'packages changed on this machine'
    scripts = host_events(events, 'pbx-a', 'ansible.builtin.script')
    assert len(scripts) == 1 and scripts[0]['event'] == 'runner_on_ok', scripts
    script = scripts[0]['event_data']['res']
    assert script['rc'] == 0 and not script['changed'], script
    printed = [line.strip() for line in script['stdout_lines']]
    assert 'python=/usr/bin/python3' in printed and 'installed=' in printed, printed
    assert printed[0].startswith('os=debian 12 '), printed
    facts = [event['event_data']['res'].get('ansible_facts', {})
             for event in host_events(events, 'pbx-a', 'ansible.builtin.set_fact')]
    assert {'ansible_python_interpreter': '/usr/bin/python3', '__starface_webserver_python_ready': True} in facts, facts
    # With the interpreter set, no module of pbx-a needed interpreter discovery (auto_silent would have run it).
    modules = host_events(events, 'pbx-a')
    assert [event['event'] for event in modules
            if event['event_data'].get('task_action') == 'telephony.starface.starface_plan'] == ['runner_on_ok']
    assert not [event for event in modules if 'discovered_interpreter_python' in
                json.dumps(event['event_data'].get('res', {}).get('ansible_facts', {}))], 'interpreter discovery ran'
    assert not host_events(events, 'pbx-b', 'ansible.builtin.script'), 'pbx-b ran the bootstrap'

    # 2. Check mode: nothing changes, and each box's line is still published, saying check mode.
    pids = dict((name, box.pid()) for name, box in fleet.boxes.items())
    result, artifacts, events = fleet.run('check', check=True, extravars=dict(starface_webserver_force_renewal=True))
    assert result.status == 'successful', stdout_of(result)
    assert fleet.served() == served, 'check mode changed a certificate'
    lines = artifacts['starface_webserver_report']
    assert sorted(lines) == ['pbx-a', 'pbx-b'], artifacts
    for name, box in fleet.boxes.items():
        assert lines[name]['host'] == name and lines[name]['status'] == 'ok', lines[name]
        assert lines[name]['check_mode'] is True, lines[name]
        assert lines[name]['fingerprint_sha256'] == served[name], lines[name]
        assert box.pid() == pids[name], 'check mode restarted the box'
    script = host_events(events, 'pbx-a', 'ansible.builtin.script')[0]['event_data']['res']
    assert 'python=/usr/bin/python3' in [line.strip() for line in script['stdout_lines']], script

    # 3. The rescue path: pbx-a's restart command fails, so the role rolls it back; pbx-b renews.
    result, artifacts, events = fleet.run(
        'rescue', extravars=dict(starface_webserver_force_renewal=True),
        host_vars={'pbx-a': dict(starface_webserver_restart_command='/bin/false')})
    assert result.status == 'failed', stdout_of(result)
    assert result.stats['failures'].get('pbx-a') and not result.stats['failures'].get('pbx-b'), result.stats
    assert result.stats['rescued'].get('pbx-a') == 1, result.stats
    now = fleet.served()
    lines = artifacts['starface_webserver_report']
    assert sorted(lines) == ['pbx-a', 'pbx-b'], artifacts
    failed, renewed = lines['pbx-a'], lines['pbx-b']
    assert failed['host'] == 'pbx-a' and failed['status'] == 'failed' and failed['message'], failed
    assert failed['changed'] == [], failed
    assert now['pbx-a'] == served['pbx-a'], 'pbx-a serves another certificate after its roll back'
    assert failed['fingerprint_sha256'] == now['pbx-a'], (failed, now)
    assert renewed['host'] == 'pbx-b' and renewed['status'] == 'ok', renewed
    assert now['pbx-b'] != served['pbx-b'] and renewed['fingerprint_sha256'] == now['pbx-b'], (renewed, now)
    assert failed == fleet.report_line('pbx-a') and renewed == fleet.report_line('pbx-b')


CONTROLLER_CHECKS = ('community.crypto.get_certificate', 'ansible.builtin.uri')


def test_the_controller_checks_a_box_this_run_changed_only(lab_box_factory, tmp_path):
    fleet = Fleet(tmp_path, {'pbx-b': lab_box_factory()})
    result, dummy, events = fleet.run('renew', extravars=dict(starface_webserver_force_renewal=True))
    assert result.status == 'successful', stdout_of(result)
    for action in CONTROLLER_CHECKS:
        assert [event['event'] for event in host_events(events, 'pbx-b', action)] == ['runner_on_ok'], action

    served = fleet.served()['pbx-b']
    result, dummy, events = fleet.run('again')
    assert result.status == 'successful', stdout_of(result)
    assert result.stats['changed'].get('pbx-b', 0) == 0, result.stats
    # Nothing to change: the plan is the one module run on the box, and the tasks that change or check
    # the box, the controller's checks among them, are not even included.
    modules = [event['event_data']['task_action'] for event in host_events(events, 'pbx-b')
               if event['event_data']['task_action'].startswith('telephony.starface.') and event['event'] != 'runner_on_skipped']
    assert modules == ['telephony.starface.starface_plan'], modules
    for action in CONTROLLER_CHECKS:
        assert host_events(events, 'pbx-b', action) == [], action
    # The box itself was still read: its report line has what it serves.
    line = fleet.report_line('pbx-b')
    assert line['status'] == 'ok' and line['changed'] == [] and line['fingerprint_sha256'] == served, line


def test_publish_stats_off_publishes_nothing(lab_box_factory, tmp_path):
    fleet = Fleet(tmp_path, {'pbx-b': lab_box_factory()})
    result, artifacts, events = fleet.run('quiet', extravars=dict(starface_webserver_publish_stats=False))
    assert result.status == 'successful', stdout_of(result)
    assert artifacts == {}, artifacts
    assert fleet.report_line('pbx-b')['fingerprint_sha256'] == fleet.served()['pbx-b']
    assert [event['event_data']['res'] for event in host_events(events, 'pbx-b', 'ansible.builtin.set_stats')
            if event['event'] != 'runner_on_skipped'] == []


FAKE_DNF = """#!/bin/sh
# A dnf whose repositories have every package (list) but that cannot install any.
echo "dnf $*" >> "$(dirname "$0")/dnf.log"
[ "$2" = list ] && exit 0
echo "Error: Failed to download metadata for repo 'appstream': Cannot download repomd.xml" >&2
exit 1
"""


def test_a_box_without_a_usable_python_fails_clearly_and_is_recorded(lab_box_factory, tmp_path):
    """The bootstrap's failures through the role: a check mode run, then a run whose dnf fails.

    The play's environment points the script at a fake AlmaLinux 8.10 (os-release), an empty
    interpreter folder and a fake dnf. The box fails before any module runs, nothing is rolled back
    (there is no Python to do it), the box serves and runs as before, and its failed line is the
    job's artifact.
    """
    box = lab_box_factory()
    fake = tmp_path / 'fake'
    (fake / 'bin').mkdir(parents=True)
    (fake / 'os-release').write_text('ID="almalinux"\nID_LIKE="rhel centos fedora"\nVERSION_ID="8.10"\n'
                                     'PRETTY_NAME="AlmaLinux 8.10 (Cerulean Leopard)"\n')
    dnf = fake / 'dnf'
    dnf.write_text(FAKE_DNF)
    dnf.chmod(0o755)
    environment = dict(STARFACE_BOOTSTRAP_OS_RELEASE=str(fake / 'os-release'), STARFACE_BOOTSTRAP_DNF=str(dnf),
                       STARFACE_BOOTSTRAP_PYTHON_DIRS=str(fake / 'bin'))
    fleet = Fleet(tmp_path, {'pbx-a': box})
    served, pid = fleet.served(), box.pid()

    result, artifacts, events = fleet.run('check', check=True, environment=environment)
    assert result.status == 'failed', stdout_of(result)
    line = artifacts['starface_webserver_report']['pbx-a']
    assert line['host'] == 'pbx-a' and line['status'] == 'failed' and line['check_mode'] is True, line
    assert 'Check mode: almalinux 8.10 (AlmaLinux 8.10 (Cerulean Leopard)) has no Python 3.8+' in line['message'], line
    assert 'would install python3.12 python3.12-cryptography' in line['message'], line
    assert line['fingerprint_sha256'] == '', line
    assert 'install' not in (fake / 'dnf.log').read_text(), 'check mode ran dnf install'

    result, artifacts, events = fleet.run('install', environment=environment)
    assert result.status == 'failed', stdout_of(result)
    line = artifacts['starface_webserver_report']['pbx-a']
    assert line['status'] == 'failed' and line['check_mode'] is False, line
    for words in ('install python3.12 python3.12-cryptography failed (exit status 1) on AlmaLinux 8.10',
                  "Failed to download metadata for repo 'appstream'"):
        assert words in line['message'], line
    assert line == fleet.report_line('pbx-a')
    assert 'dnf -y install python3.12 python3.12-cryptography' in (fake / 'dnf.log').read_text()
    # No module ran on the box: no roll back, no reading after the failure.
    actions = [event['event_data'].get('task_action') for event in host_events(events, 'pbx-a')
               if event['event'] != 'runner_on_skipped']
    assert not [action for action in actions if action.startswith('telephony.starface.')], actions
    assert result.stats['rescued'].get('pbx-a') == 1, result.stats
    assert fleet.served() == served and box.pid() == pid


def test_a_plan_that_fails_leaves_an_earlier_pending_change_as_it_is(lab_box_factory, tmp_path):
    box = lab_box_factory()
    staged = run_module('starface_webserver', dict(box_args(box), https_port=8443, restart=False))
    assert staged.changed and staged.result['restart_required'], staged.output
    files, pid = file_hashes(box.server_xml, box.web_xml, box.keystore), box.pid()
    fleet = Fleet(tmp_path, {'pbx-b': box})
    # A bind address no check on the controller refuses: the plan, on the box, does.
    result, artifacts, dummy = fleet.run('refused', host_vars={'pbx-b': dict(starface_webserver_bind_address='no such/address')})
    assert result.status == 'failed', stdout_of(result)
    line = artifacts['starface_webserver_report']['pbx-b']
    assert line['status'] == 'failed' and 'bind_address' in line['message'], line
    assert 'Rolled back' not in line['message'], line
    # The earlier run's change is still written and waits for its restart; nothing was restarted.
    assert file_hashes(box.server_xml, box.web_xml, box.keystore) == files
    assert box.pid() == pid
    info = run_module('starface_webserver_info', box_args(box))
    assert info.result['restart_required'] is True, info.output

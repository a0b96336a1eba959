# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmarks on lab boxes: module overhead, fleet rollout, scaling, memory; writes docs/benchmarks.md."""
from __future__ import annotations

import argparse
import datetime
import ipaddress
import json
import math
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / 'tests'), str(REPO / '.build' / 'collections')]

# pylint: disable=wrong-import-position
from hardening.boxstate import PortGrabbingRestart, RestartCounter  # noqa: E402
from integration.openssl_ca import OpensslCa  # noqa: E402
from integration.runner import ansible_env, box_args  # noqa: E402
from lab.boxes import destroy_boxes  # noqa: E402
from lab.clients import get, served_sha256  # noqa: E402
from lab.starface_lab import PROVISIONING_HTTP_PORT, PROVISIONING_HTTPS_PORT, LabBox, LabError  # noqa: E402

BIN = Path(sys.executable).parent
FIRST_ADDRESS = '127.0.1.10'
OVERHEAD_TARGET = 1.2
FLOOR_TARGET = 1.3
NO_CHANGE_TARGET = 1.5
MODULE_RUNS_TARGET = 2
CALLBACKS = Path(__file__).resolve().parent / 'callback_plugins'
FIRST_BATCH = 1
BATCH = 5
SCALES = (5, 10, 20)
FAIL_FAST_PORT = 8443
FAIL_FAST_TIMEOUT = 300
JAVA_PROGRAMS = ('java', 'keytool', 'javac', 'jshell')
MAX_RSS_RE = re.compile(r'Maximum resident set size \(kbytes\): (\d+)')
EXECVE_RE = re.compile(r'execve\("([^"]+)"')

PING_PLAY = '''- name: Ping every box
  hosts: starface
  gather_facts: false
{serial}  tasks:
    - name: Ping
      ansible.builtin.ping:
'''
ROLE_PLAY = '''- name: Apply the role to every box at once
  hosts: starface
  gather_facts: false
  roles:
    - role: telephony.starface.starface_webserver
'''
MODULE_PLAY = '''- name: New provisional certificates, one restart per box (modules only)
  hosts: starface
  gather_facts: false
  serial: [{first}, {batch}]
  module_defaults:
    group/telephony.starface.starface:
      tomcat_base: "{{{{ starface_webserver_tomcat_base }}}}"
      restart_command: "{{{{ starface_webserver_restart_command }}}}"
      restart_timeout: 60
  tasks:
    - name: Make a new provisional certificate, restart later
      telephony.starface.starface_csr:
        state: selfsigned
        force: "{{{{ starface_webserver_force_renewal | default(false) }}}}"
        server_name: "{{{{ starface_webserver_server_name }}}}"
        subject_alt_names: "{{{{ starface_webserver_subject_alt_names }}}}"
        restart: false
    - name: Restart once, verify, commit
      telephony.starface.starface_restart:
'''


class Bench:
    """Boxes, their restart counters and a work directory; every box is destroyed at the end."""

    def __init__(self, work: Path, count: int, first_address: str):
        self.work = work
        self.boxes = []
        self.counters = {}
        first = ipaddress.ip_address(first_address)
        self.addresses = [str(first + number) for number in range(count)]

    # -- boxes ---------------------------------------------------------------------------------------------

    def check_addresses(self) -> None:
        """Refuse to start when something already listens on a box port of the bench's addresses."""
        for address in self.addresses:
            for port in (80, 443, PROVISIONING_HTTP_PORT, PROVISIONING_HTTPS_PORT):
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    try:
                        sock.bind((address, port))
                    except OSError as err:
                        raise LabError('%s:%d is not free (%s): stop what uses the bench addresses %s-%s'
                                       % (address, port, err, self.addresses[0], self.addresses[-1])) from None

    def make_boxes(self) -> float:
        """Create and start the boxes (two at a time: two cores); return the seconds it took."""
        began = time.monotonic()
        self.boxes = [LabBox(self.work / 'boxes' / ('box-%02d' % number))
                      for number in range(1, len(self.addresses) + 1)]

        def make(pair):
            box, address = pair
            box.create(address, server_name='%s.bench.test' % box.root.name)
            (box.root / 'bench').mkdir()
            self.counters[box.root.name] = RestartCounter(box, box.root / 'bench')
            box.start()

        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(make, zip(self.boxes, self.addresses)))
        return time.monotonic() - began

    def destroy(self) -> list:
        """Destroy every box that was made; return the errors."""
        return destroy_boxes(self.boxes)

    def restarts(self) -> dict:
        """Restarts counted per box so far."""
        return dict((name, counter.count) for name, counter in self.counters.items())

    def pids(self) -> dict:
        """Tomcat's PID per box."""
        return dict((box.root.name, box.pid()) for box in self.boxes)

    def restart_command(self, box) -> str:
        """The counting restart command of a box."""
        return str(self.counters[box.root.name].command)

    # -- inventory -------------------------------------------------------------------------------------------

    def inventory(self, boxes) -> Path:
        """Write an inventory of these boxes (group starface, local connection) and return its path."""
        hosts = {}
        for box in boxes:
            hosts[box.root.name] = dict(
                ansible_connection='local',
                starface_webserver_tomcat_base=str(box.base),
                starface_webserver_restart_command=self.restart_command(box),
                starface_webserver_restart_timeout=60,
                starface_webserver_verify_address=box.address,
                starface_webserver_server_name=box.server_name,
                starface_webserver_subject_alt_names=[box.address])
        path = self.work / ('inventory-%d.json' % len(boxes))
        path.write_text(json.dumps(dict(starface=dict(
            hosts=hosts, vars=dict(starface_webserver_certificate_source='selfsigned',
                                   starface_webserver_report_dir=str(self.work / 'report')))), indent=2))
        return path


# -- running Ansible ----------------------------------------------------------------------------------------------

def run_timed(command: list, log: Path, peak_rss: bool = False, env: dict = None) -> dict:
    """Run an Ansible command; return its seconds, exit code and (with peak_rss) the peak RSS in KiB.

    The peak RSS is GNU time's (package time); without it, the children's peak from getrusage when this
    run raised it, else None.
    """
    gnu_time = peak_rss and Path('/usr/bin/time').exists()
    if gnu_time:
        command = ['/usr/bin/time', '-v'] + command
    children_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    began = time.monotonic()
    done = subprocess.run(command, env=env or ansible_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=3600, check=False)
    seconds = time.monotonic() - began
    with open(str(log), 'a', encoding='utf-8') as handle:
        handle.write('$ %s\n%s\n' % (' '.join(command), done.stdout))
    found = MAX_RSS_RE.search(done.stdout) if gnu_time else None
    rss_kib = int(found.group(1)) if found else None
    if peak_rss and not gnu_time and resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss > children_peak:
        rss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return dict(seconds=seconds, rc=done.returncode, rss_kib=rss_kib, output=done.stdout)


def mitogen_env():
    """Ansible's environment with Mitogen for Ansible's mitogen_linear strategy, or None when mitogen is missing."""
    try:
        import ansible_mitogen  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    env = ansible_env()
    env.update(ANSIBLE_STRATEGY_PLUGINS=os.path.join(os.path.dirname(ansible_mitogen.__file__), 'plugins', 'strategy'),
               ANSIBLE_STRATEGY='mitogen_linear')
    return env


def counting_env():
    """Ansible's environment with the task_count callback, which prints TASKCOUNT {host: counts} at the end."""
    env = ansible_env()
    env.update(ANSIBLE_CALLBACK_PLUGINS=env['ANSIBLE_CALLBACK_PLUGINS'] + os.pathsep + str(CALLBACKS),
               ANSIBLE_CALLBACKS_ENABLED='task_count')
    return env


def task_times(output: str) -> list:
    """The TASKTIME line of a run with counting_env: [task name, seconds] in order."""
    lines = [line for line in output.splitlines() if line.startswith('TASKTIME ')]
    return json.loads(lines[-1][len('TASKTIME '):]) if lines else []


def task_counts(output: str) -> dict:
    """The TASKCOUNT line of a run with counting_env, as {host: dict(tasks, skipped, modules)}."""
    lines = [line for line in output.splitlines() if line.startswith('TASKCOUNT ')]
    return json.loads(lines[-1][len('TASKCOUNT '):]) if lines else {}


def ad_hoc(module: str, args: dict) -> list:
    """The command that runs a module on localhost, as the integration tests do."""
    command = [str(BIN / 'ansible'), 'localhost', '-i', 'localhost,', '-c', 'local', '-m', module]
    if args:
        command += ['-a', json.dumps(args)]
    return command


def playbook(inventory: Path, play, *extra: str) -> list:
    """The command that runs a playbook over an inventory with a fork per box."""
    return [str(BIN / 'ansible-playbook'), '-i', str(inventory), '-f', '20', str(play)] + list(extra)


def programs_started(command: list, work: Path) -> list:
    """Run a command under strace; return the programs it and its children executed (basenames)."""
    trace = work / 'execve.trace'
    subprocess.run(['strace', '-f', '-qq', '-e', 'trace=execve', '-o', str(trace)] + command, env=ansible_env(),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, timeout=600)
    programs = [os.path.basename(path) for path in EXECVE_RE.findall(trace.read_text(errors='replace'))]
    trace.unlink()
    return programs


# -- the measurements -----------------------------------------------------------------------------------------

def overhead(bench: Bench, ca: OpensslCa, runs: int, log: Path) -> dict:
    """No-change runs of each module against ansible.builtin.ping: medians, ratios, restarts, Java processes."""
    plain, imported = bench.boxes[0], bench.boxes[1]
    request = dict(box_args(imported), restart_command=bench.restart_command(imported),
                   server_name=imported.server_name, subject_alt_names=[imported.address])
    made = run_timed(ad_hoc('telephony.starface.starface_csr', request), log)
    csr = json.loads([line for line in made['output'].splitlines() if line.startswith('RESULT ')][-1][7:])['csr']
    answer = dict(box_args(imported), restart_command=bench.restart_command(imported), server_name=imported.server_name,
                  certificate=ca.response(ca.sign(csr, name='bench')), root_certificate=ca.text('root'))
    if run_timed(ad_hoc('telephony.starface.starface_cert_import', answer), log)['rc']:
        raise LabError('the import that prepares the overhead measurement failed: see %s' % log)

    base = dict(box_args(plain), restart_command=bench.restart_command(plain))
    cases = [
        ('ansible.builtin.ping', ad_hoc('ansible.builtin.ping', {})),
        ('starface_webserver', ad_hoc('telephony.starface.starface_webserver', dict(
            base, http_enabled=True, http_port=80, https_enabled=True, https_port=443, force_https=False))),
        ('starface_webserver_info', ad_hoc('telephony.starface.starface_webserver_info', base)),
        ('starface_csr selfsigned', ad_hoc('telephony.starface.starface_csr', dict(
            base, state='selfsigned', server_name=plain.server_name, subject_alt_names=[plain.address]))),
        ('starface_cert_import', ad_hoc('telephony.starface.starface_cert_import', answer)),
        ('starface_restart', ad_hoc('telephony.starface.starface_restart', base)),
        ('starface_plan', ad_hoc('telephony.starface.starface_plan', dict(
            base, settings=dict(http_enabled=True, http_port=80, https_enabled=True, https_port=443, force_https=False),
            certificate=dict(source='selfsigned', server_name=plain.server_name, subject_alt_names=[plain.address])))),
    ]
    restarts, pids = bench.restarts(), bench.pids()
    times = dict((name, []) for name, dummy in cases)
    failures = []
    for dummy in range(runs):
        for name, command in cases:
            result = run_timed(command, log)
            times[name].append(result['seconds'])
            if result['rc'] or '"changed": true' in result['output']:
                failures.append(name)
    java = {}
    if shutil.which('strace'):
        for name, command in cases:
            java[name] = sum(1 for program in programs_started(command, bench.work) if program in JAVA_PROGRAMS)
    ping = statistics.median(times['ansible.builtin.ping'])
    rows = []
    for name, command in cases:
        median = statistics.median(times[name])
        rows.append(dict(name=name, median=median, ratio=median / ping, java=java.get(name),
                         process=module_process_seconds(command, bench.work)))
    return dict(rows=rows, runs=runs, failures=sorted(set(failures)), strace=bool(java),
                restarts=sum(bench.restarts().values()) - sum(restarts.values()), pids_unchanged=bench.pids() == pids)


def module_process_seconds(command: list, work: Path, runs: int = 5) -> float:
    """Median seconds of the module's own process: its AnsiballZ file (kept by one more run) run again by itself.

    The ad hoc run's wall time less this is Ansible on the controller: starting, building and sending the module.
    """
    remote = work / 'remote-tmp'
    shutil.rmtree(str(remote), ignore_errors=True)
    env = dict(ansible_env(), ANSIBLE_KEEP_REMOTE_FILES='1', ANSIBLE_REMOTE_TMP=str(remote))
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, timeout=600)
    payloads = sorted(remote.glob('*/AnsiballZ_*.py'))
    if not payloads:
        return None
    seconds = []
    for dummy in range(runs):
        began = time.monotonic()
        subprocess.run([env['ANSIBLE_PYTHON_INTERPRETER'], str(payloads[0])], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False, timeout=600)
        seconds.append(time.monotonic() - began)
    shutil.rmtree(str(remote), ignore_errors=True)
    return statistics.median(seconds)


class FleetRequests:
    """HTTPS requests to the boxes in turn (a new connection each, one every interval s) while a rollout runs."""

    def __init__(self, addresses: list, interval: float = 0.05):
        self.addresses, self.interval = addresses, interval
        self.ok = 0
        self.failed = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()
        return False

    def _run(self):
        number = 0
        while not self._stop.is_set():
            address = self.addresses[number % len(self.addresses)]
            number += 1
            try:
                if get(address, 443, '/rest/login', tls=True)[0] == 200:
                    self.ok += 1
                else:
                    self.failed.append(address)
            except OSError:
                self.failed.append(address)
            self._stop.wait(self.interval)

    def facts(self) -> dict:
        return dict(requests=self.ok + len(self.failed), failed=len(self.failed),
                    boxes_with_failures=len(set(self.failed)))


def one_restart(box, runs: int = 3) -> float:
    """Median seconds of the box's own restart command (stop, start, wait until it serves)."""
    seconds = []
    for dummy in range(runs):
        began = time.monotonic()
        subprocess.run([str(box.restart_command)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        seconds.append(time.monotonic() - began)
    return statistics.median(seconds)


def batch_restart(boxes: list) -> float:
    """Seconds for these boxes' restart commands run all at once, as a batch of the rollout restarts them."""
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(boxes)) as pool:
        list(pool.map(lambda box: subprocess.run([str(box.restart_command)], stdout=subprocess.DEVNULL,
                                                 stderr=subprocess.DEVNULL, check=True), boxes))
    return time.monotonic() - began


def batches(count: int) -> int:
    """Batches of the rollout: a canary box, then BATCH boxes at a time."""
    return 1 + math.ceil(max(count - FIRST_BATCH, 0) / BATCH)


def fleet(bench: Bench, log: Path) -> dict:
    """Roll new certificates over every box with the rollout playbook, then rerun it without change."""
    inventory = bench.inventory(bench.boxes)
    restart_seconds = one_restart(bench.boxes[2])
    batch_seconds = batch_restart(bench.boxes[:BATCH])
    before = dict((box.root.name, served_sha256(box.address, 443)) for box in bench.boxes)
    restarts = bench.restarts()
    serial = ['-e', 'starface_batch=%d' % BATCH]
    method = 'playbooks/rollout.yml (the role, source selfsigned, force_renewal)'
    addresses = [box.address for box in bench.boxes]
    with FleetRequests(addresses) as requests:
        rollout = run_timed(playbook(inventory, 'telephony.starface.rollout', *serial, '-e',
                                     'starface_webserver_force_renewal=true'), log, peak_rss=True, env=counting_env())
    rollout_requests = requests.facts()
    if rollout['rc']:
        method = ('modules in a play (starface_csr selfsigned force, restart: false; starface_restart): the role '
                  'failed, see %s' % log)
        play = bench.work / 'modules.yml'
        play.write_text(MODULE_PLAY.format(first=FIRST_BATCH, batch=BATCH))
        before = dict((box.root.name, served_sha256(box.address, 443)) for box in bench.boxes)
        restarts = bench.restarts()
        rollout = run_timed(playbook(inventory, play, '-e', 'starface_webserver_force_renewal=true'), log,
                            peak_rss=True)
        rerun_command = playbook(inventory, play)
    else:
        rerun_command = playbook(inventory, 'telephony.starface.rollout', *serial)
    changed = dict((name, count - restarts[name]) for name, count in bench.restarts().items())
    new_certificates = sum(1 for box in bench.boxes if served_sha256(box.address, 443) != before[box.root.name])

    restarts, pids = bench.restarts(), bench.pids()
    rerun = run_timed(rerun_command, log, peak_rss=True)
    rerun_restarts = sum(bench.restarts().values()) - sum(restarts.values())
    rerun_pids_unchanged = bench.pids() == pids
    ping_play = bench.work / 'ping-serial.yml'
    ping_play.write_text(PING_PLAY.format(serial='  serial: [%d, %d]\n' % (FIRST_BATCH, BATCH)))
    ping = run_timed(playbook(inventory, ping_play), log, peak_rss=True)
    floor = batches(len(bench.boxes)) * restart_seconds
    reload = reload_rollout(bench, inventory, serial, log)
    mitogen = mitogen_rollout(bench, inventory, serial, log)
    rollout_tasks = {}
    for name, seconds in task_times(rollout['output']):
        rollout_tasks[name] = rollout_tasks.get(name, 0) + (seconds or 0)
    return dict(method=method, boxes=len(bench.boxes), batches=batches(len(bench.boxes)),
                batch_seconds=batch_seconds, rollout_tasks=sorted(rollout_tasks.items(), key=lambda item: -item[1]),
                rollout_requests=rollout_requests, reload=reload, mitogen=mitogen,
                restart_seconds=restart_seconds, floor=floor, rollout=rollout, rollout_rc=rollout['rc'],
                restarts_per_box=sorted(set(changed.values())), new_certificates=new_certificates,
                rerun=rerun, ping=ping, rerun_restarts=rerun_restarts, rerun_pids_unchanged=rerun_pids_unchanged)


def reload_rollout(bench: Bench, inventory: Path, serial: list, log: Path) -> dict:
    """The same rollout with activation auto: each box reloads its keystore, with HTTPS requests running."""
    before = dict((box.root.name, served_sha256(box.address, 443)) for box in bench.boxes)
    restarts, pids = bench.restarts(), bench.pids()
    with FleetRequests([box.address for box in bench.boxes]) as requests:
        run = run_timed(playbook(inventory, 'telephony.starface.rollout', *serial, '-e',
                                 'starface_webserver_force_renewal=true', '-e', 'starface_webserver_activation=auto'),
                        log, peak_rss=True)
    return dict(run=run, rc=run['rc'], requests=requests.facts(),
                restarts=sum(bench.restarts().values()) - sum(restarts.values()),
                pids_unchanged=bench.pids() == pids,
                new_certificates=sum(1 for box in bench.boxes
                                     if served_sha256(box.address, 443) != before[box.root.name]))


def mitogen_rollout(bench: Bench, inventory: Path, serial: list, log: Path):
    """The rollout and its no-change rerun under mitogen_linear (None without mitogen)."""
    env = mitogen_env()
    if env is None:
        return None
    before = dict((box.root.name, served_sha256(box.address, 443)) for box in bench.boxes)
    restarts = bench.restarts()
    run = run_timed(playbook(inventory, 'telephony.starface.rollout', *serial, '-e',
                             'starface_webserver_force_renewal=true'), log, peak_rss=True, env=env)
    changed = dict((name, count - restarts[name]) for name, count in bench.restarts().items())
    new_certificates = sum(1 for box in bench.boxes if served_sha256(box.address, 443) != before[box.root.name])
    restarts = bench.restarts()
    rerun = run_timed(playbook(inventory, 'telephony.starface.rollout', *serial), log, peak_rss=True, env=env)
    return dict(run=run, rc=run['rc'], rerun=rerun, restarts_per_box=sorted(set(changed.values())),
                new_certificates=new_certificates,
                rerun_restarts=sum(bench.restarts().values()) - sum(restarts.values()))


def scaling(bench: Bench, runs: int, log: Path) -> list:
    """No-change runs of the role (no serial, a fork per box) at several fleet sizes, against a ping play."""
    role_play = bench.work / 'role.yml'
    role_play.write_text(ROLE_PLAY)
    ping_play = bench.work / 'ping.yml'
    ping_play.write_text(PING_PLAY.format(serial=''))
    rows = []
    for count in SCALES:
        if count > len(bench.boxes):
            continue
        inventory = bench.inventory(bench.boxes[:count])
        restarts = sum(bench.restarts().values())
        role = [run_timed(playbook(inventory, role_play), log) for dummy in range(runs)]
        ping = [run_timed(playbook(inventory, ping_play), log) for dummy in range(runs)]
        role_median = statistics.median(result['seconds'] for result in role)
        ping_median = statistics.median(result['seconds'] for result in ping)
        # One more run, counting tasks and module runs per box (not in the medians: the callback costs a little).
        counted = run_timed(playbook(inventory, role_play), log, env=counting_env())
        counts = list(task_counts(counted['output']).values())
        env = mitogen_env()
        mitogen = None
        if env is not None:
            mitogen_role = [run_timed(playbook(inventory, role_play), log, env=env) for dummy in range(runs)]
            mitogen_ping = [run_timed(playbook(inventory, ping_play), log, env=env) for dummy in range(runs)]
            mitogen = dict(role=statistics.median(result['seconds'] for result in mitogen_role),
                           ping=statistics.median(result['seconds'] for result in mitogen_ping),
                           failed=sum(1 for result in mitogen_role if result['rc']))
        rows.append(dict(boxes=count, role=role_median, ping=ping_median, ratio=role_median / ping_median,
                         per_box=role_median / count, failed=sum(1 for result in role if result['rc']),
                         restarts=sum(bench.restarts().values()) - restarts,
                         tasks=max(item['tasks'] + item['skipped'] for item in counts) if counts else None,
                         skipped=max(item['skipped'] for item in counts) if counts else None,
                         modules=max(item['modules'] for item in counts) if counts else None,
                         task_times=task_times(counted['output']), mitogen=mitogen))
    return rows


def fail_fast(bench: Bench, log: Path) -> dict:
    """A port change whose new port another program takes at the restart: how soon the rollback comes."""
    box = bench.boxes[-1]
    directory = bench.work / 'fail-fast'
    directory.mkdir()
    restart = PortGrabbingRestart(box, FAIL_FAST_PORT, directory)
    try:
        done = run_timed(ad_hoc('telephony.starface.starface_webserver', dict(
            box_args(box), https_port=FAIL_FAST_PORT, restart_command=str(restart.command),
            restart_timeout=FAIL_FAST_TIMEOUT)), log)
    finally:
        restart.release()
    lines = [line for line in done['output'].splitlines() if line.startswith('RESULT ')]
    result = json.loads(lines[-1][7:]) if lines else {}
    calls = restart.calls()
    return dict(seconds=done['seconds'], timeout=FAIL_FAST_TIMEOUT, port=FAIL_FAST_PORT,
                restart_to_rollback=calls[1] - calls[0] if len(calls) > 1 else None,
                rolled_back=result.get('rolled_back') is True, quoted='Tomcat logged in' in result.get('msg', ''),
                serving=served_sha256(box.address, 443) is not None)


def memory(bench: Bench) -> dict:
    """RSS of the boxes' JVMs in MiB."""
    rss = [box.status()['rss_kib'] / 1024.0 for box in bench.boxes]
    return dict(median=statistics.median(rss), max=max(rss), total=sum(rss))


# -- the machine and the report -----------------------------------------------------------------------------------

def first_line(command: list) -> str:
    """The first line a version command prints, or '?'."""
    try:
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                              check=False, timeout=60)
    except OSError:
        return '?'
    lines = done.stdout.strip().splitlines()
    return lines[0].strip() if lines else '?'


def machine() -> dict:
    """What the benchmark ran on."""
    cpu = '?'
    with open('/proc/cpuinfo', encoding='utf-8') as handle:
        for line in handle:
            if line.startswith('model name'):
                cpu = line.split(':', 1)[1].strip()
                break
    with open('/proc/meminfo', encoding='utf-8') as handle:
        total_kib = int(handle.readline().split()[1])
    return dict(date=datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
                cpus=os.cpu_count(), cpu=cpu, memory='%.1f GiB' % (total_kib / 1024.0 / 1024.0),
                kernel=platform.release(), python=platform.python_version(),
                ansible=first_line([str(BIN / 'ansible'), '--version']), java=first_line(['java', '-version']),
                tomcat=first_line(['sh', '/usr/share/tomcat10/bin/version.sh']) if Path(
                    '/usr/share/tomcat10/bin/version.sh').exists() else '?')


def verdict(value: float, target: float) -> str:
    """'yes' when value is within target, else 'no'."""
    return 'yes' if value <= target else 'no'


def machine_section(host: dict) -> list:
    """The machine the figures were measured on."""
    rows = [('CPUs (nproc)', host['cpus']), ('CPU', host['cpu']), ('memory', host['memory']),
            ('kernel', host['kernel']), ('Python', host['python']), ('Ansible', host['ansible']),
            ('Java', host['java']), ('Tomcat', host['tomcat'])]
    return ['## Machine', '', '| | |', '| --- | --- |'] + ['| %s | %s |' % row for row in rows]


def overhead_section(over: dict) -> list:
    """Module runs that change nothing, against ping."""
    method = ('Each module run ad hoc (`ansible localhost -m ...`, local connection) on a lab box where nothing is '
              'to do, %d times, interleaved with `ansible.builtin.ping`; median wall time and the ratio to '
              "ping's median. Target: at most %.1fx. Java processes: programs named java, keytool or javac that "
              'the run executed, counted with `strace -f -e trace=execve` in one more run of each.'
              % (over['runs'], OVERHEAD_TARGET))
    lines = ['## Overhead of a run that changes nothing', '', method, '',
             '| module (no change) | median s | x ping | within %.1fx | Java processes | module process s | '
             'rest (controller) s |' % OVERHEAD_TARGET,
             '| --- | ---: | ---: | --- | ---: | ---: | ---: |']
    for row in over['rows']:
        java = '-' if row['java'] is None else str(row['java'])
        process = row.get('process')
        lines.append('| %s | %.2f | %.2f | %s | %s | %s | %s |'
                     % (row['name'], row['median'], row['ratio'], verdict(row['ratio'], OVERHEAD_TARGET), java,
                        '-' if process is None else '%.2f' % process,
                        '-' if process is None else '%.2f' % (row['median'] - process)))
    lines += ['', 'Module process: the AnsiballZ file of one more run, kept (`ANSIBLE_KEEP_REMOTE_FILES`) and run '
              'again by itself 5 times (median): Python starting, unpacking and importing the module and its '
              'module_utils (compiled from source: the zip holds no bytecode), and the module\'s own work. The '
              'rest is Ansible on the controller: starting, reading the inventory, building the module, '
              'running it and reading its result.']
    note = ('Restarts during these runs: %d (counted by a wrapper around the restart command); Tomcat PIDs '
            'unchanged: %s; runs that failed or reported a change: %s.'
            % (over['restarts'], yes_no(over['pids_unchanged']), ', '.join(over['failures']) or 'none'))
    if not over['strace']:
        note += ' strace is not installed: Java processes were not counted.'
    return lines + ['', note]


def fleet_section(fleet_facts: dict, cpus) -> list:
    """The rollout of new certificates and its no-change rerun."""
    rollout, rerun, ping = fleet_facts['rollout'], fleet_facts['rerun'], fleet_facts['ping']
    method = ('Method: %s, `-f 20`, serial: a canary box, then %d boxes at a time (%d batches). The floor is what '
              'the restarts alone take: batches x one restart of one box measured alone (%.2f s: the lab\'s '
              'restart command stops Tomcat, starts it and waits until it serves). Boxes restarted in one batch '
              'share the machine\'s %s CPUs, so the floor is optimistic. Target: within %.1fx of the floor, '
              'exactly one restart per changed box.'
              % (fleet_facts['method'], BATCH, fleet_facts['batches'], fleet_facts['restart_seconds'], cpus,
                 FLOOR_TARGET))
    rows = [('rollout (new certificates)', rollout['seconds'], 'floor %.1f s' % fleet_facts['floor'],
             '%.2f' % (rollout['seconds'] / fleet_facts['floor']), mib(rollout['rss_kib'])),
            ('rerun, nothing to change', rerun['seconds'], 'ping play, same serial, %.1f s' % ping['seconds'],
             '%.2f' % (rerun['seconds'] / ping['seconds']), mib(rerun['rss_kib'])),
            ('ping play', ping['seconds'], '', '', mib(ping['rss_kib'])),
            ('rollout with activation auto (reload)', fleet_facts['reload']['run']['seconds'],
             'floor %.1f s' % fleet_facts['floor'],
             '%.2f' % (fleet_facts['reload']['run']['seconds'] / fleet_facts['floor']),
             mib(fleet_facts['reload']['run']['rss_kib']))]
    note = ('Rollout exit code %d; restarts per box during the rollout: %s; boxes serving a new certificate '
            'afterwards: %d of %d. The rerun restarted %d boxes (Tomcat PIDs unchanged: %s).'
            % (fleet_facts['rollout_rc'], ', '.join(str(count) for count in fleet_facts['restarts_per_box']),
               fleet_facts['new_certificates'], fleet_facts['boxes'], fleet_facts['rerun_restarts'],
               yes_no(fleet_facts['rerun_pids_unchanged'])))
    reload, during = fleet_facts['reload'], fleet_facts['rollout_requests']
    note += (' During the rollout, HTTPS requests to the boxes in turn (a new connection every 0.05 s) failed %d of '
             '%d times, on %d boxes: a restarting box does not answer.' % (during['failed'], during['requests'],
                                                                           during['boxes_with_failures']))
    note += ('\n\nThe same rollout with `starface_webserver_activation: auto` (the running Tomcat reloads its '
             'keystore): exit code %d, restarts %d, Tomcat PIDs unchanged: %s, boxes serving a new certificate '
             'afterwards: %d of %d; HTTPS requests during it failed %d of %d times.'
             % (reload['rc'], reload['restarts'], yes_no(reload['pids_unchanged']), reload['new_certificates'],
                fleet_facts['boxes'], reload['requests']['failed'], reload['requests']['requests']))
    mitogen = fleet_facts.get('mitogen')
    if mitogen:
        rows += [('rollout, mitogen_linear', mitogen['run']['seconds'], 'floor %.1f s' % fleet_facts['floor'],
                  '%.2f' % (mitogen['run']['seconds'] / fleet_facts['floor']), mib(mitogen['run']['rss_kib'])),
                 ('rerun, mitogen_linear', mitogen['rerun']['seconds'], 'ping play, same serial, %.1f s' % ping['seconds'],
                  '%.2f' % (mitogen['rerun']['seconds'] / ping['seconds']), mib(mitogen['rerun']['rss_kib']))]
        note += ('\n\nUnder mitogen_linear: rollout exit code %d, rerun exit code %d, restarts per box during the '
                 'rollout: %s, boxes serving a new certificate afterwards: %d of %d, restarts during the rerun: %d.'
                 % (mitogen['rc'], mitogen['rerun']['rc'], ', '.join(str(count) for count in mitogen['restarts_per_box']),
                    mitogen['new_certificates'], fleet_facts['boxes'], mitogen['rerun_restarts']))
    return (['## Fleet: a new certificate on %d boxes' % fleet_facts['boxes'], '', method, '',
             '| run | wall s | compared with | ratio | peak RSS of ansible-playbook |',
             '| --- | ---: | --- | ---: | ---: |'] + ['| %s | %.1f | %s | %s | %s |' % row for row in rows] +
            ['', note])


def scaling_section(rows: list, runs: int) -> list:
    """No-change runs of the role at several fleet sizes."""
    lines = ['## Scaling of a run that changes nothing', '',
             'The role on every box at once (no serial, `-f 20`), against a play with one ping task over the same '
             'boxes; median of %d runs each.' % runs, '',
             '| boxes | role s | ping play s | x ping | role s per box | failed runs | restarts | tasks per box '
             '(skipped) | module runs per box | role s, mitogen_linear | ping play s, mitogen_linear |',
             '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |']
    for row in rows:
        mitogen = row.get('mitogen')
        lines.append('| %d | %.1f | %.1f | %.2f | %.2f | %d | %d | %s | %s | %s | %s |' % (
            row['boxes'], row['role'], row['ping'], row['ratio'], row['per_box'], row['failed'], row['restarts'],
            '-' if row.get('tasks') is None else '%d (%d)' % (row['tasks'], row['skipped']),
            '-' if row.get('modules') is None else str(row['modules']),
            '-' if mitogen is None else '%.1f%s' % (
                mitogen['role'], ' (%d failed)' % mitogen['failed'] if mitogen['failed'] else ''),
            '-' if mitogen is None else '%.1f' % mitogen['ping']))
    lines += ['', 'Tasks and module runs per box: the most any box had, counted in one more run with the bench\'s '
              'task_count callback (tests/bench/callback_plugins/); a skipped task counts as a task. '
              'mitogen_linear: the same plays with Mitogen for Ansible\'s strategy (PyPI mitogen), %d runs each.'
              % runs]
    return lines


def task_time_section(rows: list) -> list:
    """Where the no-change run's time goes, task by task, at the largest fleet size."""
    if not rows or not rows[-1].get('task_times'):
        return []
    row = rows[-1]
    total = sum(seconds or 0 for dummy, seconds in row['task_times'])
    lines = ['## Where a no-change run spends its time', '',
             'The counted run of the role on %d boxes (scaling above), task by task: seconds from the start of '
             'a task to the start of the next, over all boxes (a fork per box, %s CPUs). Sum %.1f s; the rest '
             'of the run is Ansible starting and reading the inventory and the role.'
             % (row['boxes'], os.cpu_count(), total), '', '| task | s |', '| --- | ---: |']
    lines += ['| %s | %.2f |' % (name.split(' : ', 1)[-1], seconds or 0) for name, seconds in row['task_times']]
    return lines


def rollout_time_section(fleet_facts: dict) -> list:
    """Where the rollout spends its time, by task summed over the batches, and what a batch's restarts take."""
    tasks = fleet_facts.get('rollout_tasks')
    if not tasks:
        return []
    lines = ['## Where the rollout spends its time', '',
             'The rollout above (counted with the task_count callback), each task\'s seconds summed over the %d '
             'batches, the ten largest. %d boxes restarted at once, as a batch is, took %.1f s (one box alone %.1f '
             's): %d batches of restarts alone are %.1f s on this machine.'
             % (fleet_facts['batches'], BATCH, fleet_facts['batch_seconds'], fleet_facts['restart_seconds'],
                fleet_facts['batches'], (fleet_facts['batches'] - 1) * fleet_facts['batch_seconds']
                + fleet_facts['restart_seconds']), '', '| task | s |', '| --- | ---: |']
    lines += ['| %s | %.2f |' % (name.split(' : ', 1)[-1], seconds) for name, seconds in tasks[:10]]
    return lines


def fail_fast_section(fast: dict) -> list:
    """The restart whose new port another program took."""
    gap = '-' if fast['restart_to_rollback'] is None else '%.1f' % fast['restart_to_rollback']
    return ['## A restart that fails', '',
            'starface_webserver moves HTTPS to port %d with `restart_timeout: %d`; the restart command lets another '
            'program take that port first and returns at once, as `systemctl restart` does (tests/hardening/'
            'boxstate.py, PortGrabbingRestart). Tomcat logs the bind error; the module reads it from '
            '`catalina.out`, ends the wait and rolls back.' % (fast['port'], fast['timeout']), '',
            '| restart to rollback restart s | whole run s | restart_timeout s | rolled back | Tomcat quoted | '
            'serving again |', '| ---: | ---: | ---: | --- | --- | --- |',
            '| %s | %.1f | %d | %s | %s | %s |' % (gap, fast['seconds'], fast['timeout'], yes_no(fast['rolled_back']),
                                                   yes_no(fast['quoted']), yes_no(fast['serving']))]


def memory_section(rss: dict, facts: dict) -> list:
    """Memory of the boxes, and where the boxes were."""
    return ['## Memory', '',
            "Resident memory of the boxes' Tomcat JVMs (`-Xmx128m`, serial GC): median %.0f MiB, largest %.0f MiB, "
            'all %d boxes %.0f MiB. The peak RSS of ansible-playbook in the fleet table is that of its largest '
            'single process (`/usr/bin/time -v`).' % (rss['median'], rss['max'], len(facts['addresses']), rss['total']),
            '', 'Boxes: %s to %s; creating and starting them took %.0f s.'
            % (facts['addresses'][0], facts['addresses'][-1], facts['setup_seconds'])]


PLAN_TASK = 'Find out what this run has to change on the box'
RESTART_HANDLER = 'Restart STARFACE web server'


def overhead_row(facts: dict, name: str):
    """The overhead table's row of a module, or None."""
    return next((row for row in facts['overhead']['rows'] if row['name'] == name), None)


def no_change_why(facts: dict, row: dict) -> str:
    """Where a no-change role run's time went, from its counted run and the module processes measured."""
    times = row.get('task_times') or []
    plan = sum(seconds or 0 for name, seconds in times if name.endswith(PLAN_TASK))
    others = sum(seconds or 0 for name, seconds in times if not name.endswith(PLAN_TASK))
    ping, planned = overhead_row(facts, 'ansible.builtin.ping'), overhead_row(facts, 'starface_plan')
    why = ('the plan task (one module run per box) took %.1f s, the %d other tasks %.1f s, against %.1f s for the '
           'whole ping play' % (plan, max(len(times) - 1, 0), others, row['ping']))
    if ping and planned and ping.get('process') and planned.get('process'):
        why += '; a starface_plan process takes %.2f s, a ping process %.2f s' % (planned['process'], ping['process'])
    return why


def rollout_why(fleet_facts: dict) -> str:
    """Where the rollout's time went: restarts of a batch at once, and the other tasks."""
    tasks = dict(fleet_facts.get('rollout_tasks') or [])
    restart = sum(seconds for name, seconds in tasks.items() if name.endswith(RESTART_HANDLER))
    others = sum(seconds for name, seconds in tasks.items() if not name.endswith(RESTART_HANDLER))
    return ('%d boxes restarted at once take %.1f s, not the %.1f s of one box alone (the floor); the restart '
            'handler took %.1f s over the batches, the other tasks %.1f s (see where the rollout spends its time)'
            % (BATCH, fleet_facts['batch_seconds'], fleet_facts['restart_seconds'], restart, others))


def module_why(facts: dict, row: dict) -> str:
    """Where a module run's time went beyond ping's: its own process, and Ansible on the controller."""
    ping = overhead_row(facts, 'ansible.builtin.ping')
    if not ping or ping.get('process') is None or row.get('process') is None:
        return 'module process not measured'
    return ('module process %.2f s against ping\'s %.2f s; the controller %.2f s against %.2f s'
            % (row['process'], ping['process'], row['median'] - row['process'], ping['median'] - ping['process']))


def targets(facts: dict) -> list:
    """Each target of issue #14 with the figure measured for it: (target, measured, met, why when missed)."""
    fleet_facts, rows = facts['fleet'], []
    for row in facts['scaling']:
        if row['boxes'] in (5, 20) or row is facts['scaling'][-1]:
            rows.append(('no-change role run, %d boxes, at most %.1fx a ping play' % (row['boxes'], NO_CHANGE_TARGET),
                         '%.2fx (%.1f s / %.1f s)' % (row['ratio'], row['role'], row['ping']),
                         row['ratio'] <= NO_CHANGE_TARGET, no_change_why(facts, row)))
    floor_ratio = fleet_facts['rollout']['seconds'] / fleet_facts['floor']
    rows.append(('rollout to %d boxes, at most %.1fx the restart floor' % (fleet_facts['boxes'], FLOOR_TARGET),
                 '%.2fx (%.1f s / %.1f s)' % (floor_ratio, fleet_facts['rollout']['seconds'], fleet_facts['floor']),
                 floor_ratio <= FLOOR_TARGET, rollout_why(fleet_facts)))
    rows.append(('one restart per changed box', ', '.join(str(count) for count in fleet_facts['restarts_per_box']),
                 fleet_facts['restarts_per_box'] == [1], ''))
    rows.append(('%d of %d boxes serve the new certificate' % (fleet_facts['boxes'], fleet_facts['boxes']),
                 '%d of %d' % (fleet_facts['new_certificates'], fleet_facts['boxes']),
                 fleet_facts['new_certificates'] == fleet_facts['boxes'], ''))
    modules = [row['modules'] for row in facts['scaling'] if row.get('modules') is not None]
    rows.append(('at most %d module runs per box on the no-change path' % MODULE_RUNS_TARGET,
                 str(max(modules)) if modules else 'not counted', bool(modules) and max(modules) <= MODULE_RUNS_TARGET,
                 ''))
    for row in facts['overhead']['rows'][1:]:
        rows.append(('%s no-change run at most %.1fx ping' % (row['name'], OVERHEAD_TARGET), '%.2fx' % row['ratio'],
                     row['ratio'] <= OVERHEAD_TARGET, module_why(facts, row)))
    mitogen = fleet_facts.get('mitogen')
    rows.append(('rollout and rerun under mitogen_linear, beside linear',
                 'not measured (mitogen missing)' if mitogen is None else
                 'rollout %.1f s (linear %.1f s), rerun %.1f s (linear %.1f s), exit codes %d/%d'
                 % (mitogen['run']['seconds'], fleet_facts['rollout']['seconds'], mitogen['rerun']['seconds'],
                    fleet_facts['rerun']['seconds'], mitogen['rc'], mitogen['rerun']['rc']),
                 mitogen is not None and mitogen['rc'] == 0 and mitogen['rerun']['rc'] == 0, ''))
    return rows


def targets_section(facts: dict) -> list:
    """The targets, met or not, read from the figures below."""
    lines = ['## Targets', '', 'Read from the figures below by bench.py (`targets()`), not written by hand; where a '
             'target is missed, the last column says where the time went, from the measurements below.', '',
             '| target | measured | met | where the time went |', '| --- | --- | --- | --- |']
    lines += ['| %s | %s | %s | %s |' % (target, measured, 'met' if met else 'NOT MET', '' if met else why)
              for target, measured, met, why in targets(facts)]
    return lines


def report(facts: dict) -> str:
    """The results as Markdown."""
    intro = ('Written by `tests/bench/bench.py` (`make bench`) on %s. Figures, not pass/fail tests: another '
             'machine, or other work on this one, gives other numbers.' % facts['machine']['date'])
    sections = [['# Benchmarks', '', intro], targets_section(facts), machine_section(facts['machine']),
                overhead_section(facts['overhead']),
                fleet_section(facts['fleet'], facts['machine']['cpus']),
                rollout_time_section(facts['fleet']),
                scaling_section(facts['scaling'], facts['scaling_runs']), task_time_section(facts['scaling']),
                fail_fast_section(facts['fail_fast']),
                memory_section(facts['memory'], facts)]
    return '\n\n'.join('\n'.join(section) for section in sections if section) + '\n'


def mib(kib) -> str:
    """KiB as MiB text, or '-' when not measured."""
    return '-' if kib is None else '%.0f MiB' % (kib / 1024.0)


def yes_no(value: bool) -> str:
    """'yes' or 'NO'."""
    return 'yes' if value else 'NO'


def table(facts: dict) -> str:
    """A short plain-text table of the headline figures, for the terminal."""
    fleet_facts = facts['fleet']
    rollout, rerun = fleet_facts['rollout']['seconds'], fleet_facts['rerun']['seconds']
    rows = [('module overhead (no change), x ping', '')]
    for row in facts['overhead']['rows'][1:]:
        rows.append(('  ' + row['name'], '%.2fx (%.2f s)' % (row['ratio'], row['median'])))
    rows += [('fleet rollout, %d boxes, x floor' % fleet_facts['boxes'],
              '%.2fx (%.1f s, floor %.1f s)' % (rollout / fleet_facts['floor'], rollout, fleet_facts['floor'])),
             ('restarts per changed box', ', '.join(str(count) for count in fleet_facts['restarts_per_box'])),
             ('failed HTTPS requests during the rollout',
              '%d of %d' % (fleet_facts['rollout_requests']['failed'], fleet_facts['rollout_requests']['requests'])),
             ('fleet rollout with reload (auto), x floor', '%.2fx (%.1f s), %d restarts, %d of %d requests failed' % (
                 fleet_facts['reload']['run']['seconds'] / fleet_facts['floor'], fleet_facts['reload']['run']['seconds'],
                 fleet_facts['reload']['restarts'], fleet_facts['reload']['requests']['failed'],
                 fleet_facts['reload']['requests']['requests'])),
             ('fleet rerun, x ping play', '%.2fx (%.1f s)' % (rerun / fleet_facts['ping']['seconds'], rerun))]
    for row in facts['scaling']:
        figure = '%.2fx (%.1f s)' % (row['ratio'], row['role'])
        rows.append(('no-change role, %d boxes, x ping' % row['boxes'], figure))
    fast = facts['fail_fast']
    rows.append(('failed restart: restart to rollback', '%s s (whole run %.1f s, restart_timeout %d s)' % (
        '-' if fast['restart_to_rollback'] is None else '%.1f' % fast['restart_to_rollback'], fast['seconds'],
        fast['timeout'])))
    rows.append(('box RSS median / max', '%.0f / %.0f MiB' % (facts['memory']['median'], facts['memory']['max'])))
    rows += [('target: ' + target, '%s: %s' % ('met' if met else 'NOT MET', measured))
             for target, measured, met, dummy in targets(facts)]
    width = max(len(name) for name, dummy in rows)
    return '\n'.join('%-*s  %s' % (width, name, value) for name, value in rows)


def parse_args(argv=None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--boxes', type=int, default=20, help='fleet size (default 20)')
    parser.add_argument('--runs', type=int, default=7, help='runs per module for the overhead medians (default 7)')
    parser.add_argument('--scaling-runs', type=int, default=3, help='runs per fleet size (default 3)')
    parser.add_argument('--first-address', default=FIRST_ADDRESS, help='first box address (default %s)' % FIRST_ADDRESS)
    parser.add_argument('--output', type=Path, default=REPO / 'docs' / 'benchmarks.md')
    return parser.parse_args(argv)


def stop_on_sigterm(signum, frame):
    """Turn SIGTERM into SystemExit, so that the boxes are destroyed."""
    raise SystemExit('stopped by signal %d' % signum)


def main(argv=None) -> int:
    """Run every measurement, print the table, write the report; the boxes are always destroyed."""
    args = parse_args(argv)
    if args.boxes < 3:
        print('bench.py: --boxes must be at least 3', file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    work = Path(tempfile.mkdtemp(prefix='starface-bench-'))
    log = work / 'ansible.log'
    bench = Bench(work, args.boxes, args.first_address)
    facts = dict(machine=machine(), addresses=bench.addresses, scaling_runs=args.scaling_runs)
    try:
        bench.check_addresses()
        print('== creating and starting %d lab boxes on %s-%s' % (args.boxes, bench.addresses[0], bench.addresses[-1]))
        facts['setup_seconds'] = bench.make_boxes()
        ca = OpensslCa(work / 'ca')
        print('== overhead: %d runs of each module' % args.runs)
        facts['overhead'] = overhead(bench, ca, args.runs, log)
        facts['memory'] = memory(bench)
        print('== fleet: rollout over %d boxes' % args.boxes)
        facts['fleet'] = fleet(bench, log)
        print('== scaling: %s boxes' % ', '.join(str(count) for count in SCALES if count <= args.boxes))
        facts['scaling'] = scaling(bench, args.scaling_runs, log)
        print('== a restart that fails: port %d taken at the restart' % FAIL_FAST_PORT)
        facts['fail_fast'] = fail_fast(bench, log)
    except (LabError, subprocess.SubprocessError, OSError) as err:
        print('bench.py: %s (Ansible output: %s)' % (err, log), file=sys.stderr)
        return 1
    finally:
        errors = bench.destroy()
        for error in errors:
            print('bench.py: could not destroy a box: %s' % error, file=sys.stderr)
    text = report(facts)
    args.output.write_text(text)
    print(table(facts))
    print('== written to %s' % args.output)
    shutil.rmtree(str(work), ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())

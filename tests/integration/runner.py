# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Run the collection's modules through real Ansible (ad-hoc, local connection) and read their JSON."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO / '.build' / 'collections'


class ModuleRun:
    """The outcome of one module run: its result, warnings and the full output Ansible printed."""

    def __init__(self, result: dict, output: str, returncode: int):
        self.result = result
        self.output = output
        self.returncode = returncode

    @property
    def failed(self) -> bool:
        """Whether the module failed."""
        return bool(self.result.get('failed'))

    @property
    def changed(self) -> bool:
        """Whether the module reported a change."""
        return bool(self.result.get('changed'))

    @property
    def msg(self) -> str:
        """The module's message."""
        return str(self.result.get('msg', ''))

    @property
    def warnings(self) -> list:
        """The warnings Ansible showed."""
        return self.result.get('warnings', [])


def ansible_env() -> dict:
    """Return the environment for ansible commands run by the tests."""
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS) + os.pathsep + env.get('ANSIBLE_COLLECTIONS_PATH', ''),
        ANSIBLE_PYTHON_INTERPRETER=env.get('STARFACE_TEST_PYTHON', sys.executable),
        ANSIBLE_CALLBACK_PLUGINS=str(Path(__file__).parent / 'callback_plugins'),
        ANSIBLE_STDOUT_CALLBACK='result_json',
        ANSIBLE_LOAD_CALLBACK_PLUGINS='1',
        ANSIBLE_HOST_KEY_CHECKING='0',
        ANSIBLE_NOCOLOR='1',
        ANSIBLE_RETRY_FILES_ENABLED='0',
        ANSIBLE_DEPRECATION_WARNINGS='0',
    )
    return env


def box_args(box) -> dict:
    """Return the box options that point a module at a lab box (a NAT box's rules file too)."""
    args = dict(tomcat_base=str(box.base), restart_command=str(box.restart_command), restart_timeout=60)
    rules = getattr(box, 'nat_rules_file', None)
    if rules is not None and Path(rules).exists():
        args['nat_rules_file'] = str(rules)
    return args


def box_interpreter(args: dict):
    """Return the Python that runs inside the network namespace of the lab box args point at (NAT layout), or None."""
    base = args.get('tomcat_base')
    if not base:
        return None
    config = Path(base).parents[1] / 'lab.json'
    try:
        if json.loads(config.read_text()).get('layout') == 'nat':
            return str(Path(base).parents[1] / 'usr' / 'bin' / 'python-in-box')
    except (OSError, ValueError):
        return None
    return None


def run_module(name: str, args: dict, check: bool = False, diff: bool = False, verbosity: int = 0) -> ModuleRun:
    """Run telephony.starface.<name> on localhost with these arguments and return what it did."""
    ansible = str(Path(sys.executable).parent / 'ansible')
    command = [ansible, 'localhost', '-i', 'localhost,', '-c', 'local', '-m', 'telephony.starface.' + name,
               '-a', json.dumps(args)]
    interpreter = box_interpreter(args)
    if interpreter:
        command += ['-e', 'ansible_python_interpreter=' + interpreter]
    if check:
        command.append('--check')
    if diff:
        command.append('--diff')
    if verbosity:
        command.append('-' + 'v' * verbosity)
    done = subprocess.run(command, env=ansible_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=600, check=False)
    return ModuleRun(parse_result(done.stdout), done.stdout, done.returncode)


def parse_result(output: str) -> dict:
    """Return the task result the result_json callback printed (its warnings go to 'warnings')."""
    results = [line[len('RESULT '):] for line in output.splitlines() if line.startswith('RESULT ')]
    if not results:
        raise AssertionError('ansible printed no result:\n' + output)
    result = json.loads(results[-1])
    result.setdefault('warnings', [])
    result['warnings'] = result['warnings'] + [line for line in output.splitlines() if '[WARNING]' in line]
    return result


def file_hashes(*paths) -> dict:
    """Return the SHA-256 of each file (None when missing), to prove files were left as they were."""
    hashes = {}
    for path in paths:
        path = Path(path)
        hashes[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None
    return hashes


class DirectRun:
    """A module started as its own Python process, without Ansible around it: for runs that must start together.

    Ansible's own start-up (about a second, varying with load) would blur the start offsets
    a race test chooses; the module's code and its AnsibleModule are the same as under Ansible.
    """

    def __init__(self, name: str, args: dict, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        args_file = directory / ('%s-%d.json' % (name, len(list(directory.iterdir()))))
        args_file.write_text(json.dumps(dict(ANSIBLE_MODULE_ARGS=args)))
        env = dict(os.environ, PYTHONPATH=str(COLLECTIONS))
        python = os.environ.get('STARFACE_TEST_PYTHON', sys.executable)
        self.started = time.monotonic()
        self.process = subprocess.Popen([python, '-m', 'ansible_collections.telephony.starface.plugins.modules.' + name,
                                         str(args_file)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        universal_newlines=True)
        self.ended = None

    @property
    def pid(self) -> int:
        """The module's process ID (the PID its lock note names)."""
        return self.process.pid

    def finish(self, timeout: float = 600) -> ModuleRun:
        """Wait for the module and return what it did."""
        output, dummy = self.process.communicate(timeout=timeout)
        self.ended = time.monotonic()
        try:
            result = json.loads(output.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise AssertionError('the module printed no result:\n' + output)
        result.setdefault('warnings', [])
        return ModuleRun(result, output, self.process.returncode)

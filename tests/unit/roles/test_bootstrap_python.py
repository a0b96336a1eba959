# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""roles/starface_webserver/files/bootstrap_python.sh, run by /bin/sh against fake systems.

Each test writes an os-release file, fake interpreters and a fake package manager (dnf or
apt-get) that keeps what it installed in a state file and, like the real one, brings the
interpreter of a python3.X package into the interpreter folder, with cryptography only when
the cryptography package is installed too. The script is pointed at them through its
STARFACE_BOOTSTRAP_* environment variables; the tests read what it printed, its exit status
and the package manager's log.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / 'roles' / 'starface_webserver' / 'files' / 'bootstrap_python.sh'

ALMA_810 = '''NAME="AlmaLinux"
VERSION="8.10 (Cerulean Leopard)"
ID="almalinux"
ID_LIKE="rhel centos fedora"
VERSION_ID="8.10"
PLATFORM_ID="platform:el8"
PRETTY_NAME="AlmaLinux 8.10 (Cerulean Leopard)"
'''
ROCKY_88 = '''NAME="Rocky Linux"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="8.8"
PRETTY_NAME="Rocky Linux 8.8 (Green Obsidian)"
'''
CENTOS_8 = '''NAME="CentOS Linux"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="8"
PRETTY_NAME="CentOS Linux 8"
'''
RHEL_94 = '''NAME="Red Hat Enterprise Linux"
ID="rhel"
ID_LIKE="fedora"
VERSION_ID="9.4"
PRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"
'''
DEBIAN_12 = '''PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
ID=debian
'''
UBUNTU_2404 = '''PRETTY_NAME='Ubuntu 24.04.1 LTS'
NAME="Ubuntu"
VERSION_ID="24.04"
ID=ubuntu
ID_LIKE=debian
'''
ALPINE = '''NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.19.1
PRETTY_NAME="Alpine Linux v3.19"
'''

# What each interpreter package brings: (interpreter name, Python version, cryptography package, its version).
EL8_PACKAGES = {
    'python3.12': ('python3.12', '3.12.8', 'python3.12-cryptography', '41.0.7'),
    'python3.11': ('python3.11', '3.11.5', 'python3.11-cryptography', '37.0.2'),
}
EL9_PACKAGES = {'python3': ('python3', '3.9.18', 'python3-cryptography', '36.0.1')}
DEBIAN_PACKAGES = {'python3': ('python3', '3.11.2', 'python3-cryptography', '38.0.4')}

# The fake package manager, dnf or apt-get by its name; its settings and state in JSON files next to it.
FAKE_MANAGER = r'''#!{python}
import json, os, sys
here = os.path.dirname(os.path.abspath(__file__))
name = os.path.basename(sys.argv[0])
config = json.load(open(os.path.join(here, 'config.json')))
state_file = os.path.join(here, 'state.json')
state = json.load(open(state_file)) if os.path.exists(state_file) else dict(installed=[], updated=False)
args = sys.argv[1:]
with open(os.path.join(here, 'calls.log'), 'a') as log:
    log.write(json.dumps(dict(manager=name, args=args, frontend=os.environ.get('DEBIAN_FRONTEND'))) + '\n')
words = [arg for arg in args if not arg.startswith('-')]
available = set(config['available']) if name == 'dnf' or state['updated'] or not config.get('needs_update') else set()

def save():
    json.dump(state, open(state_file, 'w'))

if words[:1] == ['list'] and name == 'dnf':
    found = [package for package in words[1:] if package in available or package in state['installed']]
    if not found:
        print(config.get('list_error', 'Error: No matching Packages to list'), file=sys.stderr)
        sys.exit(1)
    print('Available Packages')
    for package in found:
        print('%s.x86_64  1.0-1.el8  appstream' % package)
    sys.exit(0)
if words[:1] == ['update'] and name == 'apt-get':
    state['updated'] = True
    save()
    print('Reading package lists... Done')
    sys.exit(0)
if words[:1] == ['install']:
    if config.get('install_error'):
        print(config['install_error'], file=sys.stderr)
        sys.exit(config.get('install_status', 1))
    missing = [package for package in words[1:] if package not in available and package not in state['installed']]
    if missing:
        if name == 'dnf':
            print('Error: Unable to find a match: %s' % ' '.join(missing), file=sys.stderr)
            sys.exit(1)
        print('E: Unable to locate package %s' % missing[0], file=sys.stderr)
        sys.exit(100)
    state['installed'] += [package for package in words[1:] if package not in state['installed']]
    save()
    for package, (binary, version, crypto_package, crypto_version) in config['brings'].items():
        if package in state['installed']:
            crypto = crypto_version if crypto_package in state['installed'] else None
            with open(os.path.join(config['python_dir'], binary), 'w') as handle:
                handle.write(config['interpreter'] % dict(version=version, crypto=crypto or ''))
            os.chmod(os.path.join(config['python_dir'], binary), 0o755)
    print('Installed: %s' % ' '.join(words[1:]))
    print('Complete!')
    sys.exit(0)
print('fake %s: unexpected arguments %r' % (name, args), file=sys.stderr)
sys.exit(2)
'''

# A fake interpreter: answers the script's probe (-c CODE) as a Python of that version would,
# with cryptography's version, or an ImportError where it has none.
FAKE_PYTHON = '''#!/bin/sh
[ "$1" = -c ] || exit 2
case "$2" in *"import cryptography"*) ;; *) exit 2 ;; esac
crypto='%(crypto)s'
if [ -z "$crypto" ]; then
    echo "ModuleNotFoundError: No module named 'cryptography'" >&2
    exit 1
fi
echo "%(version)s $crypto"
'''


class FakeBox:
    """A temporary system: os-release, an interpreter folder, a fake dnf and apt-get."""

    def __init__(self, root: Path, os_release: str, available=(), brings=None, **config):
        self.root = root
        self.python_dir = root / 'usr' / 'bin'
        self.python_dir.mkdir(parents=True)
        self.manager_dir = root / 'manager'
        self.manager_dir.mkdir()
        self.os_release = root / 'os-release'
        self.os_release.write_text(os_release)
        settings = dict(available=list(available), brings=brings or {}, python_dir=str(self.python_dir),
                        interpreter=FAKE_PYTHON)
        settings.update(config)
        (self.manager_dir / 'config.json').write_text(json.dumps(settings))
        for name in ('dnf', 'apt-get'):
            path = self.manager_dir / name
            path.write_text(FAKE_MANAGER.replace('{python}', sys.executable))
            path.chmod(0o755)

    def python(self, name: str, version: str, crypto=None) -> Path:
        """Put an interpreter in the folder: Python VERSION, with cryptography CRYPTO or none."""
        path = self.python_dir / name
        path.write_text(FAKE_PYTHON % dict(version=version, crypto=crypto or ''))
        path.chmod(0o755)
        return path

    def run(self, *args: str, os_release=None) -> 'Result':
        """Run the script with these arguments against this system."""
        env = dict(os.environ,
                   STARFACE_BOOTSTRAP_OS_RELEASE=str(os_release or self.os_release),
                   STARFACE_BOOTSTRAP_DNF=str(self.manager_dir / 'dnf'),
                   STARFACE_BOOTSTRAP_APT_GET=str(self.manager_dir / 'apt-get'),
                   STARFACE_BOOTSTRAP_PYTHON_DIRS=str(self.python_dir))
        env.pop('DEBIAN_FRONTEND', None)
        done = subprocess.run(['/bin/sh', str(SCRIPT)] + list(args), env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, universal_newlines=True, timeout=60, check=False)
        return Result(done.returncode, done.stdout, self.calls(), self.installed())

    def calls(self) -> list:
        """The package manager calls so far: dicts with manager, args and the DEBIAN_FRONTEND they saw."""
        log = self.manager_dir / 'calls.log'
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    def installed(self) -> list:
        """The packages the fake package manager installed."""
        state = self.manager_dir / 'state.json'
        return json.loads(state.read_text())['installed'] if state.exists() else []


class Result:
    """What the script did: exit status, output, its key=value lines, the package manager's calls."""

    def __init__(self, status: int, output: str, calls: list, installed: list):
        self.status = status
        self.output = output
        self.calls = calls
        self.installed = installed
        self.values = {}
        for line in output.splitlines():
            key, sep, value = line.partition('=')
            if sep and key in ('os', 'python', 'installed', 'would_install', 'error'):
                self.values[key] = value

    def installs(self) -> list:
        """The argument lists of the package manager's install calls."""
        return [call['args'] for call in self.calls if 'install' in call['args']]

    def __repr__(self):
        return 'exit status %d, calls %r, output:\n%s' % (self.status, self.calls, self.output)


def test_el8_installs_python312_and_its_cryptography(tmp_path):
    box = FakeBox(tmp_path, ALMA_810, brings=EL8_PACKAGES,
                  available=['python3.12', 'python3.12-cryptography', 'python3.11', 'python3.11-cryptography'])
    # As on EL 8: /usr/bin/python3 is 3.6 with cryptography 2.3, too old.
    box.python('python3', '3.6.8', '2.3')
    result = box.run()
    assert result.status == 0, result
    assert result.installs() == [['-y', 'install', 'python3.12', 'python3.12-cryptography']], result
    assert result.installed == ['python3.12', 'python3.12-cryptography']
    assert result.values['python'] == str(box.python_dir / 'python3.12'), result
    assert result.values['installed'] == 'python3.12 python3.12-cryptography'
    assert result.values['os'] == 'almalinux 8.10 (AlmaLinux 8.10 (Cerulean Leopard))'
    assert '| Complete!' in result.output.splitlines(), result


def test_el8_without_python312_installs_python311(tmp_path):
    # Before 8.10: AppStream has python3.11 but no python3.12-cryptography.
    box = FakeBox(tmp_path, ROCKY_88, brings=EL8_PACKAGES,
                  available=['python3.12', 'python3.11', 'python3.11-cryptography'])
    box.python('python3', '3.6.8', '2.3')
    result = box.run()
    assert result.status == 0, result
    assert result.installs() == [['-y', 'install', 'python3.11', 'python3.11-cryptography']], result
    assert result.values['python'] == str(box.python_dir / 'python3.11')
    assert result.values['installed'] == 'python3.11 python3.11-cryptography'
    assert not (box.python_dir / 'python3.12').exists()


def test_el8_without_either_fails_naming_the_system_and_the_packages(tmp_path):
    box = FakeBox(tmp_path, CENTOS_8, brings=EL8_PACKAGES, available=[])
    box.python('python3', '3.6.8', '2.3')
    result = box.run()
    assert result.status == 1, result
    assert result.installs() == [], 'it tried to install what is not there'
    error = result.values['error']
    for words in ('CentOS Linux 8', 'python3.12 python3.12-cryptography', 'python3.11 python3.11-cryptography',
                  'No matching Packages to list', 'Python 3.6.8 (3.8 or newer needed)'):
        assert words in error, error
    assert 'python' not in result.values


def test_el9_installs_python3_and_python3_cryptography(tmp_path):
    box = FakeBox(tmp_path, RHEL_94, brings=EL9_PACKAGES, available=['python3', 'python3-cryptography'])
    box.python('python3', '3.9.18')  # a minimal EL 9: Python, but no cryptography
    result = box.run()
    assert result.status == 0, result
    assert result.installs() == [['-y', 'install', 'python3', 'python3-cryptography']], result
    assert [call['manager'] for call in result.calls] == ['dnf']
    assert result.values['python'] == str(box.python_dir / 'python3')
    assert result.values['installed'] == 'python3 python3-cryptography'


@pytest.mark.parametrize('os_release', [DEBIAN_12, UBUNTU_2404], ids=['debian', 'ubuntu'])
def test_debian_and_ubuntu_install_with_apt_get(tmp_path, os_release):
    box = FakeBox(tmp_path, os_release, brings=DEBIAN_PACKAGES, available=['python3', 'python3-cryptography'])
    result = box.run()
    assert result.status == 0, result
    assert result.installs() == [['-y', '-q', 'install', 'python3', 'python3-cryptography']], result
    assert [call['manager'] for call in result.calls] == ['apt-get']
    assert result.calls[0]['frontend'] == 'noninteractive'
    assert result.values['python'] == str(box.python_dir / 'python3')


def test_apt_get_reads_the_package_lists_when_they_are_missing(tmp_path):
    box = FakeBox(tmp_path, DEBIAN_12, brings=DEBIAN_PACKAGES, available=['python3', 'python3-cryptography'],
                  needs_update=True)
    result = box.run()
    assert result.status == 0, result
    assert [call['args'] for call in result.calls] == [
        ['-y', '-q', 'install', 'python3', 'python3-cryptography'], ['-q', 'update'],
        ['-y', '-q', 'install', 'python3', 'python3-cryptography']], result
    assert result.values['python'] == str(box.python_dir / 'python3')


@pytest.mark.parametrize('os_release, good', [
    (ALMA_810, ('python3.12', '3.12.8', '41.0.7')),
    (ALMA_810, ('python3.11', '3.11.5', '37.0.2')),
    (RHEL_94, ('python3', '3.9.18', '36.0.1')),
    (DEBIAN_12, ('python3', '3.11.2', '38.0.4')),
], ids=['el8-python3.12', 'el8-python3.11', 'el9', 'debian'])
def test_a_working_interpreter_installs_nothing(tmp_path, os_release, good):
    box = FakeBox(tmp_path, os_release, available=['python3.12', 'python3.12-cryptography', 'python3',
                                                   'python3-cryptography'])
    if good[0] != 'python3':
        box.python('python3', '3.6.8', '2.3')
    box.python(*good)
    result = box.run()
    assert result.status == 0, result
    assert result.calls == [], 'it ran the package manager'
    assert result.values['python'] == str(box.python_dir / good[0])
    assert result.values['installed'] == ''


def test_the_configured_interpreter_comes_first(tmp_path):
    box = FakeBox(tmp_path, ALMA_810)
    box.python('python3.12', '3.12.8', '41.0.7')
    configured = box.python('python-in-box', '3.11.2', '38.0.4')
    result = box.run('--python', str(configured))
    assert result.status == 0, result
    assert result.values['python'] == str(configured)
    assert result.calls == []


def test_a_configured_interpreter_that_does_not_do_is_passed_over(tmp_path):
    box = FakeBox(tmp_path, ALMA_810)
    good = box.python('python3.12', '3.12.8', '41.0.7')
    result = box.run('--python', str(box.python('platform-python', '3.6.8', '2.3')))
    assert result.status == 0, result
    assert result.values['python'] == str(good)
    result = box.run('--python', str(tmp_path / 'missing'))
    assert result.values['python'] == str(good)


def test_old_cryptography_does_not_count(tmp_path):
    box = FakeBox(tmp_path, RHEL_94, brings=EL9_PACKAGES, available=['python3', 'python3-cryptography'])
    box.python('python3', '3.9.18', '3.3.2')
    result = box.run('--check')
    assert result.values['python'] == '', result
    assert result.values['would_install'] == 'python3 python3-cryptography'


def test_unknown_system_fails_naming_it(tmp_path):
    box = FakeBox(tmp_path, ALPINE, available=['python3', 'py3-cryptography'])
    result = box.run()
    assert result.status == 1, result
    assert result.calls == []
    error = result.values['error']
    for words in ('Alpine Linux v3.19', 'ID=alpine', 'VERSION_ID=3.19.1', 'python3.12 python3.12-cryptography',
                  'python3 python3-cryptography', 'No interpreter found to try'):
        assert words in error, error


def test_missing_os_release_fails_as_unknown(tmp_path):
    box = FakeBox(tmp_path, '')
    result = box.run(os_release=tmp_path / 'none')
    assert result.status == 1, result
    assert 'an unknown system' in result.values['error']


def test_el7_is_not_el8(tmp_path):
    box = FakeBox(tmp_path, CENTOS_8.replace('"8"', '"7"').replace('Linux 8', 'Linux 7'), available=['python3'])
    result = box.run()
    assert result.status == 1, result
    assert 'CentOS Linux 7' in result.values['error'] and result.calls == []


def test_a_failing_dnf_fails_with_its_words(tmp_path):
    words = "Error: Failed to download metadata for repo 'appstream': Cannot download repomd.xml"
    box = FakeBox(tmp_path, ALMA_810, brings=EL8_PACKAGES, available=['python3.12', 'python3.12-cryptography'],
                  install_error='Last metadata expiration check: 0:00:01 ago.\n' + words)
    result = box.run()
    assert result.status == 1, result
    error = result.values['error']
    assert words in error, error
    assert 'install python3.12 python3.12-cryptography failed (exit status 1) on AlmaLinux 8.10' in error, error
    assert result.installed == []


def test_a_failing_apt_get_fails_with_its_words(tmp_path):
    box = FakeBox(tmp_path, DEBIAN_12, brings=DEBIAN_PACKAGES, available=['python3'])
    result = box.run()
    assert result.status == 1, result
    assert [call['args'][-3:] for call in result.calls] == [
        ['install', 'python3', 'python3-cryptography'], ['-q', 'update'], ['install', 'python3', 'python3-cryptography']]
    error = result.values['error']
    assert 'E: Unable to locate package python3-cryptography' in error, error
    assert 'also after' in error and 'Debian GNU/Linux 12 (bookworm)' in error, error


def test_an_installed_interpreter_too_old_fails(tmp_path):
    # Debian 10's python3 is 3.7: installing it does not give ansible-core 2.19 a Python.
    box = FakeBox(tmp_path, DEBIAN_12.replace('12', '10'), available=['python3', 'python3-cryptography'],
                  brings={'python3': ('python3', '3.7.3', 'python3-cryptography', '2.6.1')})
    result = box.run()
    assert result.status == 1, result
    error = result.values['error']
    assert 'installed python3 python3-cryptography' in error and 'Python 3.7.3 (3.8 or newer needed)' in error, error


def test_check_mode_says_what_it_would_install_and_installs_nothing(tmp_path):
    box = FakeBox(tmp_path, ALMA_810, brings=EL8_PACKAGES,
                  available=['python3.12', 'python3.12-cryptography', 'python3.11', 'python3.11-cryptography'])
    box.python('python3', '3.6.8', '2.3')
    result = box.run('--check')
    assert result.status == 0, result
    assert result.values['python'] == ''
    assert result.values['would_install'] == 'python3.12 python3.12-cryptography'
    assert result.installs() == [] and result.installed == []
    assert all(call['args'][:2] == ['-q', 'list'] for call in result.calls), result
    assert not (box.python_dir / 'python3.12').exists()


def test_check_mode_keeps_a_working_interpreter(tmp_path):
    box = FakeBox(tmp_path, DEBIAN_12)
    box.python('python3', '3.11.2', '38.0.4')
    result = box.run('--check')
    assert result.status == 0, result
    assert result.values['python'] == str(box.python_dir / 'python3')
    assert result.values['would_install'] == '' and result.calls == []


def test_the_probe_on_real_interpreters(tmp_path):
    """The probe run by this machine's Python: one with cryptography counts, the same one without does not."""
    real = Path(sys.executable)
    box = FakeBox(tmp_path, DEBIAN_12, brings=DEBIAN_PACKAGES)
    with_crypto = box.python_dir / 'python3.11'
    with_crypto.symlink_to(real)
    without = box.python_dir / 'python3'
    # -S leaves out site-packages, where cryptography is; -I ignores PYTHONPATH.
    without.write_text('#!/bin/sh\nexec %s -I -S "$@"\n' % real)
    without.chmod(0o755)
    for interpreter, crypto in ((with_crypto, True), (without, False)):
        done = subprocess.run([str(interpreter), '-c', 'import cryptography'], check=False, stderr=subprocess.DEVNULL)
        assert (done.returncode == 0) == crypto, 'cannot set up the probe test with %s' % real
    # python3 is tried before python3.11: the probe must pass it over.
    result = box.run('--check')
    assert result.status == 0, result
    assert result.values['python'] == str(with_crypto)
    without.rename(box.python_dir / 'python3.12')
    with_crypto.unlink()
    result = box.run('--check', '--python', str(box.python_dir / 'python3.12'))
    assert result.status == 0, result
    assert result.values['python'] == '' and result.values['would_install'] == 'python3 python3-cryptography'


def test_shellcheck_finds_nothing():
    shellcheck = '/usr/bin/shellcheck'
    if not os.access(shellcheck, os.X_OK):
        pytest.skip('shellcheck is not installed')
    done = subprocess.run([shellcheck, '--shell=sh', str(SCRIPT)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    assert done.returncode == 0, done.stdout

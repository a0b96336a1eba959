# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline stand-in for the get-pip script that ansible-test downloads to bootstrap pip.

ansible-test sanity creates empty virtual environments and bootstraps pip in them by running
~/.ansible/test/cache/get_pip_<version>.py, downloading it first when it is missing. That
download is not reachable from our build machines, so `make sanity` installs this file under
that name. It bootstraps pip from the interpreter's own ensurepip, then installs what
ansible-test asked for (a pinned pip) from the package index.
"""
from __future__ import annotations

import subprocess
import sys

# get-pip options that `pip install` does not know
GET_PIP_ONLY_OPTIONS = ('--no-setuptools', '--no-wheel')
MARKER = 'telephony.starface get-pip stand-in'


def pip_install_arguments(argv: list[str]) -> list[str]:
    """Return the get-pip arguments that `pip install` understands."""
    return [arg for arg in argv if arg not in GET_PIP_ONLY_OPTIONS]


def main() -> int:
    """Bootstrap pip with ensurepip, then install the requested packages with it."""
    print('%s: bootstrapping pip with ensurepip' % MARKER, file=sys.stderr)
    subprocess.run([sys.executable, '-m', 'ensurepip', '--default-pip'], check=True, stdout=subprocess.DEVNULL)
    arguments = pip_install_arguments(sys.argv[1:])
    return subprocess.run([sys.executable, '-m', 'pip', 'install'] + arguments, check=False).returncode


if __name__ == '__main__':
    sys.exit(main())

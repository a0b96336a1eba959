# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the hardening tests: lab boxes shared by a whole test file, and an independent CA."""
from __future__ import annotations

from pathlib import Path

import pytest

from integration.openssl_ca import OpensslCa
from lab.starface_lab import CATALINA_HOME, PROVISIONING_HTTP_PORT, PROVISIONING_HTTPS_PORT, LabBox, LabError

TESTS = Path(__file__).resolve().parents[1]


def address_lease(config):
    """Return a new AddressLease of tests/conftest.py (the module pytest loaded), so boxes never share an address."""
    for plugin in config.pluginmanager.get_plugins():
        if getattr(plugin, '__file__', None) == str(TESTS / 'conftest.py'):
            return plugin.AddressLease()
    raise LabError('tests/conftest.py is not loaded: run pytest from the repository root')


@pytest.fixture(scope='module')
def module_box_factory(request, tmp_path_factory):
    """Like lab_box_factory, for boxes shared by every test of one file: make(**create_options) -> started LabBox."""
    if not (CATALINA_HOME / 'bin' / 'catalina.sh').is_file():
        pytest.fail('Apache Tomcat 10.1 is not installed in {0}: apt-get install tomcat10 openjdk-17-jdk-headless '
                    '(or deselect the lab tests with -m "not lab")'.format(CATALINA_HOME))
    lease = address_lease(request.config)
    base = tmp_path_factory.mktemp('boxes')
    boxes = []

    def make(**options) -> LabBox:
        box = LabBox(base / 'box-{0:02d}'.format(len(boxes) + 1))
        boxes.append(box)
        address = lease.take([80, 443, PROVISIONING_HTTP_PORT, PROVISIONING_HTTPS_PORT])
        options.setdefault('server_name', 'pbx-{0}.lab.test'.format(address.rsplit('.', 1)[1]))
        box.create(address, **options)
        box.start()
        return box

    try:
        yield make
    finally:
        errors = []
        for box in boxes:
            try:
                box.destroy()
            except LabError as err:
                errors.append(str(err))
        lease.release()
        if errors:
            pytest.fail('could not destroy lab boxes: {0}'.format('; '.join(errors)))


@pytest.fixture(scope='module')
def ca(tmp_path_factory):
    """An independent CA (root, two intermediates) made with the openssl command line, once per file."""
    return OpensslCa(tmp_path_factory.mktemp('ca'))

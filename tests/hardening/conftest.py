# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the hardening tests: lab boxes shared by a whole test file, and an independent CA."""
from __future__ import annotations

import pytest

from integration.openssl_ca import OpensslCa
from lab.boxes import BoxFactory


@pytest.fixture(scope='module')
def module_box_factory(tmp_path_factory):
    """Like lab_box_factory, for boxes shared by every test of one file: make(**create_options) -> started LabBox."""
    factory = BoxFactory(tmp_path_factory.mktemp('boxes'))
    try:
        yield factory.make
    finally:
        factory.destroy_all()


@pytest.fixture(scope='module')
def ca(tmp_path_factory):
    """An independent CA (root, two intermediates) made with the openssl command line, once per file."""
    return OpensslCa(tmp_path_factory.mktemp('ca'))

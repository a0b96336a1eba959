# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared pytest fixtures: lab boxes (Debian's Tomcat 10.1 laid out like a STARFACE)."""
from __future__ import annotations

import pytest

from lab.boxes import BoxFactory

LAB_FIXTURES = ('lab_box', 'lab_box_factory')


def pytest_collection_modifyitems(items):
    """Mark every test that uses a lab box with @pytest.mark.lab."""
    for item in items:
        if any(name in getattr(item, 'fixturenames', ()) for name in LAB_FIXTURES):
            item.add_marker(pytest.mark.lab)


@pytest.fixture
def lab_box_factory(tmp_path):
    """Make lab boxes on unique addresses: make(http_port=80, https_port=443, start=True, **create_options) -> LabBox.

    Every box is destroyed afterwards.
    """
    factory = BoxFactory(tmp_path)
    try:
        yield factory.make
    finally:
        factory.destroy_all()


@pytest.fixture
def lab_box(lab_box_factory):
    """One started lab box with the default ports 80 and 443."""
    return lab_box_factory()

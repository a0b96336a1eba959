# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Shared fixtures for the module_utils tests: test PKIs made once per session."""

from __future__ import annotations

import pytest

from ansible_collections.telephony.starface.tests.unit.plugins.module_utils.certfactory import Pki, rsa_key


@pytest.fixture(scope='session')
def pki():
    """Return an EC test PKI: root -> intermediate -> pbx.example.com."""
    return Pki()


@pytest.fixture(scope='session')
def rsa_pki():
    """Return an RSA 2048 test PKI: root -> intermediate -> pbx.example.com."""
    return Pki(keys=(rsa_key(2048, 0), rsa_key(2048, 1), rsa_key(2048, 2)), name='RSA')


@pytest.fixture(scope='session')
def other_pki():
    """Return a second, unrelated EC test PKI."""
    return Pki(name='Other')

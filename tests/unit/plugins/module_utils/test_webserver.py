# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of the web server reconciler's pure decisions."""

from __future__ import annotations

import pytest

from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError
from ansible_collections.telephony.starface.plugins.module_utils._webserver import (
    check_settings, desired_settings, phone_warning, server_xml_changes)

CURRENT = dict(http_enabled=True, http_port=80, https_enabled=True, https_port=443, force_https=False,
               bind_address=None, redirect_port=443, keystore_password='secret')
IGNORE = [50080, 50081]


def test_partial_update_changes_only_given_options():
    desired = desired_settings(CURRENT, dict(https_port=8443, http_port=None, force_https=None))
    assert desired == dict(http_enabled=True, http_port=80, https_enabled=True, https_port=8443,
                           force_https=False, bind_address=None)


def test_desired_settings_never_carry_the_keystore_password():
    assert 'keystore_password' not in desired_settings(CURRENT, {})


@pytest.mark.parametrize('change, field, words', [
    (dict(http_port=0), 'http_port', 'outside 1-65535'),
    (dict(https_port=65536), 'https_port', 'outside 1-65535'),
    (dict(http_port=-1), 'http_port', 'outside 1-65535'),
    (dict(http_enabled=False, https_enabled=False), 'http_enabled', 'both be disabled'),
    (dict(https_enabled=False, force_https=True), 'force_https', 'needs HTTPS enabled'),
    (dict(https_port=80), 'https_port', 'same port 80'),
    (dict(http_port=50080), 'http_port', 'phone provisioning'),
    (dict(https_port=50081), 'https_port', 'phone provisioning'),
])
def test_refused_settings_name_field_and_problem(change, field, words):
    desired = dict(desired_settings(CURRENT, {}), **change)
    with pytest.raises(StarfaceError) as caught:
        check_settings(desired, IGNORE)
    assert caught.value.field == field
    assert words in caught.value.msg


@pytest.mark.parametrize('change', [
    dict(),
    dict(http_enabled=False),
    dict(https_enabled=False),
    dict(http_enabled=False, https_port=443),
    dict(https_enabled=False, http_port=443),
    dict(force_https=True),
    dict(http_port=8080, https_port=8443),
])
def test_accepted_settings(change):
    check_settings(dict(desired_settings(CURRENT, {}), **change), IGNORE)


@pytest.mark.parametrize('change, expected', [
    (dict(), None),
    (dict(http_enabled=False), 'being disabled'),
    (dict(http_port=8080), 'moved to port 8080'),
    (dict(https_port=8443), None),
    (dict(force_https=True), None),
])
def test_phone_warning_on_change_only(change, expected):
    warning = phone_warning(CURRENT, dict(desired_settings(CURRENT, {}), **change))
    if expected is None:
        assert warning is None
    else:
        assert expected in warning and 'address book' in warning


def test_no_warning_when_http_already_off_port_80():
    current = dict(CURRENT, http_port=8080)
    assert phone_warning(current, desired_settings(current, {})) is None


@pytest.mark.parametrize('current, change, expected', [
    (CURRENT, dict(), {}),
    (CURRENT, dict(https_port=8443), dict(https_port=8443, redirect_port=8443)),
    (dict(CURRENT, redirect_port=8443), dict(https_port=8443), dict(https_port=8443)),
    (dict(CURRENT, redirect_port=9999), dict(force_https=True), dict(redirect_port=443)),
    (CURRENT, dict(http_enabled=False), dict(http_enabled=False)),
    (CURRENT, dict(bind_address='127.0.0.5'), dict(bind_address='127.0.0.5')),
    (dict(CURRENT, bind_address='127.0.0.5'), dict(bind_address=''), dict(bind_address='')),
])
def test_server_xml_changes_only_what_differs(current, change, expected):
    assert server_xml_changes(current, desired_settings(current, change)) == expected

# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of the web server reconciler's pure decisions."""

from __future__ import annotations

import pytest

from ansible_collections.telephony.starface.plugins.module_utils._appliance.nat import Redirect
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError
from ansible_collections.telephony.starface.plugins.module_utils._reconcile.webserver import (
    check_settings, connector_settings, desired_settings, phone_warning, rule_changes, server_xml_changes)

CURRENT = dict(http_enabled=True, http_port=80, https_enabled=True, https_port=443, force_https=False,
               force_https_exempt_paths=[], bind_address=None, redirect_port=443, keystore_password='secret')
IGNORE = [50080, 50081]


def test_partial_update_changes_only_given_options():
    desired = desired_settings(CURRENT, dict(https_port=8443, http_port=None, force_https=None))
    assert desired == dict(http_enabled=True, http_port=80, https_enabled=True, https_port=8443,
                           force_https=False, force_https_exempt_paths=[], bind_address=None, http_connector_port=80,
                           https_connector_port=8443)


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
    # Forced HTTPS names its target in its rewrite rules: an odd redirectPort stays, and comes back as it was.
    (dict(CURRENT, redirect_port=9999), dict(force_https=True), {}),
    (dict(CURRENT, redirect_port=9999), dict(https_port=8443), dict(https_port=8443)),
    (CURRENT, dict(http_enabled=False), dict(http_enabled=False)),
    (CURRENT, dict(bind_address='127.0.0.5'), dict(bind_address='127.0.0.5')),
    (dict(CURRENT, bind_address='127.0.0.5'), dict(bind_address=''), dict(bind_address='')),
])
def test_server_xml_changes_only_what_differs(current, change, expected):
    assert server_xml_changes(current, desired_settings(current, change)) == expected


# A box like the audited STARFACE: connectors 8080/8181, NAT 80 -> 8080 and 443 -> 8181.
HTTP_RULE = '-A PREROUTING -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 8080'
HTTPS_RULE = '-A PREROUTING -p tcp -m tcp --dport 443 -j REDIRECT --to-ports 8181'
NAT_BOX = dict(http_enabled=True, http_port=80, https_enabled=True, https_port=443, force_https=False,
               bind_address=None, redirect_port=443, http_connector_port=8080, https_connector_port=8181,
               nat_layout=True, nat=dict(http=Redirect(80, 8080, HTTP_RULE, 1), https=Redirect(443, 8181, HTTPS_RULE, 2)))


def nat_plan(params):
    desired = desired_settings(NAT_BOX, params)
    connectors = connector_settings(desired)
    return (desired, server_xml_changes(connector_settings(NAT_BOX), connectors),
            rule_changes(NAT_BOX, desired, connectors))


def test_nat_box_with_nothing_set_changes_nothing():
    desired, server, rules = nat_plan({})
    assert (desired['http_port'], desired['http_connector_port']) == (80, 8080)
    assert server == {} and rules == []


def test_nat_box_public_port_moves_the_redirect_not_the_connector():
    desired, server, rules = nat_plan(dict(http_port=8088))
    assert server == {}
    assert rules == [('http_port', HTTP_RULE, '-A PREROUTING -p tcp -m tcp --dport 8088 -j REDIRECT --to-ports 8080', 1)]
    assert desired['http_connector_port'] == 8080


def test_nat_box_force_https_keeps_redirect_port_on_the_public_https_port():
    dummy, server, rules = nat_plan(dict(force_https=True))
    assert 'redirect_port' not in server and rules == []


def test_nat_box_force_https_sends_browsers_to_a_moved_public_https_port():
    dummy, server, rules = nat_plan(dict(force_https=True, https_port=8443))
    assert server == dict(redirect_port=8443)
    assert rules[0][2].endswith('--dport 8443 -j REDIRECT --to-ports 8181')


def test_nat_box_disabling_http_removes_its_redirect_and_connector():
    dummy, server, rules = nat_plan(dict(http_enabled=False))
    assert server == dict(http_enabled=False)
    assert rules == [('http_port', HTTP_RULE, None, 1)]


def test_nat_box_connector_port_for_experts_changes_both():
    dummy, server, rules = nat_plan(dict(https_connector_port=8282))
    assert server == dict(https_port=8282)
    assert rules[0][2].endswith('--dport 443 -j REDIRECT --to-ports 8282')


def test_direct_box_public_and_connector_port_cannot_differ():
    with pytest.raises(StarfaceError) as err:
        desired_settings(CURRENT, dict(http_port=81, http_connector_port=82))
    assert err.value.field == 'http_connector_port' and 'no NAT redirect' in err.value.msg


def test_direct_box_connector_port_alone_moves_the_port():
    desired = desired_settings(CURRENT, dict(http_connector_port=8080))
    assert desired['http_port'] == desired['http_connector_port'] == 8080


def test_nat_box_enabling_http_again_brings_back_80_to_8080():
    disabled = dict(NAT_BOX, http_enabled=False, nat=dict(https=NAT_BOX['nat']['https']))
    desired = desired_settings(disabled, dict(http_enabled=True))
    connectors = connector_settings(desired)
    assert rule_changes(disabled, desired, connectors) == [('http_port', None, HTTP_RULE, 2)]
    assert server_xml_changes(connector_settings(disabled), connectors) == dict(http_enabled=True)

# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""starface_plan on a NAT lab box: it says what the modules then do, and changes nothing itself."""

from __future__ import annotations

import pytest

from lab.clients import served_sha256
from openssl_ca import OpensslCa
from runner import box_args, file_hashes, run_module

pytestmark = pytest.mark.lab

SETTINGS = dict(http_enabled=True, http_port=80, https_enabled=True, https_port=443, force_https=False)


@pytest.fixture
def box(lab_box_factory):
    """A box laid out like the audited STARFACE (Tomcat as tomcat on 8080/8181, NAT from 80/443)."""
    return lab_box_factory(layout='nat')


def box_files(box):
    """Hashes of every file a module may change, the NAT rules and the state folder's journal included."""
    return file_hashes(box.server_xml, box.web_xml, box.rewrite_config, box.keystore, box.nat_rules_file,
                       *sorted((box.base / '.telephony.starface').glob('*')))


def plan(box, check=False, **options):
    """Run starface_plan on the box."""
    return run_module('starface_plan', dict(box_args(box), **options), check=check)


def box_names(box):
    """The subject alternative names of the box's certificate besides its server name (the lab adds its address)."""
    info = run_module('starface_webserver_info', dict(box_args(box), probe=False))
    return [name for name in info.result['keystore']['subject_alt_names'] if name != 'DNS:' + box.server_name]


def selfsigned(box, **options):
    """The provisional certificate the box has, as the role asks for it."""
    return dict(dict(source='selfsigned', server_name=box.server_name, subject_alt_names=box_names(box)), **options)


def test_a_box_as_wanted_plans_no_change_and_reads_what_is_served(box):
    before = box_files(box)
    run = plan(box, settings=SETTINGS, certificate=selfsigned(box))
    assert not run.failed and not run.changed, run.output
    assert run.result['plan'] == dict(
        changes=False, pending=False, leftovers=[],
        settings=dict(changed=False, restart_required=False, warnings=[], settings=run.result['settings']),
        certificate=dict(source='selfsigned', changed=False, reasons=[], kept=None, warnings=[]))
    # The same as the modules find: nothing to do.
    assert not run_module('starface_webserver', dict(box_args(box), **SETTINGS)).changed
    assert not run_module('starface_csr', dict(box_args(box), state='selfsigned', server_name=box.server_name,
                                               subject_alt_names=box_names(box))).changed
    # What the info module returns, the TLS handshake included.
    assert run.result['served']['fingerprint_sha256'] == served_sha256(box.address, 8181)
    assert run.result['served']['fingerprint_sha256'] == run.result['keystore']['fingerprint_sha256']
    assert run.result['settings']['https_connector_port'] == 8181
    assert box_files(box) == before
    assert 'changeit' not in run.output


def test_planned_changes_are_what_the_modules_then_do(box):
    before = box_files(box)
    wanted = dict(SETTINGS, https_port=8443, force_https=True)
    run = plan(box, settings=wanted, certificate=selfsigned(box, server_name='other.lab.test'))
    assert not run.failed and not run.changed, run.output
    assert run.result['plan']['changes'] is True
    assert run.result['plan']['settings']['changed'] is True
    assert run.result['plan']['settings']['settings']['https_port'] == 8443
    assert run.result['plan']['certificate']['changed'] is True
    assert run.result['plan']['certificate']['reasons'] == ['names_differ']
    # Forcing HTTPS warns about the phones; the module that makes the change says it, not the plan.
    assert run.warnings == [], run.output
    assert box_files(box) == before

    settings = run_module('starface_webserver', dict(box_args(box), **wanted))
    assert settings.changed and not settings.failed, settings.output
    certificate = run_module('starface_csr', dict(box_args(box), state='selfsigned', server_name='other.lab.test'))
    assert certificate.changed and not certificate.failed, certificate.output
    again = plan(box, settings=wanted, certificate=selfsigned(box, server_name='other.lab.test'))
    assert again.result['plan']['changes'] is False, again.output


def test_a_change_waiting_for_its_restart_is_planned(box):
    staged = run_module('starface_webserver', dict(box_args(box), https_port=8443, restart=False))
    assert staged.changed and staged.result['restart_required'], staged.output
    run = plan(box, settings=dict(https_port=8443))
    assert run.result['plan']['pending'] is True and run.result['plan']['changes'] is True, run.output
    assert run.result['plan']['settings']['changed'] is False
    assert sorted(run.result['pending_files']) == sorted([str(box.server_xml), str(box.nat_rules_file)])
    assert run_module('starface_restart', box_args(box)).changed
    assert plan(box, settings=dict(https_port=8443)).result['plan']['changes'] is False


@pytest.mark.parametrize('options, field', [
    (dict(settings=dict(http_port=0)), 'http_port'),
    (dict(settings=dict(http_enabled=False, https_enabled=False)), 'http_enabled'),
    (dict(certificate=dict(source='selfsigned', server_name='pbx.lab.test', valid_days=10, renew_before_days=30)),
     'renew_before_days'),
])
def test_bad_input_fails_the_plan_naming_the_field(box, options, field):
    before = box_files(box)
    run = plan(box, **options)
    assert run.failed, run.output
    assert field in run.msg, run.msg
    assert box_files(box) == before


def test_a_ca_source_plans_renewal_of_the_provisional_certificate(box):
    names = box_names(box)
    run = plan(box, certificate=dict(source='ca', server_name=box.server_name, subject_alt_names=names))
    planned = dict(source='ca', changed=True, reasons=['self_signed'], kept=None, warnings=[])
    assert run.result['plan']['certificate'] == planned, run.output
    assert run.result['renewal'] == dict(needed=True, reasons=['self_signed'])
    assert run.result['plan']['settings'] is None
    forced = plan(box, certificate=dict(source='ca', server_name=box.server_name, subject_alt_names=names, force=True))
    assert forced.result['plan']['certificate']['reasons'] == ['forced', 'self_signed']


def test_files_a_killed_run_left_are_planned_and_the_restart_module_removes_them(box):
    leftover = box.server_xml.parent / '.server.xml.abcd1234.tmp'
    leftover.write_text('half a server.xml')
    run = plan(box, settings=SETTINGS)
    assert run.result['plan']['leftovers'] == [str(leftover)], run.output
    assert run.result['plan']['changes'] is True and run.result['plan']['settings']['changed'] is False
    assert leftover.exists(), 'the plan removed a file'
    restart = run_module('starface_restart', box_args(box))
    assert not restart.failed and not restart.changed, restart.output
    assert not leftover.exists()
    assert plan(box, settings=SETTINGS).result['plan']['changes'] is False


def test_a_kept_ca_signed_certificate_is_said_by_the_plan_when_nothing_changes(box, tmp_path):
    ca = OpensslCa(tmp_path / 'ca')
    made = run_module('starface_csr', dict(box_args(box), server_name=box.server_name, subject_alt_names=box_names(box)))
    assert not made.failed, made.output
    done = run_module('starface_cert_import', dict(box_args(box), certificate=ca.response(ca.sign(made.result['csr'])),
                                                   root_certificate=ca.text('root'), server_name=box.server_name))
    assert done.changed and not done.failed, done.output
    # The role's selfsigned source on a box that now serves a valid CA-signed certificate: kept, and said.
    run = plan(box, settings=SETTINGS, certificate=selfsigned(box))
    certificate = run.result['plan']['certificate']
    assert run.result['plan']['changes'] is False and certificate['changed'] is False, run.output
    assert certificate['kept']['reason'] == 'ca_signed', certificate
    assert any('Kept the CA-signed certificate' in warning for warning in run.warnings), run.output
    module = run_module('starface_csr', dict(box_args(box), state='selfsigned', server_name=box.server_name,
                                             subject_alt_names=box_names(box)))
    assert not module.changed and module.result['kept'] == certificate['kept'], module.output

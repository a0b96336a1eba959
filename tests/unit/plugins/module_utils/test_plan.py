# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of starface_plan's parameter handling and of listing a killed run's temporary files."""

from __future__ import annotations

from ansible_collections.telephony.starface.plugins.module_utils._change.files import remove_temporary_files, temporary_files
from ansible_collections.telephony.starface.plugins.module_utils._reconcile.plan import Rehearsal, box_params, info_params

BOX = dict(tomcat_base='/opt/tomcat', restart_command='/bin/true', ignore_ports=[50080, 50081])
CERTIFICATE = dict(source='ca', server_name='pbx.example.com', subject_alt_names=['pbx'], valid_days=365,
                   renew_before_days=30, renew_before_percent=10, force=False, key_type='RSA', key_size=2048,
                   curve='P-256')


def test_box_params_leave_out_the_plan_options():
    params = dict(BOX, probe=True, settings=dict(http_port=80), certificate=CERTIFICATE)
    assert box_params(params) == BOX


def test_info_params_carry_the_renewal_window_of_a_ca_source_only():
    ca = info_params(dict(BOX, probe=False, settings=None, certificate=CERTIFICATE))
    assert ca == dict(BOX, probe=False, server_name='pbx.example.com', subject_alt_names=['pbx'], renew_before_days=30,
                      renew_before_percent=10)
    selfsigned = info_params(dict(BOX, probe=True, settings=None, certificate=dict(CERTIFICATE, source='selfsigned')))
    assert selfsigned == dict(BOX, probe=True, server_name=None)


def test_a_rehearsal_is_check_mode_and_keeps_its_warnings():
    module = Rehearsal(dict(BOX))
    module.warn('first')
    module.warn('second')
    assert module.check_mode is True and module.warnings == ['first', 'second'] and module.params == BOX


def test_temporary_files_are_listed_without_removing_them(tmp_path):
    left = tmp_path / '.server.xml.abcd1234.tmp'
    left.write_text('half a file')
    (tmp_path / 'server.xml').write_text('<Server/>')
    assert temporary_files(str(tmp_path), ['server.xml']) == [str(left)]
    assert temporary_files(str(tmp_path)) == [str(left)]
    assert left.exists()
    assert remove_temporary_files(str(tmp_path), ['server.xml']) == [str(left)]
    assert not left.exists()

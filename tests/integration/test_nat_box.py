# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The modules on a box laid out like the audited STARFACE: Tomcat as tomcat on 8080/8181, NAT from 80/443.

Each box has its own network namespace; the tests run in the lab namespace it is linked to
(make integration runs them through `starface_lab.py netns-run`) and check the box from
there, through its public ports, as browsers and phones reach it.
"""

from __future__ import annotations

import pwd
import shutil
import subprocess
import sys

import pytest

from runner import box_args, file_hashes, run_module
from openssl_ca import OpensslCa
from lab.clients import get, port_refuses, served_sha256

pytestmark = pytest.mark.lab


@pytest.fixture
def nat_box(lab_box_factory):
    """A started NAT box: public 80/443, connectors 8080/8181, Tomcat as user tomcat."""
    return lab_box_factory(layout='nat')


def webserver(box, check=False, **options):
    """Run starface_webserver on the box (inside its namespace)."""
    return run_module('starface_webserver', dict(box_args(box), nat_rules_file=str(box.nat_rules_file), **options),
                      check=check)


def info(box, **options):
    """Run starface_webserver_info on the box."""
    return run_module('starface_webserver_info', dict(box_args(box), nat_rules_file=str(box.nat_rules_file),
                                                      **options))


def hashes(box):
    """Hashes of the files starface_webserver may change on a NAT box."""
    return file_hashes(box.server_xml, box.web_xml, box.nat_rules_file)


def in_box(box, *argv, **kwargs):
    """Run a command inside the box's network namespace."""
    return subprocess.run(['ip', 'netns', 'exec', box.netns] + list(argv), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, check=False, **kwargs)


def test_nat_box_is_laid_out_like_the_audited_starface(nat_box):
    pid = nat_box.pid()
    with open('/proc/%d/status' % pid, encoding='utf-8') as handle:
        uid = int(next(line for line in handle if line.startswith('Uid:')).split()[1])
    assert pwd.getpwuid(uid).pw_name == 'tomcat'
    assert nat_box.nat_redirects() == {80: 8080, 443: 8181}
    # Nothing listens on 80/443 inside the box: locally made connections skip PREROUTING.
    local = in_box(nat_box, sys.executable, '-c', 'import socket\nfor port in (80, 443, 8080):\n'
                   '    s = socket.socket()\n    print(port, s.connect_ex(("127.0.0.1", port)))')
    assert local.stdout.split('\n')[:3] == ['80 111', '443 111', '8080 0'], local.stdout
    status, dummy, body = get(nat_box.address, 80, '/', tls=False)
    assert status == 200 and 'STARFACE lab box' in body
    assert get(nat_box.address, 443, '/rest/login', tls=True)[0] == 200
    listing = subprocess.run(['keytool', '-list', '-keystore', str(nat_box.keystore), '-storepass', 'changeit'],
                             stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout
    assert 'tomcat,' in listing and 'root,' in listing


def test_info_reports_public_and_connector_ports_and_the_nat_rules(nat_box):
    run = info(nat_box)
    assert not run.failed, run.output
    settings = run.result['settings']
    assert (settings['http_port'], settings['https_port']) == (80, 443)
    assert (settings['http_connector_port'], settings['https_connector_port']) == (8080, 8181)
    redirects = dict((item['public_port'], (item['connector_port'], item['service']))
                     for item in run.result['nat']['redirects'])
    assert redirects == {80: (8080, 'http'), 443: (8181, 'https')}
    assert run.result['nat']['drift'] == dict(live_only=[], file_only=[], file_missing=False)
    assert run.result['tomcat']['user'] == 'tomcat' and run.result['tomcat']['may_bind_low_ports'] is False
    assert run.result['web_root'] == str(nat_box.web_app)
    assert run.result['served']['fingerprint_sha256'] == served_sha256(nat_box.address, 443)


def test_nothing_set_changes_nothing_and_force_https_off_and_on_is_exact(nat_box):
    rewrite = nat_box.rewrite_config
    pid, before = nat_box.pid(), file_hashes(nat_box.server_xml, nat_box.web_xml, nat_box.nat_rules_file, rewrite)
    run = webserver(nat_box)
    assert not run.failed and not run.changed, run.output
    forced = webserver(nat_box, force_https=True, force_https_exempt_paths=['/addressbook/'])
    assert not forced.failed and forced.changed, forced.output
    assert any('address book' in warning for warning in forced.warnings), forced.warnings
    again = webserver(nat_box, force_https=True)
    assert not again.failed and not again.changed, again.output
    assert again.result['settings']['force_https_exempt_paths'] == ['/addressbook/']
    # The web UI on port 80 goes to https://box/ (the public port), its query string with it.
    status, headers, dummy = get(nat_box.address, 80, '/rest/login?lang=de', tls=False)
    assert status == 302 and headers['location'] == 'https://%s/rest/login?lang=de' % nat_box.address, headers
    assert get(nat_box.address, 443, '/rest/login', tls=True)[0] == 200
    # Phone provisioning on 50080, the exempted address book and ACME challenges stay on plain HTTP.
    assert get(nat_box.address, 50080, '/rest/login', tls=False)[0] == 200
    status, dummy, body = get(nat_box.address, 80, '/addressbook/phonebook.xml', tls=False)
    assert status == 200 and 'Reception' in body
    # The exemptions hold for the path Tomcat serves, not the raw one: no way round the redirect through them.
    for sneaky in ('/.well-known/acme-challenge/..;/..;/rest/login', '/addressbook/..;/rest/login',
                   '/addressbook/%2e%2e/rest/login'):
        status, headers, dummy = get(nat_box.address, 80, sneaky, tls=False)
        assert status == 302 and headers['location'] == 'https://%s/rest/login' % nat_box.address, (sneaky, headers)
    challenge = nat_box.web_app / '.well-known' / 'acme-challenge' / 'token-1'
    challenge.parent.mkdir(parents=True)
    challenge.write_text('token-1.thumbprint')
    try:
        assert get(nat_box.address, 80, '/.well-known/acme-challenge/token-1', tls=False)[:3:2] == \
            (200, 'token-1.thumbprint')
    finally:
        shutil.rmtree(str(nat_box.web_app / '.well-known'))
    off = webserver(nat_box, force_https=False)
    assert not off.failed and off.changed, off.output
    assert file_hashes(nat_box.server_xml, nat_box.web_xml, nat_box.nat_rules_file, rewrite) == before
    assert get(nat_box.address, 80, '/rest/login', tls=False)[0] == 200
    assert nat_box.pid() != pid  # the rewrite valve is read at start: Tomcat restarted for it


def test_public_port_moves_the_redirect_without_a_restart_and_back_is_byte_identical(nat_box):
    pid, before, rules = nat_box.pid(), hashes(nat_box), nat_box.saved_rules()
    moved = webserver(nat_box, http_port=8088)
    assert not moved.failed and moved.changed, moved.output
    assert moved.result['restarted'] is False
    assert any('moved to port 8088' in warning for warning in moved.warnings), moved.warnings
    assert nat_box.pid() == pid
    assert get(nat_box.address, 8088, '/rest/login', tls=False)[0] == 200
    assert port_refuses(nat_box.address, 80)
    assert '--dport 8088 -j REDIRECT --to-ports 8080' in nat_box.nat_rules_file.read_text()
    assert nat_box.nat_redirects() == {8088: 8080, 443: 8181}
    again = webserver(nat_box, http_port=8088)
    assert not again.failed and not again.changed, again.output
    back = webserver(nat_box, http_port=80)
    assert not back.failed and back.changed, back.output
    assert hashes(nat_box) == before and nat_box.saved_rules() == rules
    assert get(nat_box.address, 80, '/rest/login', tls=False)[0] == 200
    assert nat_box.pid() == pid


def test_disabled_http_loses_redirect_and_connector_and_comes_back(nat_box):
    before, rules = hashes(nat_box), nat_box.saved_rules()
    off = webserver(nat_box, http_enabled=False)
    assert not off.failed and off.changed, off.output
    assert port_refuses(nat_box.address, 80) and port_refuses(nat_box.address, 8080)
    assert nat_box.nat_redirects() == {443: 8181}
    assert get(nat_box.address, 443, '/rest/login', tls=True)[0] == 200
    on = webserver(nat_box, http_enabled=True)
    assert not on.failed and on.changed, on.output
    assert get(nat_box.address, 80, '/rest/login', tls=False)[0] == 200
    assert nat_box.saved_rules() == rules
    assert hashes(nat_box)[str(nat_box.nat_rules_file)] == before[str(nat_box.nat_rules_file)]


@pytest.mark.parametrize('check_mode', [False, True], ids=['run', 'check-mode'])
def test_low_connector_port_for_tomcat_user_is_refused_before_any_write(nat_box, check_mode):
    pid, before = nat_box.pid(), hashes(nat_box)
    run = webserver(nat_box, check=check_mode, https_connector_port=443)
    assert run.failed, run.output
    assert run.msg.startswith('https_connector_port: Tomcat runs as tomcat (uid'), run.msg
    assert 'NAT rule' in run.msg and run.msg.endswith('Nothing was changed.'), run.msg
    assert hashes(nat_box) == before and nat_box.pid() == pid


@pytest.mark.parametrize('check_mode', [False, True], ids=['run', 'check-mode'])
def test_public_port_held_by_another_program_is_refused_naming_it(nat_box, check_mode):
    pid, before = nat_box.pid(), hashes(nat_box)
    holder = subprocess.Popen(['ip', 'netns', 'exec', nat_box.netns, sys.executable, '-c',
                               'import socket, sys, time\ns = socket.socket()\n'
                               's.bind(("0.0.0.0", 8090))\ns.listen()\nprint("ready", flush=True)\ntime.sleep(120)'],
                              stdout=subprocess.PIPE, universal_newlines=True)
    try:
        assert holder.stdout.readline().strip() == 'ready'
        run = webserver(nat_box, check=check_mode, http_port=8090)
    finally:
        holder.kill()
        holder.wait()
    assert run.failed, run.output
    assert run.msg.startswith('http_port: port 8090 is in use by PID '), run.msg
    assert 'a redirect from it to Tomcat would cut that program off' in run.msg, run.msg
    assert hashes(nat_box) == before and nat_box.pid() == pid
    assert nat_box.nat_redirects() == {80: 8080, 443: 8181}


def test_a_pending_change_is_not_committed_by_a_change_of_rules_alone(nat_box):
    pid = nat_box.pid()
    pending = webserver(nat_box, force_https=True, restart=False)
    assert not pending.failed and pending.result['restart_required'] is True, pending.output
    moved = webserver(nat_box, http_port=8088, restart=False)
    assert not moved.failed and moved.changed, moved.output
    assert moved.result['restart_required'] is True, moved.output  # forced HTTPS still waits for its restart
    assert nat_box.pid() == pid
    done = webserver(nat_box, http_port=8088)
    assert not done.failed and done.result.get('restarted') is True, done.output
    assert nat_box.pid() != pid
    status, headers, dummy = get(nat_box.address, 8088, '/rest/login', tls=False)
    assert status == 302 and headers['location'] == 'https://%s/rest/login' % nat_box.address, headers


def keytool_leaf_sha256(box, alias):
    """Return keytool's SHA-256 fingerprint of the alias's certificate (upper-case, colons)."""
    listing = subprocess.run(['keytool', '-list', '-v', '-keystore', str(box.keystore), '-alias', alias,
                              '-storepass:env', 'KS_STOREPASS'], env={'KS_STOREPASS': 'changeit', 'PATH': '/usr/bin:/bin'},
                             stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout
    return listing.split('SHA256: ')[1].split()[0]


def test_import_keeps_the_root_alias_in_step(nat_box, tmp_path):
    """STARFACE's keystore holds the served key and chain under tomcat and root: an import updates both."""
    ca = OpensslCa(tmp_path / 'ca')
    assert keytool_leaf_sha256(nat_box, 'root') == keytool_leaf_sha256(nat_box, 'tomcat')
    made = run_module('starface_csr', dict(box_args(nat_box), server_name=nat_box.server_name,
                                           nat_rules_file=str(nat_box.nat_rules_file)))
    assert made.changed and not made.failed, made.output
    leaf = ca.sign(made.result['csr'])
    done = run_module('starface_cert_import', dict(
        box_args(nat_box), nat_rules_file=str(nat_box.nat_rules_file), server_name=nat_box.server_name,
        certificate=leaf + ca.text('inter2') + ca.text('inter1'), root_certificate=ca.text('root')))
    assert done.changed and not done.failed, done.output
    assert done.result['aliases_in_step'] == ['root']
    served = served_sha256(nat_box.address, 443)
    assert served == keytool_leaf_sha256(nat_box, 'tomcat') == keytool_leaf_sha256(nat_box, 'root')
    assert served == done.result['certificate']['fingerprint_sha256']
    listed = info(nat_box, probe=False).result['keystore']['aliases']
    assert sorted(item['alias'] for item in listed) == ['root', 'tomcat']

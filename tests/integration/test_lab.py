# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Acceptance tests of the lab box: a real Tomcat 10.1 laid out like a STARFACE, checked from outside."""
from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import stat
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from lab.clients import get, port_refuses, served_der
from lab.starface_lab import LabBox, LabError

pytestmark = pytest.mark.lab

TOOL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'lab', 'starface_lab.py')
LOGIN_KEYS = {'loginType', 'nonce', 'secret'}
BOX_PORTS = [(80, False), (443, True), (50080, False), (50081, True)]


def served_certificate(address: str, port: int) -> x509.Certificate:
    """The certificate a TLS handshake with address:port presents."""
    return x509.load_der_x509_certificate(served_der(address, port))


def keytool_sha256(box: LabBox) -> str:
    """The SHA-256 fingerprint of the keystore's certificate as `keytool -list -v` prints it."""
    output = subprocess.run(['keytool', '-list', '-v', '-keystore', str(box.keystore), '-storepass', 'changeit',
                             '-alias', 'tomcat'], capture_output=True, text=True, check=True).stdout
    return re.search(r'SHA256:\s*([0-9A-F:]+)', output).group(1)


def colon_hex(digest: bytes) -> str:
    """Upper-case colon-separated hex, as keytool prints fingerprints."""
    return ':'.join('{0:02X}'.format(byte) for byte in digest)


def jvms_of(box: LabBox) -> list:
    """PIDs of live processes whose command line mentions the box directory."""
    found = []
    for entry in os.listdir('/proc'):
        try:
            with open('/proc/{0}/cmdline'.format(entry), 'rb') as handle:
                cmdline = handle.read()
            with open('/proc/{0}/stat'.format(entry), 'rb') as handle:
                state = handle.read().rsplit(b')', 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if str(box.root).encode() in cmdline and state != b'Z' and int(entry) != os.getpid():
            found.append(int(entry))
    return found


def cli(*args: str) -> subprocess.CompletedProcess:
    """Run the lab tool's command line."""
    return subprocess.run([sys.executable, TOOL] + list(args), capture_output=True, text=True, check=False,
                          timeout=180)


def report_rss(capsys, boxes: list) -> None:
    """Print the JVM's resident memory of each box (measured, not asserted)."""
    with capsys.disabled():
        for box in boxes:
            print('\nlab box {0}: JVM RSS {1} KiB'.format(box.server_name, box.status()['rss_kib']))


def test_box_serves_its_provisional_certificate(lab_box):
    """The HTTPS port presents the keystore's self-signed certificate for the server name and address."""
    cert = served_certificate(lab_box.address, 443)
    assert colon_hex(hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).digest()) == keytool_sha256(lab_box)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == lab_box.server_name
    assert cert.issuer == cert.subject
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == [lab_box.server_name]
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == [lab_box.address]
    key = serialization.load_pem_private_key(lab_box.key_pem.read_bytes(), password=None)
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()
    for path in (lab_box.keystore, lab_box.key_pem):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_every_port_serves_the_index_page(lab_box):
    """HTTP, HTTPS and both provisioning ports answer with the box's page."""
    for port, tls in BOX_PORTS:
        status, _headers, body = get(lab_box.address, port, '/', tls)
        assert status == 200, port
        assert 'STARFACE lab box {0}'.format(lab_box.server_name) in body, port


def test_rest_login_answers_like_a_starface(lab_box):
    """GET /rest/login answers the STARFACE login JSON with a fresh nonce each time, over HTTP and HTTPS."""
    nonces = set()
    for port, tls in BOX_PORTS[:2] * 2:
        status, headers, body = get(lab_box.address, port, '/rest/login', tls)
        assert status == 200, port
        assert headers['content-type'] == 'application/json', port
        answer = json.loads(body)
        assert set(answer) == LOGIN_KEYS, port
        assert answer['loginType'] == 'Internal', port
        assert answer['secret'] is None, port
        nonces.add(str(uuid.UUID(answer['nonce'])))
    assert len(nonces) == 4


def test_stop_leaves_nothing_running(lab_box):
    """After stop the JVM is gone, no process mentions the box, the ports refuse; a second stop does nothing."""
    pid = lab_box.pid()
    assert pid in jvms_of(lab_box)
    assert lab_box.stop() == [pid]
    assert jvms_of(lab_box) == []
    assert lab_box.pid() is None
    assert not lab_box.pid_file.exists()
    for port, _tls in BOX_PORTS:
        assert port_refuses(lab_box.address, port), port
    assert lab_box.stop() == []


def test_three_boxes_run_at_once(lab_box_factory, capsys):
    """Three boxes serve ports 80 and 443 at the same time, each on its own address with its own certificate."""
    boxes = [lab_box_factory() for _number in range(3)]
    assert len({box.address for box in boxes}) == 3
    for box in boxes:
        assert box.pid() is not None
        cert = served_certificate(box.address, 443)
        assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == box.server_name
        assert get(box.address, 80, '/rest/login', False)[0] == 200
    report_rss(capsys, boxes)


def test_restart_command_picks_up_a_changed_port(lab_box):
    """The box's restart command restarts Tomcat with the ports of the edited server.xml."""
    old_pid = lab_box.pid()
    text = lab_box.server_xml.read_text(encoding='utf-8')
    lab_box.server_xml.write_text(text.replace('port="443"', 'port="8443"').replace(
        'redirectPort="443"', 'redirectPort="8443"'), encoding='utf-8')
    result = subprocess.run([str(lab_box.restart_command)], capture_output=True, text=True, check=False, timeout=180)
    assert result.returncode == 0, result.stderr
    assert old_pid not in jvms_of(lab_box)
    assert colon_hex(hashlib.sha256(served_certificate(lab_box.address, 8443).public_bytes(
        serialization.Encoding.DER)).digest()) == keytool_sha256(lab_box)
    assert port_refuses(lab_box.address, 443)


def test_start_fails_when_the_https_port_is_taken(lab_box_factory):
    """Another listener on the HTTPS port makes start fail with a clear message and leave no JVM behind."""
    box = lab_box_factory(start=False)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind((box.address, 443))
        squatter.listen()
        result = cli('start', '--root', str(box.root), '--timeout', '60')
        assert result.returncode == 1
        assert 'port 443 on {0}'.format(box.address) in result.stderr
        assert 'Address already in use' in result.stderr
        assert jvms_of(box) == []
        with pytest.raises(LabError, match='port 443'):
            box.start()
        assert jvms_of(box) == []
    assert not box.pid_file.exists()


def test_legacy_box_is_written_but_refuses_to_start(lab_box_factory):
    """A legacy-style box has the keystore attributes on <Connector>; start refuses it before launching Java."""
    box = lab_box_factory(start=False, style='legacy')
    https = [c for c in ET.parse(str(box.server_xml)).getroot().iter('Connector') if c.get('port') == '443'][0]
    assert https.get('keystoreFile') == 'ssl/tomcat.keystore'
    assert https.get('keyAlias') == 'tomcat'
    assert https.find('SSLHostConfig') is None
    result = cli('start', '--root', str(box.root))
    assert result.returncode == 1
    assert 'legacy' in result.stderr and '--style current' in result.stderr
    assert jvms_of(box) == []
    assert not box.catalina_out.exists()


def test_forced_https_redirects_http(lab_box_factory):
    """A box created with --force-https answers HTTP with a redirect to its HTTPS port."""
    box = lab_box_factory(force_https=True)
    status, headers, _body = get(box.address, 80, '/rest/login', False)
    assert status == 302
    assert headers['location'] == 'https://{0}/rest/login'.format(box.address)
    assert get(box.address, 443, '/rest/login', True)[0] == 200


def test_status_reports_the_running_box(lab_box, capsys):
    """status shows the PID, the ports and the served certificate; after stop it shows nothing running."""
    result = cli('status', '--root', str(lab_box.root))
    assert result.returncode == 0, result.stderr
    state = json.loads(result.stdout)
    assert state['running'] is True
    assert state['pid'] == lab_box.pid()
    assert state['certificate_sha256'] == keytool_sha256(lab_box)
    assert [(p['port'], p['scheme'], p['accepting']) for p in state['ports']] == [
        (80, 'http', True), (443, 'https', True), (50080, 'http', True), (50081, 'https', True)]
    assert state['rss_kib'] > 0
    report_rss(capsys, [lab_box])
    lab_box.stop()
    state = json.loads(cli('status', '--root', str(lab_box.root)).stdout)
    assert (state['running'], state['pid'], state['certificate_sha256']) == (False, None, None)
    assert not any(p['accepting'] for p in state['ports'])


def test_layout_looks_like_a_starface(lab_box_factory):
    """The box's files are where a STARFACE has them, and server.xml has only the web UI and provisioning."""
    box = lab_box_factory(start=False)
    root = ET.parse(str(box.server_xml)).getroot()
    assert root.get('port') == '-1'
    connectors = [(c.get('address'), c.get('port'), c.get('SSLEnabled')) for c in root.iter('Connector')]
    assert connectors == [(box.address, '80', None), (box.address, '443', 'true'),
                          (box.address, '50080', None), (box.address, '50081', 'true')]
    assert root.find('./Service/Engine/Host').get('autoDeploy') == 'false'
    certificate = root.find(".//Connector[@port='443']/SSLHostConfig/Certificate")
    assert certificate.attrib == {
        'certificateKeystoreFile': 'ssl/tomcat.keystore', 'certificateKeystorePassword': 'changeit',
        'certificateKeyAlias': 'tomcat', 'certificateKeystoreType': 'JKS', 'type': 'RSA'}
    for name in ('web.xml', 'logging.properties', 'catalina.properties', 'context.xml', 'tomcat-users.xml'):
        assert (box.base / 'conf' / name).is_file(), name
    script = box.restart_command.read_text(encoding='utf-8')
    assert 'restart --root {0}'.format(box.root) in script and os.access(str(box.restart_command), os.X_OK)
    assert json.loads(box.config_file.read_text(encoding='utf-8'))['address'] == box.address


@pytest.mark.parametrize('options, message', [
    ({'address': '192.0.2.10'}, '--address'),
    ({'address': '127.0.0.300'}, '--address'),
    ({'server_name': 'https://pbx.example.com'}, '--server-name'),
    ({'sans': ['URI:https://pbx']}, '--san'),
    ({'sans': ['IP:pbx']}, '--san'),
    ({'https_port': 80}, 'must all differ'),
    ({'http_port': 70000}, '--http-port'),
    ({'days': 0}, '--days'),
    ({'style': 'tomcat7'}, '--style'),
])
def test_create_refuses_bad_options(tmp_path, options, message):
    """Bad create options are refused before anything is written."""
    box = LabBox(tmp_path / 'box')
    arguments = dict({'address': '127.0.0.99'}, **options)
    with pytest.raises(LabError, match=re.escape(message)):
        box.create(**arguments)
    assert not box.root.exists()

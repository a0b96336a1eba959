# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""starface_csr and starface_cert_import on lab boxes: the path a user takes, checked with openssl and TLS."""

from __future__ import annotations

import datetime
import hashlib
import re
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from openssl_ca import OpensslCa
from lab.clients import openssl_verify, served_sha256
from runner import box_args, file_hashes, run_module

pytestmark = pytest.mark.lab

NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def pem_sha256(pem: str) -> str:
    """Return the SHA-256 fingerprint of a PEM certificate, upper-case colon hex."""
    der = x509.load_pem_x509_certificate(pem.encode('ascii')).public_bytes(serialization.Encoding.DER)
    digest = hashlib.sha256(der).hexdigest().upper()
    return ':'.join(digest[i:i + 2] for i in range(0, len(digest), 2))


def messy(*pems: str) -> str:
    """Paste certificates the way people do: reversed, blank lines, CRLF, trailing spaces, text around."""
    text = 'Here is your certificate:\r\n\r\n\r\n'
    for pem in reversed(pems):
        lines = pem.strip().splitlines()
        text += '\r\n'.join('  ' + line + ' \t' for line in lines) + '\r\n\r\n\r\n'
    return text + 'Kind regards, your CA\r\n'


def keytool_chain_length(box) -> int:
    """Return the certificate chain length keytool sees for the alias tomcat."""
    output = subprocess.run(['keytool', '-list', '-v', '-keystore', str(box.keystore), '-storepass', 'changeit',
                             '-alias', 'tomcat'], stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout
    return int(re.search(r'Certificate chain length: (\d+)', output).group(1))


def request(box, **options):
    """Run starface_csr (state request) on the box."""
    args = dict(box_args(box), server_name=box.server_name, subject_alt_names=[box.address])
    args.update(options)
    return run_module('starface_csr', args)


def import_response(box, certificate, root, check=False, **options):
    """Run starface_cert_import on the box."""
    args = dict(box_args(box), certificate=certificate, server_name=box.server_name)
    if root is not None:
        args['root_certificate'] = root
    args.update(options)
    return run_module('starface_cert_import', args, check=check, diff=check)


@pytest.fixture
def lab_box(lab_box_factory):
    """A box laid out like the audited STARFACE: Tomcat as tomcat on 8080/8181, NAT from 80/443 (tests/lab/README.md)."""
    return lab_box_factory(layout='nat')


@pytest.fixture(scope='module')
def ca(tmp_path_factory):
    """The independent CA, made once for this file."""
    return OpensslCa(tmp_path_factory.mktemp('ca'))


def test_request_sign_import_verify(lab_box, ca):
    made = request(lab_box)
    assert made.changed and not made.failed, made.output
    wanted = sorted(['DNS:' + lab_box.server_name, 'IP:' + lab_box.address])
    assert made.result['request']['subject_alt_names'] == wanted
    again = request(lab_box)
    assert not again.changed and again.result['csr'] == made.result['csr']
    assert '-----BEGIN PRIVATE KEY' not in made.output

    leaf = ca.sign(made.result['csr'])
    response = messy(leaf, ca.text('inter2'), ca.text('inter1'))
    root = '\r\n\r\n' + ca.text('root').replace('\n', '\r\n') + '\r\n\r\n'
    keystore = file_hashes(lab_box.keystore)

    checked = import_response(lab_box, response, root, check=True)
    assert checked.changed and not checked.failed, checked.output
    assert checked.result['diff']['after']['fingerprint_sha256'] == pem_sha256(leaf)
    assert file_hashes(lab_box.keystore) == keystore

    done = import_response(lab_box, response, root)
    assert done.changed and not done.failed, done.output
    assert done.result['key_source'] == 'pending'
    assert served_sha256(lab_box.address, 443) == pem_sha256(leaf)
    verified = openssl_verify(lab_box.address, 443, lab_box.server_name, str(ca.path('root.pem')))
    assert 'Verify return code: 0 (ok)' in verified.stdout, verified.stdout
    assert keytool_chain_length(lab_box) == 3

    rerun = import_response(lab_box, response, root)
    assert not rerun.changed and not rerun.failed, rerun.output
    info = run_module('starface_webserver_info', box_args(lab_box))
    assert info.result['pending_request'] is None
    assert info.result['served']['issuer'].endswith('CN=Lab Issuing CA 2') or 'Lab Issuing CA 2' in \
        info.result['served']['issuer']


def test_request_from_current_key_matches_served_certificate(lab_box, ca):
    made = request(lab_box, key='current')
    assert not made.failed, made.output
    leaf = ca.sign(made.result['csr'], name='current')
    done = import_response(lab_box, ca.response(leaf), ca.text('root'))
    assert done.changed and done.result['key_source'] == 'current', done.output
    assert served_sha256(lab_box.address, 443) == pem_sha256(leaf)


def foreign_key_pem():
    """A private key made for the test, as people might paste it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode('ascii')


def load_ca_key(ca, name):
    """Load one of the openssl CA's keys."""
    return serialization.load_pem_private_key(ca.path(name + '.key').read_bytes(), None)


def load_ca_cert(ca, name):
    """Load one of the openssl CA's certificates."""
    return x509.load_pem_x509_certificate(ca.text(name).encode('ascii'))


def issue_with(ca, csr_pem, issuer='inter2', not_before=None, not_after=None, key=None, subject=None):
    """Sign with the CA's key through cryptography, for dates openssl x509 cannot set."""
    csr = x509.load_pem_x509_csr(csr_pem.encode('ascii'))
    issuer_cert = load_ca_cert(ca, issuer)
    builder = (x509.CertificateBuilder().subject_name(subject or csr.subject).issuer_name(issuer_cert.subject)
               .public_key(key.public_key() if key else csr.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before or NOW - DAY).not_valid_after(not_after or NOW + 90 * DAY)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value,
                              critical=False))
    return builder.sign(load_ca_key(ca, issuer), hashes.SHA256()).public_bytes(
        serialization.Encoding.PEM).decode('ascii')


def expired_inter2(ca):
    """The issuing CA's certificate re-issued with a validity that ended yesterday."""
    inter2 = load_ca_cert(ca, 'inter2')
    builder = (x509.CertificateBuilder().subject_name(inter2.subject)
               .issuer_name(load_ca_cert(ca, 'inter1').subject)
               .public_key(load_ca_key(ca, 'inter2').public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(NOW - 400 * DAY).not_valid_after(NOW - DAY)
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True))
    return builder.sign(load_ca_key(ca, 'inter1'), hashes.SHA256()).public_bytes(
        serialization.Encoding.PEM).decode('ascii')


def other_root():
    """A root CA certificate of another CA."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'Other Root CA')])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(NOW - DAY)
            .not_valid_after(NOW + 3650 * DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode('ascii')


def test_bad_responses_fail_clearly_and_leave_the_keystore_alone(lab_box, ca, tmp_path):
    csr = request(lab_box).result['csr']
    other_csr = subprocess.run(
        ['openssl', 'req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', str(tmp_path / 'other.key'),
         '-subj', '/CN=%s' % lab_box.server_name, '-addext', 'subjectAltName=DNS:%s' % lab_box.server_name],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True, check=True).stdout
    weak_csr = subprocess.run(
        ['openssl', 'req', '-new', '-newkey', 'rsa:1024', '-nodes', '-keyout', str(tmp_path / 'weak.key'),
         '-subj', '/CN=%s' % lab_box.server_name, '-addext', 'subjectAltName=DNS:%s' % lab_box.server_name],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True, check=True).stdout
    good = ca.sign(csr, name='good')
    root = ca.text('root')
    inter1, inter2 = ca.text('inter1'), ca.text('inter2')
    key_text = foreign_key_pem()
    not_ca = ca.sign(other_csr, name='notca')
    ca.path('notca.key').write_bytes((tmp_path / 'other.key').read_bytes())
    truncated = good.strip().splitlines()
    corrupt = good.replace(good.splitlines()[5], '!!!' + good.splitlines()[5][3:])
    cases = {
        'empty': dict(certificate='', root=root),
        'garbage': dict(certificate='hello, this is not a certificate', root=root),
        'html error page': dict(certificate='<html><body>502 Bad Gateway</body></html>', root=root),
        'private key pasted': dict(certificate=good + key_text, root=root),
        'private key as root': dict(certificate=ca.response(good), root=key_text),
        'truncated block': dict(certificate='\n'.join(truncated[:-3]) + '\n', root=root),
        'corrupt base64': dict(certificate=corrupt + inter2 + inter1, root=root),
        'request pasted': dict(certificate=csr, root=root),
        'certificate of another request': dict(certificate=ca.response(ca.sign(other_csr, name='other')),
                                               root=root),
        'missing intermediate': dict(certificate=good + inter1, root=root),
        'wrong root': dict(certificate=ca.response(good), root=other_root()),
        'expired certificate': dict(certificate=ca.response(issue_with(ca, csr, not_before=NOW - 100 * DAY,
                                                                       not_after=NOW - DAY)), root=root),
        'not yet valid': dict(certificate=ca.response(issue_with(ca, csr, not_before=NOW + 10 * DAY,
                                                                 not_after=NOW + 100 * DAY)), root=root),
        'expired intermediate': dict(certificate=good + expired_inter2(ca) + inter1, root=root),
        'name not covered': dict(certificate=ca.response(good), root=root, server_name='other.example.net'),
        'sha1 signature': dict(certificate=ca.response(ca.sign(csr, name='sha1', digest='sha1')), root=root),
        'weak rsa key': dict(certificate=ca.response(ca.sign(weak_csr, name='weak')), root=root),
        'leaf as root': dict(certificate=ca.response(good), root=not_ca),
        'two roots': dict(certificate=ca.response(good), root=root + other_root()),
        'only the root': dict(certificate=root, root=root),
        'two server certificates': dict(certificate=good + not_ca + inter2 + inter1, root=root),
        'garbage root': dict(certificate=ca.response(good), root='see attachment'),
        'signed by a non-CA': dict(certificate=ca.response(ca.sign(csr, name='by-leaf', issuer='notca')) + not_ca,
                                   root=root),
    }
    before = file_hashes(lab_box.keystore, lab_box.key_pem, lab_box.server_xml)
    messages = {}
    problems = []
    for name, case in cases.items():
        extra = dict((key, value) for key, value in case.items() if key not in ('certificate', 'root'))
        run = import_response(lab_box, case['certificate'], case['root'], **extra)
        if not run.failed:
            problems.append('%s: did not fail: %s' % (name, run.result))
            continue
        messages[name] = run.msg
        if 'PRIVATE KEY' in run.output and 'BEGIN' in run.output.split('PRIVATE KEY')[0][-20:]:
            problems.append('%s: key material in the output' % name)
        if key_text.splitlines()[1] in run.output:
            problems.append('%s: key material in the output' % name)
        if file_hashes(lab_box.keystore, lab_box.key_pem, lab_box.server_xml) != before:
            problems.append('%s: changed the box' % name)
    assert not problems, '\n'.join(problems)
    assert len(cases) >= 20
    duplicates = [name for name in messages if list(messages.values()).count(messages[name]) > 1]
    assert not duplicates, '\n'.join('%s: %s' % (name, messages[name]) for name in duplicates)
    for name, msg in sorted(messages.items()):
        print('%-32s %s' % (name, msg))


def test_provisional_certificate_renewed_only_when_about_to_expire(lab_box_factory):
    soon = lab_box_factory(days=10, layout='nat')
    args = dict(box_args(soon), state='selfsigned', server_name=soon.server_name, subject_alt_names=[soon.address],
                renew_before_days=30, valid_days=730)
    old = served_sha256(soon.address, 443)
    run = run_module('starface_csr', args)
    assert run.changed and not run.failed, run.output
    assert run.result['reasons'] == ['expires_soon']
    assert run.result['certificate']['days_remaining'] >= 729
    new = served_sha256(soon.address, 443)
    assert new != old and new == run.result['certificate']['fingerprint_sha256']
    again = run_module('starface_csr', args)
    assert not again.changed and again.result['reasons'] == [], again.output
    assert served_sha256(soon.address, 443) == new

    fresh = lab_box_factory(days=365, layout='nat')
    keystore = file_hashes(fresh.keystore)
    kept = run_module('starface_csr', dict(box_args(fresh), state='selfsigned', server_name=fresh.server_name,
                                           subject_alt_names=[fresh.address], renew_before_days=30))
    assert not kept.changed and not kept.failed, kept.output
    assert file_hashes(fresh.keystore) == keystore


def test_provisional_certificate_follows_new_names(lab_box):
    run = run_module('starface_csr', dict(box_args(lab_box), state='selfsigned', server_name='pbx.example.com',
                                          subject_alt_names=['pbx', '192.0.2.10']))
    assert run.changed and run.result['reasons'] == ['names_differ'], run.output
    served = run_module('starface_webserver_info', box_args(lab_box)).result['served']
    assert served['common_name'] == 'pbx.example.com'
    assert sorted(served['subject_alt_names']) == ['DNS:pbx', 'DNS:pbx.example.com', 'IP:192.0.2.10']


def test_a_valid_ca_signed_certificate_is_kept_by_selfsigned_unless_forced(lab_box, ca):
    made = request(lab_box)
    leaf = ca.sign(made.result['csr'], name='kept')
    assert import_response(lab_box, ca.response(leaf), ca.text('root')).changed
    keystore = file_hashes(lab_box.keystore)
    selfsigned = dict(box_args(lab_box), state='selfsigned', server_name='other.example.com')

    kept = run_module('starface_csr', selfsigned)
    assert not kept.changed and not kept.failed, kept.output
    assert kept.result['reasons'] == []
    assert kept.result['kept']['reason'] == 'ca_signed'
    assert kept.result['kept']['would_replace_for'] == ['names_differ']
    assert kept.result['kept']['message'].startswith('Kept the CA-signed certificate of CN=%s' % lab_box.server_name)
    assert '[WARNING]: ' + kept.result['kept']['message'] in kept.output, kept.output
    assert file_hashes(lab_box.keystore) == keystore
    assert served_sha256(lab_box.address, 443) == pem_sha256(leaf)

    forced = run_module('starface_csr', dict(selfsigned, force=True))
    assert forced.changed and not forced.failed, forced.output
    assert forced.result['reasons'] == ['forced'] and 'kept' not in forced.result
    assert served_sha256(lab_box.address, 443) == forced.result['certificate']['fingerprint_sha256']
    assert forced.result['certificate']['self_signed'] is True


def test_empty_certificate_file_is_named_not_pasting(lab_box, tmp_path):
    empty = tmp_path / 'answer.pem'
    empty.write_text('\n  \n')
    before = file_hashes(lab_box.keystore, lab_box.key_pem, lab_box.server_xml)
    run = run_module('starface_cert_import', dict(box_args(lab_box), certificate_path=str(empty)))
    assert run.failed, run.output
    assert run.msg == ('certificate_path: the file %s is empty: put the certificate in it as PEM or DER, or check '
                       'the path' % empty), run.msg
    assert file_hashes(lab_box.keystore, lab_box.key_pem, lab_box.server_xml) == before


def test_an_import_left_pending_removes_the_request_with_the_commit_and_a_rollback_keeps_it(lab_box, ca):
    made = request(lab_box)
    assert made.changed and not made.failed, made.output
    first = ca.sign(made.result['csr'], name='pending-one')

    staged = import_response(lab_box, ca.response(first), ca.text('root'), restart=False)
    assert staged.changed and staged.result['restart_required'], staged.output
    info = run_module('starface_webserver_info', box_args(lab_box))
    assert info.result['pending_request'] is None and info.result['restart_required'], info.output
    rolled_back = run_module('starface_restart', dict(box_args(lab_box), state='rolled_back'))
    assert rolled_back.changed and not rolled_back.failed, rolled_back.output
    # The request is pending again, with its key: the same answer imports.
    info = run_module('starface_webserver_info', box_args(lab_box))
    assert info.result['pending_request']['subject'] == made.result['request']['subject'], info.output

    staged = import_response(lab_box, ca.response(first), ca.text('root'), restart=False)
    assert staged.changed and staged.result['key_source'] == 'pending', staged.output
    committed = run_module('starface_restart', box_args(lab_box))
    assert committed.changed and not committed.failed, committed.output
    assert served_sha256(lab_box.address, 443) == pem_sha256(first)
    info = run_module('starface_webserver_info', box_args(lab_box))
    assert info.result['pending_request'] is None and not info.result['restart_required'], info.output
    assert not (lab_box.base / '.telephony.starface' / 'pending-key.pem').exists()

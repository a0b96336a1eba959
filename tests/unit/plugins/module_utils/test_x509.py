# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of _x509: loading, facts, keys, CSRs, self-signed certificates and name coverage."""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import subprocess
import sys
import textwrap

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from ansible_collections.telephony.starface.plugins.module_utils._crypto import x509 as _x509
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError
from ansible_collections.telephony.starface.tests.unit.plugins.module_utils import certfactory
from ansible_collections.telephony.starface.tests.unit.plugins.module_utils.certfactory import DAY, NOW, issue

FIELD = 'certificate'


def _colon_hex(digest):
    """Return bytes as upper-case colon hex."""
    return ':'.join('%02X' % byte for byte in digest)


def _raises(call, *args, **kwargs):
    """Call and return the StarfaceError it must raise."""
    with pytest.raises(StarfaceError) as caught:
        call(*args, **kwargs)
    return caught.value


# ---------------------------------------------------------------- load_certificates

OPENSSL_TEXT = textwrap.dedent('''\
    Certificate:
        Data:
            Version: 3 (0x2)
            Serial Number: 04:00:00:00:00:01
        Signature Algorithm: sha256WithRSAEncryption
            Issuer: C = US, O = Example, CN = Example CA
            Subject: CN = pbx.example.com
    ''')
BAG_ATTRIBUTES = ('Bag Attributes\n    localKeyID: 01 00 00 00\n    friendlyName: tomcat\n'
                  'subject=/CN=pbx\nissuer=/CN=CA\n')


@pytest.mark.parametrize('shape', ['pem', 'pem-bytes', 'openssl-text', 'bag-attributes', 'pkcs7-pem', 'pkcs7-der',
                                   'certificate-chain-label', 'crlf-bom'])
def test_load_certificates_reads_every_shape(pki, shape):
    certs = [pki.leaf.cert, pki.intermediate.cert, pki.root.cert]
    text = certfactory.pem(*certs)
    data = {
        'pem': text,
        'pem-bytes': text.encode('ascii'),
        'openssl-text': ''.join(OPENSSL_TEXT + certfactory.pem(cert) for cert in certs),
        'bag-attributes': ''.join(BAG_ATTRIBUTES + certfactory.pem(cert) for cert in certs),
        'pkcs7-pem': certfactory.pkcs7_bundle(certs, 'PEM'),
        'pkcs7-der': certfactory.pkcs7_bundle(certs, 'DER'),
        'certificate-chain-label': certfactory.pkcs7_bundle(certs, 'PEM').replace(b'PKCS7', b'CERTIFICATE CHAIN'),
        'crlf-bom': '\ufeff' + text.replace('\n', '\r\n'),
    }[shape]
    loaded = _x509.load_certificates(data, FIELD)
    assert sorted(_x509.fingerprint(cert) for cert in loaded) == sorted(_x509.fingerprint(cert) for cert in certs)
    if not shape.startswith(('pkcs7', 'certificate-chain')):
        assert loaded == certs


def test_load_certificates_reads_der(pki):
    assert _x509.load_certificates(certfactory.der(pki.leaf.cert), FIELD) == [pki.leaf.cert]


def _corrupt_second_block(pki):
    """Return two PEM blocks whose second holds a certificate with bytes cut from its end (base64 still valid)."""
    der = certfactory.der(pki.intermediate.cert)
    return certfactory.pem(pki.leaf.cert) + _x509.to_pem(der[:-48])


@pytest.mark.parametrize('make, expected', [
    (lambda pki: certfactory.csr(pki.leaf.key).public_bytes(_der()), 'is a certificate signing request (CSR)'),
    (lambda pki: _pem_of(certfactory.csr(pki.leaf.key), 'CERTIFICATE REQUEST'),
     'block 1 is a certificate signing request (CSR), not a certificate'),
    (lambda pki: certfactory.pem(pki.leaf.cert) + _pem_of(certfactory.csr(pki.leaf.key), 'NEW CERTIFICATE REQUEST'),
     'block 2 is a certificate signing request'),
    (_corrupt_second_block, 'block 2 is truncated or corrupt'),
    (lambda pki: certfactory.pem(pki.leaf.cert) + _x509.to_pem(b'\x30\x03\x02\x01\x01', 'PUBLIC KEY'),
     'block 2 is a PUBLIC KEY, not a certificate'),
    (lambda pki: _x509.to_pem(b'\x30\x03\x02\x01\x01', 'PKCS7'), 'block 1 is not a readable PKCS#7 bundle'),
    (lambda pki: b'\x30\x03\x02\x01\x01', 'neither a DER certificate nor a PKCS#7 bundle'),
    (lambda pki: '', 'nothing given'),
    (lambda pki: 'Hello, the certificate is attached.', 'no PEM block found'),
])
def test_load_certificates_errors_name_field_and_block(pki, make, expected):
    err = _raises(_x509.load_certificates, make(pki), FIELD)
    assert expected in err.msg
    assert err.field == FIELD


def test_load_certificates_pkcs7_hint_mentions_openssl(pki):
    err = _raises(_x509.load_certificates, _x509.to_pem(b'\x30\x03\x02\x01\x01', 'PKCS7'), FIELD)
    assert 'openssl pkcs7 -print_certs -in file' in err.msg


@pytest.mark.parametrize('style', ['pkcs8', 'traditional', 'encrypted'])
def test_load_certificates_refuses_private_key_without_echo(pki, style):
    key_pem = certfactory.key_pem(pki.leaf.key, style)
    err = _raises(_x509.load_certificates, certfactory.pem(pki.leaf.cert) + key_pem.decode('ascii'), FIELD)
    assert 'block 2 is a private key' in str(err)
    for line in key_pem.decode('ascii').splitlines()[1:-1]:
        assert line not in str(err)


def _der():
    """Return the DER encoding enum."""
    return serialization.Encoding.DER


def _pem_of(obj, label):
    """Return an object's DER as PEM under ``label``."""
    return _x509.to_pem(obj.public_bytes(_der()), label)


# ---------------------------------------------------------------- facts

def test_certificate_facts_of_a_leaf(pki):
    cert = pki.leaf.cert
    facts = _x509.certificate_facts(cert, now=NOW)
    assert facts == {
        'subject': 'CN=pbx.example.com',
        'common_name': 'pbx.example.com',
        'issuer': 'CN=Test Intermediate CA,O=Example Test',
        'subject_alt_names': ['DNS:pbx.example.com', 'IP:192.0.2.10'],
        'serial': '%X' % cert.serial_number,
        'not_before': (NOW - 30 * DAY).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'not_after': (NOW + 365 * DAY).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'days_remaining': 365,
        'fingerprint_sha256': _colon_hex(hashlib.sha256(certfactory.der(cert)).digest()),
        'fingerprint_sha1': _colon_hex(hashlib.sha1(certfactory.der(cert)).digest()),
        'key_type': 'EC',
        'key_size': 256,
        'signature_algorithm': 'ecdsa-with-SHA256',
        'self_signed': False,
        'is_ca': False,
    }


@pytest.mark.parametrize('now, days', [
    (NOW, 365),
    (NOW + 365 * DAY - datetime.timedelta(seconds=1), 0),
    (NOW + 365 * DAY + datetime.timedelta(hours=1), -1),
    (NOW.replace(tzinfo=None), 365),
])
def test_days_remaining_is_floored(pki, now, days):
    assert _x509.certificate_facts(pki.leaf.cert, now=now)['days_remaining'] == days


def test_root_facts(pki):
    facts = _x509.certificate_facts(pki.root.cert, now=NOW)
    assert facts['self_signed'] is True
    assert facts['is_ca'] is True
    assert facts['subject'] == facts['issuer'] == 'CN=Test Root CA,O=Example Test'


def test_same_names_but_foreign_signature_is_not_self_signed():
    impostor = issue('Lookalike CA', ca=True)
    forged = issue('Lookalike CA', issuer=certfactory.Issued(impostor.cert, certfactory.ec_key()), ca=True,
                   subject=impostor.cert.subject)
    assert forged.cert.subject == forged.cert.issuer
    assert _x509.certificate_facts(forged.cert)['self_signed'] is False


def _rsa_sha1_leaf():
    """Return a server certificate signed with sha1WithRSAEncryption."""
    root = issue('SHA1 Root', key=certfactory.rsa_key(2048, 0), ca=True)
    return issue('old.example.com', issuer=root, key=certfactory.rsa_key(2048, 1), hash_name='sha1').cert


@pytest.mark.parametrize('make, key_type, key_size, algorithm', [
    (lambda: issue('e', key=certfactory.ec_key('P-384')).cert, 'EC', 384, 'ecdsa-with-SHA256'),
    (lambda: issue('r', key=certfactory.rsa_key(2048, 0)).cert, 'RSA', 2048, 'sha256WithRSAEncryption'),
    (lambda: issue('r', key=certfactory.rsa_key(2048, 0), hash_name='sha384').cert, 'RSA', 2048,
     'sha384WithRSAEncryption'),
    (lambda: issue('w', key=certfactory.rsa_key(1024, 0)).cert, 'RSA', 1024, 'sha256WithRSAEncryption'),
    (_rsa_sha1_leaf, 'RSA', 2048, 'sha1WithRSAEncryption'),
    (lambda: issue('d', key=certfactory.ed25519_key()).cert, 'Ed25519', 256, 'Ed25519'),
])
def test_key_and_signature_facts(make, key_type, key_size, algorithm):
    facts = _x509.certificate_facts(make())
    assert (facts['key_type'], facts['key_size'], facts['signature_algorithm']) == (key_type, key_size, algorithm)


def test_sha1_signature_verifies_and_is_named():
    cert = _rsa_sha1_leaf()
    assert _x509.signature_hash_name(cert) == 'sha1'


def test_rsa_pss_signatures_verify():
    root = issue('PSS Root', key=certfactory.rsa_key(2048, 0), ca=True, pss=True)
    leaf = issue('pss.example.com', issuer=root, key=certfactory.rsa_key(2048, 1), pss=True)
    assert _x509.certificate_facts(root.cert)['self_signed'] is True
    assert _x509.certificate_facts(root.cert)['signature_algorithm'] == 'RSASSA-PSS'
    assert _x509.is_signed_by(leaf.cert, root.cert)
    assert not _x509.is_signed_by(leaf.cert, leaf.cert)


@pytest.mark.parametrize('key_maker', [lambda slot: certfactory.ec_key(), lambda slot: certfactory.ed25519_key(),
                                       lambda slot: certfactory.rsa_key(2048, slot)], ids=['EC', 'Ed25519', 'RSA'])
def test_is_signed_by(key_maker):
    root = issue('Root', key=key_maker(0), ca=True)
    other = issue('Root', key=key_maker(1), ca=True)
    leaf = issue('leaf.example.com', issuer=root)
    assert _x509.is_signed_by(leaf.cert, root.cert)
    assert not _x509.is_signed_by(leaf.cert, other.cert)
    assert not _x509.is_signed_by(leaf.cert, issue('x', key=certfactory.ed25519_key()).cert)


def test_fingerprint(pki):
    der = certfactory.der(pki.root.cert)
    assert _x509.fingerprint(pki.root.cert) == _colon_hex(hashlib.sha256(der).digest())
    assert _x509.fingerprint(pki.root.cert, 'SHA-1') == _colon_hex(hashlib.sha1(der).digest())
    with pytest.raises(ValueError):
        _x509.fingerprint(pki.root.cert, 'md4')


def test_validity_helpers_are_aware_utc(pki):
    assert _x509.not_before(pki.leaf.cert) == NOW - 30 * DAY
    assert _x509.not_after(pki.leaf.cert) == NOW + 365 * DAY
    assert _x509.not_after(pki.leaf.cert).utcoffset() == datetime.timedelta(0)


@pytest.mark.parametrize('now, percent', [
    (NOW - 30 * DAY, 100.0),
    (NOW - 60 * DAY, 100.0),
    (NOW + (395 / 2 - 30) * DAY, 50.0),
    (NOW + 365 * DAY, 0.0),
    (NOW + 400 * DAY, 0.0),
])
def test_lifetime_left_percent(pki, now, percent):
    assert _x509.lifetime_left_percent(pki.leaf.cert, now) == pytest.approx(percent)


def test_ca_helpers(pki):
    assert _x509.basic_constraints(pki.intermediate.cert) == (True, 0)
    assert _x509.basic_constraints(issue('bare', basic_constraints=False).cert) is None
    assert _x509.may_sign_certificates(pki.intermediate.cert)
    assert not _x509.may_sign_certificates(issue('no-sign', ca=True, key_cert_sign=False).cert)
    assert _x509.may_sign_certificates(issue('no-ku', ca=True, key_usage=False).cert)
    subject_id, authority_id = _x509.key_identifiers(pki.leaf.cert)
    assert authority_id == _x509.key_identifiers(pki.intermediate.cert)[0]
    assert subject_id and subject_id != authority_id
    assert _x509.key_identifiers(issue('no-ids', key_ids=False).cert) == (None, None)


# ---------------------------------------------------------------- keys

@pytest.mark.parametrize('args, key_class, size, curve', [
    (('RSA', 2048), rsa.RSAPrivateKey, 2048, None),
    (('EC', 2048, 'P-256'), ec.EllipticCurvePrivateKey, 256, 'P-256'),
    (('ec', None, 'p-384'), ec.EllipticCurvePrivateKey, 384, 'P-384'),
])
def test_generate_private_key(args, key_class, size, curve):
    key = _x509.generate_private_key(*args)
    assert isinstance(key, key_class)
    assert _x509.private_key_facts(key) == {'key_type': args[0].upper(), 'key_size': size, 'curve': curve}


@pytest.mark.parametrize('args, field, expected', [
    (('RSA', 1024), 'key_size', 'use 2048, 3072 or 4096'),
    (('RSA', 8192), 'key_size', 'use 2048, 3072 or 4096'),
    (('EC', 256, 'P-521'), 'curve', 'use P-256 or P-384'),
    (('EC', 256, 'secp256k1'), 'curve', 'use P-256 or P-384'),
    (('DSA', 2048), 'key_type', 'use RSA or EC'),
])
def test_generate_private_key_refuses_others(args, field, expected):
    err = _raises(_x509.generate_private_key, *args)
    assert err.field == field
    assert expected in err.msg


def test_private_key_pem_round_trip():
    key = certfactory.ec_key()
    pem = _x509.private_key_pem(key)
    assert pem.startswith(b'-----BEGIN PRIVATE KEY-----')
    loaded = _x509.load_private_key(pem)
    assert _x509.private_key_facts(loaded) == _x509.private_key_facts(key)
    assert _x509.key_matches(issue('k', key=key).cert, loaded)
    assert _x509.load_private_key(pem.decode('ascii').replace('\n', '\r\n  ')) is not None


def test_load_private_key_encrypted_and_der():
    key = certfactory.ec_key()
    encrypted = certfactory.key_pem(key, 'encrypted')
    assert _x509.key_matches(issue('k', key=key).cert, _x509.load_private_key(encrypted, 'secret-pass'))
    der = key.private_bytes(_der(), serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    assert _x509.key_matches(issue('k', key=key).cert, _x509.load_private_key(der))


@pytest.mark.parametrize('style, password, expected', [
    ('encrypted', None, 'encrypted: its password is needed'),
    ('encrypted', 'wrong', 'cannot read the private key'),
    ('pkcs8', 'secret-pass', 'not encrypted'),
    ('garbage', None, 'cannot read the private key'),
])
def test_load_private_key_errors_never_show_the_key(style, password, expected):
    key = certfactory.ec_key()
    data = b'-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' if style == 'garbage' \
        else certfactory.key_pem(key, style)
    err = _raises(_x509.load_private_key, data, password, field='private_key')
    assert expected in err.msg
    assert err.field == 'private_key'
    for line in data.decode('ascii').splitlines()[1:-1]:
        assert line not in str(err)
    assert 'secret-pass' not in str(err)


def test_key_matches(pki):
    assert _x509.key_matches(pki.leaf.cert, pki.leaf.key)
    assert not _x509.key_matches(pki.leaf.cert, pki.intermediate.key)
    assert _x509.key_matches(certfactory.csr(pki.leaf.key), pki.leaf.key)
    assert not _x509.key_matches(certfactory.csr(pki.leaf.key), certfactory.rsa_key(2048, 0))


# ---------------------------------------------------------------- names

@pytest.mark.parametrize('items, expected', [
    (['DNS:pbx.example.com'], ['DNS:pbx.example.com']),
    (['dns: PBX.Example.COM. '], ['DNS:pbx.example.com']),
    (['IP:192.0.2.1', '192.0.2.2'], ['IP:192.0.2.1', 'IP:192.0.2.2']),
    (['2001:db8::1', 'ip address:2001:DB8:0::2'], ['IP:2001:db8::1', 'IP:2001:db8::2']),
    (['*.example.com', 'pbx'], ['DNS:*.example.com', 'DNS:pbx']),
    ('pbx.example.com, 192.0.2.1', ['DNS:pbx.example.com', 'IP:192.0.2.1']),
    (['pbx.example.com', 'DNS:pbx.example.com', 'IP:192.0.2.1', '192.0.2.1'], ['DNS:pbx.example.com', 'IP:192.0.2.1']),
    (['bücher.example'], ['DNS:xn--bcher-kva.example']),
    ([x509.DNSName('pbx.example.com'), 'pbx.example.com'], ['DNS:pbx.example.com']),
    ([], []),
    (None, []),
])
def test_parse_subject_alt_names(items, expected):
    names = _x509.parse_subject_alt_names(items, 'subject_alt_names')
    assert [_x509.general_name_string(name) for name in names] == expected


@pytest.mark.parametrize('item, expected', [
    ('https://pbx.example.com', 'without https://'),
    ('http://pbx.example.com/', 'without https://'),
    ('pbx example.com', 'contains a space'),
    ('', 'empty'),
    ('   ', 'empty'),
    (None, 'empty'),
    ('email:admin@example.com', 'only DNS: and IP: entries'),
    ('IP:192.0.2.300', 'not a valid IP address'),
    ('pbx.example.com:443', "without ':443'"),
    ('pbx.example.com/login', 'holds a path'),
    ('a*.example.com', 'only the whole left-most part may be *'),
    ('www.*.example.com', 'only the whole left-most part may be *'),
    ('*.com', 'top-level domain'),
    ('-pbx.example.com', 'not a valid DNS name'),
    ('pbx_1.example.com', 'not a valid DNS name'),
    ('pbx..example.com', 'not a valid DNS name'),
    ('a' * 64 + '.example.com', 'not a valid DNS name'),
    ('.'.join(['a' * 60] * 5), 'not a valid DNS name'),
    ('192.0.2.256', 'not a valid one'),
])
def test_parse_subject_alt_names_errors(item, expected):
    err = _raises(_x509.parse_subject_alt_names, [item], 'subject_alt_names')
    assert expected in err.msg
    assert str(err).startswith('subject_alt_names: ')


@pytest.mark.parametrize('name, wildcard, expected', [
    ('pbx.example.com', False, 'pbx.example.com'),
    (' PBX.example.com. ', False, 'pbx.example.com'),
    ('192.0.2.10', False, '192.0.2.10'),
    ('[2001:db8::10]', False, '2001:db8::10'),
    ('*.example.com', True, '*.example.com'),
    ('münchen.example', False, 'xn--mnchen-3ya.example'),
])
def test_check_server_name_normalizes(name, wildcard, expected):
    assert _x509.check_server_name(name, 'server_name', wildcard=wildcard) == expected


@pytest.mark.parametrize('name, expected', [
    ('https://pbx.example.com', "without https:// (like 'pbx.example.com')"),
    ('*.example.com', 'is a wildcard'),
    ('', 'empty'),
    (None, 'empty'),
    ('pbx\texample.com', 'contains a space'),
])
def test_check_server_name_errors(name, expected):
    err = _raises(_x509.check_server_name, name, 'server_name')
    assert expected in err.msg
    assert err.field == 'server_name'


@pytest.fixture(scope='module')
def named_cert():
    """Return a certificate with DNS, wildcard, IPv4 and IPv6 names."""
    return issue('pbx.example.com', sans=['pbx.example.com', '*.example.net', 'IP:192.0.2.10', 'IP:2001:db8::1',
                                          'f*.example.org', '*.com', 'xn--bcher-kva.example']).cert


@pytest.mark.parametrize('name, covered', [
    ('pbx.example.com', True),
    ('PBX.EXAMPLE.COM.', True),
    ('www.example.com', False),
    ('a.example.net', True),
    ('a.b.example.net', False),
    ('example.net', False),
    ('.example.net', False),
    ('192.0.2.10', True),
    ('2001:db8:0::1', True),
    ('192.0.2.11', False),
    ('foo.example.org', False),
    ('example.com', False),
    ('bücher.example', True),
    ('', False),
])
def test_covers_name(named_cert, name, covered):
    assert _x509.covers_name(named_cert, name) is covered


@pytest.mark.parametrize('subject_cn, sans, name, covered', [
    ('legacy.example.com', (), 'legacy.example.com', True),
    ('*.legacy.example.com', (), 'a.legacy.example.com', True),
    ('legacy.example.com', ('other.example.com',), 'legacy.example.com', False),
    ('legacy.example.com', ('IP:192.0.2.1',), 'legacy.example.com', True),
    ('192.0.2.1', (), '192.0.2.1', False),
])
def test_covers_name_uses_common_name_only_without_dns_names(subject_cn, sans, name, covered):
    cert = issue(subject_cn, sans=sans).cert
    assert _x509.covers_name(cert, name) is covered


# ---------------------------------------------------------------- CSR and self-signed

@pytest.mark.parametrize('key_maker', [certfactory.ec_key, lambda: certfactory.rsa_key(2048, 0),
                                       certfactory.ed25519_key])
@pytest.mark.parametrize('common_name, sans, expected', [
    ('pbx.example.com', ['IP:192.0.2.10'], ['DNS:pbx.example.com', 'IP:192.0.2.10']),
    ('PBX.example.com', ['pbx.example.com', 'DNS:sip.example.com'], ['DNS:pbx.example.com', 'DNS:sip.example.com']),
    ('*.example.com', [], ['DNS:*.example.com']),
    ('192.0.2.10', ['pbx.lan'], ['IP:192.0.2.10', 'DNS:pbx.lan']),
])
def test_create_csr(key_maker, common_name, sans, expected):
    key = key_maker()
    csr = _x509.create_csr(key, common_name, sans)
    facts = _x509.csr_facts(csr)
    assert facts['common_name'] == common_name
    assert facts['subject_alt_names'] == expected
    assert facts['signature_valid'] is True
    assert _x509.key_matches(csr, key)
    loaded = _x509.load_csr(_x509.csr_pem(csr), 'request')
    assert _x509.csr_facts(loaded) == facts
    assert _x509.load_csr(csr.public_bytes(_der()), 'request').public_bytes(_der()) == csr.public_bytes(_der())


@pytest.mark.parametrize('common_name, sans, field, expected', [
    ('https://pbx.example.com', [], 'common_name', 'without https://'),
    ('a' * 60 + '.example.com', [], 'common_name', 'longer than 64 characters'),
    ('pbx.example.com', ['pbx .example.com'], 'subject_alt_names', 'contains a space'),
])
def test_create_csr_errors(common_name, sans, field, expected):
    err = _raises(_x509.create_csr, certfactory.ec_key(), common_name, sans)
    assert err.field == field
    assert expected in err.msg


@pytest.mark.parametrize('make, expected', [
    (lambda pki: certfactory.pem(pki.leaf.cert), 'block 1 is a CERTIFICATE, not a certificate signing request'),
    (lambda pki: _pem_of(certfactory.csr(pki.leaf.key), 'CERTIFICATE REQUEST') * 2, 'holds 2 certificate signing'),
    (lambda pki: _x509.to_pem(b'\x30\x03\x02\x01\x01', 'CERTIFICATE REQUEST'), 'block 1 is truncated or corrupt'),
    (lambda pki: b'\x30\x03\x02\x01\x01', 'not a certificate signing request'),
    (lambda pki: certfactory.key_pem(pki.leaf.key), 'private key'),
])
def test_load_csr_errors(pki, make, expected):
    err = _raises(_x509.load_csr, make(pki), 'request')
    assert expected in err.msg
    assert err.field == 'request'


@pytest.mark.parametrize('key_maker, key_encipherment', [(certfactory.ec_key, False),
                                                         (lambda: certfactory.rsa_key(2048, 0), True)])
def test_create_self_signed(key_maker, key_encipherment):
    key = key_maker()
    now = NOW + datetime.timedelta(microseconds=1234)
    cert = _x509.create_self_signed(key, 'pbx.example.com', ['IP:192.0.2.10', '*.example.com'], 30, now=now)
    facts = _x509.certificate_facts(cert, now=NOW)
    assert facts['self_signed'] is True
    assert facts['is_ca'] is False
    assert facts['subject'] == 'CN=pbx.example.com'
    assert facts['subject_alt_names'] == ['DNS:pbx.example.com', 'IP:192.0.2.10', 'DNS:*.example.com']
    assert facts['not_before'] == '2026-06-01T12:00:00Z'
    assert facts['not_after'] == '2026-07-01T12:00:00Z'
    assert facts['days_remaining'] == 30
    assert _x509.signature_hash_name(cert) == 'sha256'
    assert _x509.key_matches(cert, key)
    extensions = cert.extensions
    basic = extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and not basic.value.ca
    usage = extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and not usage.value.key_cert_sign
    assert usage.value.key_encipherment is key_encipherment
    assert list(extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest == \
        x509.SubjectKeyIdentifier.from_public_key(key.public_key()).digest
    assert _x509.covers_name(cert, 'pbx.example.com') and _x509.covers_name(cert, 'any.example.com')
    assert _x509.covers_name(cert, '192.0.2.10') and not _x509.covers_name(cert, 'example.com')


def test_self_signed_serials_are_random():
    key = certfactory.ec_key()
    serials = set(_x509.create_self_signed(key, 'pbx.example.com', [], 1).serial_number for count in range(3))
    assert len(serials) == 3


@pytest.mark.parametrize('days', [0, -1, 36501, '30', True, None])
def test_create_self_signed_refuses_bad_days(days):
    err = _raises(_x509.create_self_signed, certfactory.ec_key(), 'pbx.example.com', [], days)
    assert err.field == 'valid_days'


def test_pem_helpers_round_trip(pki):
    text = _x509.certificate_pem(pki.leaf.cert)
    assert text.startswith('-----BEGIN CERTIFICATE-----\n')
    assert _x509.load_certificates(text, FIELD) == [pki.leaf.cert]


def test_general_name_string():
    assert _x509.general_name_string(x509.DNSName('PBX.Example.com')) == 'DNS:pbx.example.com'
    assert _x509.general_name_string(x509.IPAddress(ipaddress.ip_address('192.0.2.1'))) == 'IP:192.0.2.1'
    assert _x509.general_name_string(x509.RFC822Name('a@example.com')) == 'email:a@example.com'
    assert _x509.general_name_string(x509.RegisteredID(x509.ObjectIdentifier('1.2.3'))) is None


def test_import_without_cryptography():
    """Every module_utils file imports without cryptography (ansible-test's import test; starface_webserver needs none)."""
    code = textwrap.dedent('''\
        import sys

        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == 'cryptography' or name.startswith('cryptography.'):
                    raise ImportError('blocked ' + name)

        sys.meta_path.insert(0, Block())
        sys.path.insert(0, sys.argv[1])
        import importlib, pkgutil
        from ansible_collections.telephony.starface.plugins import module_utils
        names = [info.name for info in pkgutil.walk_packages(module_utils.__path__, module_utils.__name__ + '.')]
        for name in names:
            importlib.import_module(name)
        from ansible_collections.telephony.starface.plugins.module_utils._crypto import library
        assert library.HAS_CRYPTOGRAPHY is False
        assert 'blocked cryptography' in library.CRYPTOGRAPHY_IMPORT_ERROR
        print(len(names), 'ok')
        ''')
    collections = _x509.__file__.rsplit('/ansible_collections/', 1)[0]
    result = subprocess.run([sys.executable, '-c', code, collections], capture_output=True, text=True, check=False)
    count, word = result.stdout.split() or ('0', result.stderr)
    assert (word, int(count) >= 20) == ('ok', True), result.stderr

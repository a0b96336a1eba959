# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Tests of _keystore: JKS and PKCS12 read and written, checked both ways against keytool and openssl."""

from __future__ import annotations

import datetime
import functools
import hashlib
import os
import shutil
import struct
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ansible_collections.telephony.starface.plugins.module_utils._crypto.keystore import (
    FORMATS,
    KeyEntry,
    detect_format,
    dump_key_entry,
    list_aliases,
    load_chain,
    load_key_entry,
    replace_key_entry,
)
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError

PASSWORDS = {
    'default': 'changeit',
    'other': 'S3cret pass/with:symbols!',
    'unicode': 'Pässwörd-€-\U0001d11e-Ärger',
}
KEY_TYPES = ('RSA', 'EC')
# Java opens a PKCS12 keystore only with a printable ASCII password (its PBE keys refuse others).
FORMAT_PASSWORDS = [('JKS', 'default'), ('JKS', 'unicode'), ('PKCS12', 'default'), ('PKCS12', 'other')]

needs_keytool = pytest.mark.skipif(shutil.which('keytool') is None, reason='keytool (Java) is not installed')
needs_openssl = pytest.mark.skipif(shutil.which('openssl') is None, reason='openssl is not installed')


# --- certificates made at test time ----------------------------------------------------------------

def _new_key(key_type):
    if key_type == 'RSA':
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _issue(common_name, key, issuer=None, issuer_key=None, ca=False):
    """Return a certificate for ``key``, self-signed unless an issuer is given."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer.subject if issuer is not None else subject)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(days=1))
               .not_valid_after(now + datetime.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    return builder.sign(issuer_key if issuer_key is not None else key, hashes.SHA256())


@functools.lru_cache(maxsize=None)
def _three_cert_entry(key_type):
    """Return KeyEntry('tomcat', leaf key, [leaf, intermediate, root]), made once per key type."""
    root_key, inter_key, leaf_key = _new_key(key_type), _new_key(key_type), _new_key(key_type)
    root = _issue('Test Root CA', root_key, ca=True)
    inter = _issue('Test Intermediate CA', inter_key, root, root_key, ca=True)
    leaf = _issue('pbx.example.com', leaf_key, inter, inter_key)
    return KeyEntry('tomcat', leaf_key, [leaf, inter, root])


def _same_key(left, right):
    """Compare two private keys without ever showing their bytes in a failure."""
    return _key_der(left) == _key_der(right)


def _key_der(key):
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _ders(certs):
    return [cert.public_bytes(serialization.Encoding.DER) for cert in certs]


def _sha256_colon(cert):
    return ':'.join('%02X' % byte for byte in cert.fingerprint(hashes.SHA256()))


def _error(func, *args, **kwargs):
    with pytest.raises(StarfaceError) as caught:
        func(*args, **kwargs)
    return str(caught.value)


# --- keytool and openssl, passwords passed through the environment, never on the command line ---

def _run(command, passwords):
    """Run a command with passwords in the environment; return its standard output as text."""
    env = dict(os.environ, LC_ALL='C.UTF-8', LANG='C.UTF-8', **passwords)
    result = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    output = (result.stdout + result.stderr).decode('utf-8', 'replace')
    assert result.returncode == 0, '%s failed: %s' % (' '.join(command[:2]), output)
    return result.stdout.decode('utf-8', 'replace')


def _keytool(password, *args):
    """Run keytool with -storepass taken from the environment."""
    return _run(['keytool'] + list(args) + ['-storepass:env', 'KS_STOREPASS'], {'KS_STOREPASS': password})


def _keytool_export(path, password, alias):
    """Return the certificate keytool exports for ``alias``."""
    out = path.parent / ('%s-%s.der' % (path.name, alias))
    _keytool(password, '-exportcert', '-keystore', str(path), '-alias', alias, '-file', str(out))
    return x509.load_der_x509_certificate(out.read_bytes())


def _keytool_genkeypair(path, storetype, key_type, password, alias='tomcat', key_password=None, extra=()):
    args = ['-genkeypair', '-storetype', storetype, '-keystore', str(path), '-alias', alias,
            '-keyalg', key_type, '-dname', 'CN=%s.example.com' % alias, '-validity', '30'] + list(extra)
    env = {'KS_STOREPASS': password, 'KS_KEYPASS': key_password or password}
    _run(['keytool'] + args + ['-storepass:env', 'KS_STOREPASS', '-keypass:env', 'KS_KEYPASS'], env)


def _openssl_key(path, password):
    """Return the private key openssl extracts from a PKCS12 file."""
    pem = _run(['openssl', 'pkcs12', '-in', str(path), '-nocerts', '-nodes', '-passin', 'env:KS_STOREPASS'],
               {'KS_STOREPASS': password})
    return serialization.load_pem_private_key(pem.encode('ascii'), None)


# --- format detection --------------------------------------------------------------------------------

@pytest.mark.parametrize('fmt', FORMATS)
def test_detect_format_of_written_keystore(fmt):
    data = dump_key_entry(_three_cert_entry('EC'), 'changeit', fmt)
    assert detect_format(data) == fmt


@pytest.mark.parametrize('data, expected', [
    (b'', 'the file is empty'),
    (b'\xce\xce\xce\xce\x00\x00\x00\x02' + bytes(40), 'JCEKS keystore, which is not supported'),
    (b'\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', 'it is PEM text'),
    (b'PK\x03\x04 a zip file', 'not a Java keystore (JKS or PKCS12)'),
])
def test_detect_format_refuses(data, expected):
    assert expected in _error(detect_format, data)


# --- round trips without Java ------------------------------------------------------------------------

@pytest.mark.parametrize('fmt, password', FORMAT_PASSWORDS)
@pytest.mark.parametrize('key_type', KEY_TYPES)
def test_round_trip(fmt, key_type, password):
    entry = _three_cert_entry(key_type)
    data = dump_key_entry(entry, PASSWORDS[password], fmt)
    loaded = load_key_entry(data, PASSWORDS[password], 'TomCat')
    assert loaded.alias.lower() == 'tomcat'
    assert _same_key(loaded.private_key, entry.private_key)
    assert _ders(loaded.chain) == _ders(entry.chain)
    assert _ders(load_chain(data, PASSWORDS[password], 'tomcat')) == _ders(entry.chain)
    assert list_aliases(data, PASSWORDS[password]) == [('tomcat', 'key')]


def test_pkcs12_with_triple_des_is_read():
    """PKCS12 as older cryptography writes it by default (3DES, SHA-1 MAC) is read too."""
    if not hasattr(serialization.PrivateFormat, 'PKCS12'):
        pytest.skip('this cryptography cannot choose the PKCS12 encryption')
    entry = _three_cert_entry('RSA')
    encryption = (serialization.PrivateFormat.PKCS12.encryption_builder()
                  .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
                  .hmac_hash(hashes.SHA1()).build(b'changeit'))
    data = pkcs12.serialize_key_and_certificates(b'tomcat', entry.private_key, entry.chain[0], entry.chain[1:],
                                                 encryption)
    loaded = load_key_entry(data, 'changeit', 'tomcat')
    assert _same_key(loaded.private_key, entry.private_key)
    assert _ders(loaded.chain) == _ders(entry.chain)


def test_jks_layout():
    """The written JKS has keytool's layout: header, one key entry, certificate types, SHA-1 trailer."""
    entry = _three_cert_entry('EC')
    data = dump_key_entry(entry, 'changeit', 'JKS')
    assert struct.unpack('>IIII', data[:16]) == (0xFEEDFEED, 2, 1, 1)
    assert data[16:24] == b'\x00\x06tomcat'
    assert data.count(b'\x00\x05X.509') == 3
    body, digest = data[:-20], data[-20:]
    assert digest == hashlib.sha1('changeit'.encode('utf-16-be') + b'Mighty Aphrodite' + body).digest()
    assert _ders(entry.chain)[0] in body


@pytest.mark.parametrize('alias, encoded', [
    ('tomcat', b'\x00\x06tomcat'),
    ('Schlüssel', b'\x00\x0aschl\xc3\xbcssel'),
    ('nul\x00byte', b'\x00\x09nul\xc0\x80byte'),
    ('clef-\U0001d11e', b'\x00\x0bclef-\xed\xa0\xb4\xed\xb4\x9e'),
])
def test_jks_alias_uses_java_modified_utf8(alias, encoded):
    entry = _three_cert_entry('EC')._replace(alias=alias)
    data = dump_key_entry(entry, 'changeit', 'JKS')
    assert data[16:16 + len(encoded)] == encoded
    assert load_key_entry(data, 'changeit', alias).alias == alias.lower()


@pytest.mark.parametrize('given, expected', [
    ('the-key-pass', None),
    (None, 'has its own key password, different from the keystore password'),
    ('not-the-key-pass', "the key password for alias 'tomcat' is wrong"),
])
def test_jks_separate_key_password(given, expected):
    entry = _three_cert_entry('RSA')
    data = dump_key_entry(entry, 'changeit', 'JKS', key_password='the-key-pass')
    assert _ders(load_chain(data, 'changeit', 'tomcat')) == _ders(entry.chain)
    if expected is None:
        assert _same_key(load_key_entry(data, 'changeit', 'tomcat', key_password=given).private_key,
                         entry.private_key)
    else:
        message = _error(load_key_entry, data, 'changeit', 'tomcat', key_password=given)
        assert expected in message
        assert 'the-key-pass' not in message and 'changeit' not in message


# --- errors ------------------------------------------------------------------------------------------

@pytest.mark.parametrize('fmt, expected', [
    ('JKS', 'the keystore password is wrong, or the keystore file was altered'),
    ('PKCS12', 'the keystore password is wrong'),
])
@pytest.mark.parametrize('func', [list_aliases, load_chain, load_key_entry])
def test_wrong_password(fmt, expected, func):
    data = dump_key_entry(_three_cert_entry('EC'), PASSWORDS['other'], fmt)
    args = (data, 'S3cret-wrong') if func is list_aliases else (data, 'S3cret-wrong', 'tomcat')
    message = _error(func, *args)
    assert expected in message
    assert 'S3cret' not in message


@pytest.mark.parametrize('fmt', FORMATS)
@pytest.mark.parametrize('keep', [0.05, 0.5, 0.99, -1])
def test_truncated_keystore_is_damaged(fmt, keep):
    data = dump_key_entry(_three_cert_entry('RSA'), 'changeit', fmt)
    size = len(data) - 1 if keep == -1 else int(len(data) * keep)
    message = _error(load_key_entry, data[:size], 'changeit', 'tomcat')
    assert 'the keystore is damaged' in message
    assert '(it may be truncated)' in message
    assert 'changeit' not in message


@pytest.mark.parametrize('fmt', FORMATS)
def test_trailing_bytes_are_damage(fmt):
    data = dump_key_entry(_three_cert_entry('EC'), 'changeit', fmt)
    assert 'unexpected bytes' in _error(list_aliases, data + b'\x00' * 5, 'changeit')


def test_jks_altered_byte_fails_integrity_check():
    data = bytearray(dump_key_entry(_three_cert_entry('EC'), 'changeit', 'JKS'))
    data[len(data) // 2] ^= 0x01
    assert 'the keystore file was altered' in _error(load_chain, bytes(data), 'changeit', 'tomcat')


@pytest.mark.parametrize('fmt', FORMATS)
@pytest.mark.parametrize('func', [load_chain, load_key_entry])
def test_unknown_alias_lists_entries(fmt, func):
    data = dump_key_entry(_three_cert_entry('EC'), 'changeit', fmt)
    assert _error(func, data, 'changeit', 'https') == \
        "alias 'https' not found; the keystore holds: 'tomcat' (key)"


@pytest.mark.parametrize('fmt, allowed', [
    ('JKS', ('the keystore is damaged', 'the keystore file was altered', 'not a Java keystore')),
    ('PKCS12', ('the keystore is damaged', 'the keystore password is wrong', 'not a Java keystore')),
])
def test_every_cut_and_flipped_byte_gives_a_clear_error(fmt, allowed):
    """Damage at sampled places of the file gives one of the known messages, never a traceback or the password."""
    data = dump_key_entry(_three_cert_entry('EC'), PASSWORDS['other'], fmt)
    damaged = [data[:size] for size in range(0, len(data), 41)]
    for pos in range(0, len(data), 67):
        flipped = bytearray(data)
        flipped[pos] ^= 0x5A
        damaged.append(bytes(flipped))
    for sample in damaged:
        message = _error(load_key_entry, sample, PASSWORDS['other'], 'tomcat')
        assert any(text in message for text in allowed), message
        assert PASSWORDS['other'] not in message


def _mismatched_entry():
    entry = _three_cert_entry('EC')
    return entry._replace(private_key=_three_cert_entry('RSA').private_key)


@pytest.mark.parametrize('make_entry, password, fmt, key_password, expected', [
    (_mismatched_entry, 'changeit', 'JKS', None, 'does not belong to its first certificate'),
    (lambda: _three_cert_entry('EC')._replace(chain=[]), 'changeit', 'JKS', None, 'has no certificate'),
    (lambda: _three_cert_entry('EC'), 'changeit', 'JCEKS', None, "keystore type 'JCEKS' is not supported"),
    (lambda: _three_cert_entry('EC'), '', 'JKS', None, 'password must not be empty'),
    (lambda: _three_cert_entry('EC'), 'changeit', 'PKCS12', 'other', 'a different key password is not supported'),
    (lambda: _three_cert_entry('EC'), PASSWORDS['unicode'], 'PKCS12', None, 'other than printable ASCII'),
    (lambda: _three_cert_entry('EC'), 'tab\tin', 'PKCS12', None, 'other than printable ASCII'),
])
def test_dump_refuses(make_entry, password, fmt, key_password, expected):
    assert expected in _error(dump_key_entry, make_entry(), password, fmt, key_password=key_password)


def test_pkcs12_different_key_password_is_refused_on_read():
    data = dump_key_entry(_three_cert_entry('EC'), 'changeit', 'PKCS12')
    assert 'different key password' in _error(load_key_entry, data, 'changeit', 'tomcat', key_password='x')


# --- keystores made by keytool, read here -----------------------------------------------------------

@needs_keytool
@pytest.mark.parametrize('storetype, key_type, password', [
    ('JKS', 'RSA', 'default'),
    ('JKS', 'EC', 'unicode'),
    ('PKCS12', 'RSA', 'other'),
    ('PKCS12', 'EC', 'default'),
])
def test_reads_keytool_keypair(tmp_path, storetype, key_type, password):
    path = tmp_path / 'tomcat.keystore'
    _keytool_genkeypair(path, storetype, key_type, PASSWORDS[password])
    data = path.read_bytes()
    exported = _keytool_export(path, PASSWORDS[password], 'tomcat')

    assert detect_format(data) == storetype
    entry = load_key_entry(data, PASSWORDS[password], 'tomcat')
    assert entry.alias == 'tomcat'
    assert _ders(entry.chain) == _ders([exported])
    assert _ders(load_chain(data, PASSWORDS[password], 'tomcat')) == _ders([exported])
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    assert entry.private_key.public_key().public_bytes(serialization.Encoding.DER, public) == \
        exported.public_key().public_bytes(serialization.Encoding.DER, public)

    wrong = _error(load_key_entry, data, 'changeit-not', 'tomcat')
    assert 'the keystore password is wrong' in wrong
    missing = _error(load_key_entry, data, PASSWORDS[password], 'https')
    assert missing == "alias 'https' not found; the keystore holds: 'tomcat' (key)"
    assert PASSWORDS[password] not in wrong + missing


@needs_keytool
@pytest.mark.parametrize('storetype', ['JKS', 'PKCS12'])
def test_reads_keytool_chain_and_trusted_entry(tmp_path, storetype):
    """A keystore with two key entries (one with a CA-signed chain) and a trusted certificate."""
    path, password = tmp_path / 'tomcat.keystore', 'changeit'
    _keytool_genkeypair(path, storetype, 'EC', password, alias='root', extra=['-ext', 'bc:c'])
    _keytool_genkeypair(path, storetype, 'RSA', password, alias='Tomcat')
    csr, signed = tmp_path / 'leaf.csr', tmp_path / 'leaf.pem'
    _keytool(password, '-certreq', '-keystore', str(path), '-alias', 'tomcat', '-file', str(csr))
    _keytool(password, '-gencert', '-keystore', str(path), '-alias', 'root', '-infile', str(csr),
             '-outfile', str(signed), '-rfc')
    root = _keytool_export(path, password, 'root')
    reply = tmp_path / 'reply.pem'
    reply.write_bytes(signed.read_bytes() + root.public_bytes(serialization.Encoding.PEM))
    _keytool(password, '-importcert', '-noprompt', '-keystore', str(path), '-alias', 'tomcat', '-file', str(reply))
    root_file = tmp_path / 'root.pem'
    root_file.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    _keytool(password, '-importcert', '-noprompt', '-keystore', str(path), '-alias', 'extra-ca', '-file',
             str(root_file))
    data = path.read_bytes()
    leaf = _keytool_export(path, password, 'tomcat')

    assert sorted(list_aliases(data, password)) == [
        ('extra-ca', 'trusted certificate'), ('root', 'key'), ('tomcat', 'key')]
    entry = load_key_entry(data, password, 'TOMCAT')
    assert _ders(entry.chain) == _ders([leaf, root])
    assert isinstance(entry.private_key, rsa.RSAPrivateKey)
    assert isinstance(load_key_entry(data, password, 'root').private_key, ec.EllipticCurvePrivateKey)
    assert _ders(load_chain(data, password, 'extra-ca')) == _ders([root])
    assert "alias 'extra-ca' is a trusted certificate entry" in _error(load_key_entry, data, password, 'extra-ca')
    missing = _error(load_chain, data, password, 'https')
    assert missing.startswith("alias 'https' not found; the keystore holds: ")
    for listed in ("'root' (key)", "'tomcat' (key)", "'extra-ca' (trusted certificate)"):
        assert listed in missing


@needs_keytool
def test_reads_keytool_jks_with_separate_key_password(tmp_path):
    path = tmp_path / 'tomcat.keystore'
    _keytool_genkeypair(path, 'JKS', 'RSA', 'changeit', key_password='Schlüssel-Passwort')
    data = path.read_bytes()
    assert 'has its own key password' in _error(load_key_entry, data, 'changeit', 'tomcat')
    entry = load_key_entry(data, 'changeit', 'tomcat', key_password='Schlüssel-Passwort')
    assert _ders(entry.chain) == _ders([_keytool_export(path, 'changeit', 'tomcat')])


# --- keystores written here, read by keytool and openssl ---------------------------------------------

def _keytool_list(path, password, alias):
    return _keytool(password, '-list', '-v', '-keystore', str(path), '-alias', alias)


@needs_keytool
@needs_openssl
@pytest.mark.parametrize('fmt, password', FORMAT_PASSWORDS)
@pytest.mark.parametrize('key_type', KEY_TYPES)
def test_keytool_reads_written_keystore(tmp_path, fmt, key_type, password):
    entry = _three_cert_entry(key_type)
    secret = PASSWORDS[password]
    path = tmp_path / 'tomcat.keystore'
    path.write_bytes(dump_key_entry(entry, secret, fmt))

    listing = _keytool_list(path, secret, 'tomcat')
    assert 'Alias name: tomcat' in listing
    assert 'Entry type: PrivateKeyEntry' in listing
    assert 'Certificate chain length: 3' in listing
    assert 'SHA256: %s' % _sha256_colon(entry.chain[0]) in listing.split('Certificate[2]')[0]
    assert _ders([_keytool_export(path, secret, 'tomcat')]) == _ders(entry.chain[:1])

    converted = tmp_path / 'converted.p12'
    _run(['keytool', '-importkeystore', '-noprompt', '-srckeystore', str(path), '-srcstorepass:env', 'KS_STOREPASS',
          '-destkeystore', str(converted), '-deststoretype', 'PKCS12', '-deststorepass:env', 'KS_DESTPASS'],
         {'KS_STOREPASS': secret, 'KS_DESTPASS': 'changeit'})
    assert _same_key(_openssl_key(converted, 'changeit'), entry.private_key)


@needs_keytool
@needs_openssl
def test_keytool_reads_written_jks_with_separate_key_password(tmp_path):
    entry = _three_cert_entry('RSA')
    path, converted = tmp_path / 'tomcat.keystore', tmp_path / 'converted.p12'
    path.write_bytes(dump_key_entry(entry, 'changeit', 'JKS', key_password='Schlüssel-Passwort'))
    assert 'Certificate chain length: 3' in _keytool_list(path, 'changeit', 'tomcat')
    _run(['keytool', '-importkeystore', '-noprompt', '-srckeystore', str(path), '-srcstorepass:env', 'KS_STOREPASS',
          '-srcalias', 'tomcat', '-srckeypass:env', 'KS_KEYPASS', '-destkeystore', str(converted),
          '-deststoretype', 'PKCS12', '-deststorepass:env', 'KS_STOREPASS'],
         {'KS_STOREPASS': 'changeit', 'KS_KEYPASS': 'Schlüssel-Passwort'})
    assert _same_key(_openssl_key(converted, 'changeit'), entry.private_key)


# --- replacing the served entry in a keystore with other entries ----------------------------------

def _jks_entry_blobs(data, password):
    """Return {alias: the entry's bytes} of a JKS keystore, as written."""
    from ansible_collections.telephony.starface.plugins.module_utils._crypto import keystore as _keystore
    return dict((entry.alias, entry.raw) for entry in _keystore._parse_jks(data, password))


@needs_keytool
def test_replace_keeps_other_jks_entries_and_the_root_copy_in_step(tmp_path):
    """STARFACE's keystore: tomcat and root hold one key and chain; a CA and another key stay byte for byte."""
    path, password = tmp_path / 'tomcat.keystore', 'changeit'
    served = _three_cert_entry('RSA')
    path.write_bytes(dump_key_entry(served, password, 'JKS'))
    for alias in ('root',):
        _keytool(password, '-importkeystore', '-noprompt', '-srckeystore', str(path), '-destkeystore',
                 str(tmp_path / 'copy.jks'), '-srcalias', 'tomcat', '-destalias', alias,
                 '-srcstorepass:env', 'KS_STOREPASS', '-deststorepass:env', 'KS_STOREPASS')
        _keytool(password, '-importkeystore', '-noprompt', '-srckeystore', str(tmp_path / 'copy.jks'),
                 '-destkeystore', str(path), '-srcstorepass:env', 'KS_STOREPASS',
                 '-deststorepass:env', 'KS_STOREPASS')
    _keytool_genkeypair(path, 'JKS', 'EC', password, alias='other')
    ca = tmp_path / 'ca.pem'
    ca.write_bytes(served.chain[-1].public_bytes(serialization.Encoding.PEM))
    _keytool(password, '-importcert', '-noprompt', '-keystore', str(path), '-alias', 'extra-ca', '-file', str(ca))
    before = path.read_bytes()
    assert sorted(list_aliases(before, password)) == [
        ('extra-ca', 'trusted certificate'), ('other', 'key'), ('root', 'key'), ('tomcat', 'key')]

    new = _three_cert_entry('EC')
    data, in_step = replace_key_entry(before, new, password, 'JKS')
    path.write_bytes(data)

    assert in_step == ['root']
    assert sorted(list_aliases(data, password)) == sorted(list_aliases(before, password))
    for alias in ('tomcat', 'root'):
        entry = load_key_entry(data, password, alias)
        assert _ders(entry.chain) == _ders(new.chain)
        assert _same_key(entry.private_key, new.private_key)
        # keytool, as Tomcat, reads both.
        assert _ders([_keytool_export(path, password, alias)]) == _ders(new.chain[:1])
    kept, was = _jks_entry_blobs(data, password), _jks_entry_blobs(before, password)
    assert kept['other'] == was['other']
    assert kept['extra-ca'] == was['extra-ca']
    assert 'Your keystore contains 4 entries' in _keytool(password, '-list', '-keystore', str(path))


def test_replace_leaves_a_different_key_entry_alone_and_adds_a_missing_alias():
    """An entry under another alias with another certificate is not a copy of the served one."""
    password = 'changeit'
    other = _three_cert_entry('EC')._replace(alias='root')
    before = dump_key_entry(other, password, 'JKS')
    new = _three_cert_entry('RSA')
    data, in_step = replace_key_entry(before, new, password, 'JKS')
    assert in_step == []
    assert sorted(list_aliases(data, password)) == [('root', 'key'), ('tomcat', 'key')]
    assert _jks_entry_blobs(data, password)['root'] == _jks_entry_blobs(before, password)['root']
    assert _ders(load_key_entry(data, password, 'tomcat').chain) == _ders(new.chain)


def test_replace_refuses_a_pkcs12_keystore_with_other_entries():
    password = 'changeit'
    served = _three_cert_entry('RSA')
    extra = pkcs12.serialize_key_and_certificates(
        b'tomcat', served.private_key, served.chain[0],
        [pkcs12.PKCS12Certificate(served.chain[-1], b'extra-ca')],
        serialization.BestAvailableEncryption(password.encode()))
    message = _error(replace_key_entry, extra, _three_cert_entry('EC'), password, 'PKCS12')
    assert "also holds 'extra-ca', which writing it would lose" in message
    alone = dump_key_entry(served, password, 'PKCS12')
    data, in_step = replace_key_entry(alone, _three_cert_entry('EC'), password, 'PKCS12')
    assert in_step == [] and list_aliases(data, password) == [('tomcat', 'key')]
    # A key without a name (openssl pkcs12 -export without -name) is the entry replaced, not another one.
    unnamed = pkcs12.serialize_key_and_certificates(None, served.private_key, served.chain[0], None,
                                                    serialization.BestAvailableEncryption(password.encode()))
    data, in_step = replace_key_entry(unnamed, _three_cert_entry('EC'), password, 'PKCS12')
    assert in_step == [] and list_aliases(data, password) == [('tomcat', 'key')]

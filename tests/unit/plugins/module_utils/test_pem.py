# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of _pem: normalizing pasted text, splitting PEM blocks, refusing private keys."""

from __future__ import annotations

import base64

import pytest

from ansible_collections.telephony.starface.plugins.module_utils._crypto.pem import normalize_text, split_pem, to_pem
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError
from ansible_collections.telephony.starface.tests.unit.plugins.module_utils import certfactory

FIELD = 'certificate'


@pytest.mark.parametrize('data, expected', [
    ('a\r\nb\r\n', 'a\nb\n'),
    ('a\rb\r', 'a\nb\n'),
    ('\ufeffa\nb', 'a\nb'),
    ('  a  \n\tb\t\n \t \nc', 'a\nb\n\nc'),
    (b'\xef\xbb\xbfa\r\nb', 'a\nb'),
    ('a\tb', 'a\tb'),
    ('x\ufeff\ny', 'x\ny'),
    ('\ufeffa\nb'.encode('utf-16'), 'a\nb'),
    (b'caf\xc3\xa9 \r\n', 'caf\xe9\n'),
])
def test_normalize_text(data, expected):
    assert normalize_text(data) == expected


def test_to_pem_is_clean_and_round_trips():
    der = bytes(range(256)) * 3
    text = to_pem(der, 'CERTIFICATE')
    lines = text.split('\n')
    assert lines[0] == '-----BEGIN CERTIFICATE-----'
    assert lines[-2] == '-----END CERTIFICATE-----'
    assert text.endswith('-----\n')
    assert all(len(line) == 64 for line in lines[1:-3])
    assert 0 < len(lines[-3]) <= 64
    assert split_pem(text, FIELD) == [('CERTIFICATE', der, 1)]


def _messy(pem_text, newline='\r\n'):
    """Return PEM text with junk, blank lines, indentation and trailing spaces added."""
    lines = []
    for line in pem_text.splitlines():
        lines.extend(['   ' + line + ' \t', ''])
    return newline.join(['\ufeffSubject: CN=pbx.example.com', 'Issuer: CN=Test', ''] + lines + ['Bag Attributes'])


def test_split_pem_keeps_order_labels_and_indexes(pki):
    leaf, intermediate = pki.leaf.cert, pki.intermediate.cert
    text = 'junk before\n%s\nfriendlyName: tomcat\n%sjunk after' % (
        to_pem(certificate_der(intermediate)), to_pem(certificate_der(leaf), 'X509 CERTIFICATE'))
    blocks = split_pem(text, FIELD)
    assert [(block.label, block.index) for block in blocks] == [('CERTIFICATE', 1), ('X509 CERTIFICATE', 2)]
    assert [block.der for block in blocks] == [certificate_der(intermediate), certificate_der(leaf)]


def certificate_der(cert):
    """Return a certificate's DER."""
    return certfactory.der(cert)


@pytest.mark.parametrize('mangle', [
    pytest.param(_messy, id='crlf-junk-spaces'),
    pytest.param(lambda text: _messy(text, '\r'), id='cr'),
    pytest.param(lambda text: text.replace('\n', ' '), id='one-line-with-spaces'),
    pytest.param(lambda text: text.replace('\n', '\n\n\n'), id='blank-lines-inside'),
    pytest.param(lambda text: text.replace('-----BEGIN', '----- BEGIN').replace('-----END', '----- END'),
                 id='space-after-dashes'),
    pytest.param(lambda text: text.replace('BEGIN CERTIFICATE', 'begin certificate').replace(
        'END CERTIFICATE', 'end certificate'), id='lower-case-markers'),
    pytest.param(lambda text: text.encode('utf-8'), id='bytes'),
])
def test_split_pem_tolerates_what_people_paste(pki, mangle):
    der = certificate_der(pki.leaf.cert)
    blocks = split_pem(mangle(to_pem(der)), FIELD)
    assert [(block.label, block.der, block.index) for block in blocks] == [('CERTIFICATE', der, 1)]


def _block(der=b'0\x03\x02\x01\x01', label='CERTIFICATE'):
    """Return a small PEM block."""
    return to_pem(der, label)


def _broken_base64():
    """Return two blocks, the second with a damaged character in its base64 text."""
    second = _block(bytes(range(90)))
    lines = second.split('\n')
    lines[1] = lines[1][:10] + '!' + lines[1][11:]
    return _block() + '\n'.join(lines)


@pytest.mark.parametrize('data, expected', [
    ('', 'nothing given'),
    ('  \r\n\t\n', 'nothing given'),
    (b'\x30\x82\x01\x00\x00\x01\x02', 'binary data'),
    ('hello, here is the certificate you asked for', 'no PEM block found'),
    (base64.b64encode(bytes(range(200))).decode('ascii'), 'without the -----BEGIN CERTIFICATE-----'),
    (_block() + '-----BEGIN CERTIFICATE-----\nMIIB\n', 'block 2 (CERTIFICATE) is truncated'),
    (_block() + _block().replace('-----END CERTIFICATE-----', '') + _block(), 'block 2 (CERTIFICATE) is truncated'),
    (_block().replace('END CERTIFICATE', 'END CERTIFICATE REQUEST'), 'block 1 is corrupt'),
    (_broken_base64(), 'block 2 (CERTIFICATE) is truncated or corrupt'),
    (_block() + _block(bytes(range(90)))[:-40] + '\n-----END CERTIFICATE-----\n', 'block 2 (CERTIFICATE) is truncated'),
    ('-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n', 'block 1 (CERTIFICATE) is truncated or corrupt'),
])
def test_split_pem_errors_say_what_and_where(data, expected):
    with pytest.raises(StarfaceError) as caught:
        split_pem(data, FIELD)
    assert expected in caught.value.msg
    assert caught.value.field == FIELD
    assert str(caught.value).startswith(FIELD + ': ')


def _key_pems():
    """Return (style, key, PEM) for each private key flavour people might paste."""
    rsa_key = certfactory.rsa_key(2048, 0)
    ec_key = certfactory.ec_key()
    return [
        ('PRIVATE KEY', certfactory.key_pem(ec_key, 'pkcs8')),
        ('RSA PRIVATE KEY', certfactory.key_pem(rsa_key, 'traditional')),
        ('EC PRIVATE KEY', certfactory.key_pem(ec_key, 'traditional')),
        ('ENCRYPTED PRIVATE KEY', certfactory.key_pem(ec_key, 'encrypted')),
        ('OPENSSH PRIVATE KEY', certfactory.key_pem(ec_key, 'openssh')),
    ]


def _secret_lines(key_pem):
    """Return the lines of a key PEM that carry key material."""
    return [line for line in key_pem.decode('ascii').splitlines() if line and not line.startswith('-----')]


@pytest.mark.parametrize('label, key_pem', _key_pems(), ids=[pair[0] for pair in _key_pems()])
@pytest.mark.parametrize('position', ['alone', 'after-certificate', 'end-line-only'])
def test_private_keys_are_refused_and_never_echoed(pki, label, key_pem, position):
    cert_pem = certfactory.pem(pki.leaf.cert)
    text = key_pem.decode('ascii')
    if position == 'after-certificate':
        text = cert_pem + '\n' + text
    elif position == 'end-line-only':
        text = cert_pem + '\n'.join(text.splitlines()[1:])
    with pytest.raises(StarfaceError) as caught:
        split_pem(text, FIELD)
    message = str(caught.value)
    assert 'private key' in message
    assert label in message
    expected_block = 'block 1 ' if position == 'alone' else ('block 2 ' if position == 'after-certificate' else 'block')
    assert expected_block in message
    for line in _secret_lines(key_pem):
        assert line not in message
        assert line[:16] not in message
        assert line not in repr(caught.value.details)


def test_html_page_gets_its_own_hint():
    """A web page saved instead of the certificate is named as such."""
    with pytest.raises(StarfaceError) as caught:
        split_pem('<!DOCTYPE html><html><body>502 Bad Gateway</body></html>', 'certificate')
    assert 'web page (HTML)' in caught.value.msg

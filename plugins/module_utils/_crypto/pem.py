# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""PEM as text: clean up what people paste, split it into blocks, refuse private keys."""

from __future__ import annotations

import base64
import binascii
import codecs
import hashlib
import re
from collections import namedtuple

from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError

FINGERPRINT_ALGORITHMS = ('sha1', 'sha256', 'sha384', 'sha512')


def der_fingerprint(der: bytes, algorithm: str = 'sha256') -> str:
    """Return the fingerprint of DER bytes (a certificate) as upper-case colon-separated hex (AB:CD:...)."""
    name = algorithm.lower().replace('-', '')
    if name not in FINGERPRINT_ALGORITHMS:
        raise ValueError('unknown fingerprint algorithm %r' % algorithm)
    digest = hashlib.new(name, der).hexdigest().upper()
    return ':'.join(digest[index:index + 2] for index in range(0, len(digest), 2))


PemBlock = namedtuple('PemBlock', ['label', 'der', 'index'])

# Tolerant markers: 3 or more dashes, any case, extra spaces. A label never holds a dash.
_BEGIN = re.compile(r'-{3,}[ \t]*BEGIN[ \t]+([^-\n]*?)[ \t]*-{3,}', re.IGNORECASE)
_END = re.compile(r'-{3,}[ \t]*END[ \t]+([^-\n]*?)[ \t]*-{3,}', re.IGNORECASE)
_BASE64 = re.compile(r'[A-Za-z0-9+/]+={0,2}')
_BARE_BASE64 = re.compile(r'[A-Za-z0-9+/=\s]{100,}')
_HTML = re.compile(r'<\s*(html|body|head|!doctype)\b', re.IGNORECASE)
_CONTROL = re.compile(r'[\x00-\x08\x0e-\x1f\x7f\ufffd]')


def normalize_text(data: str | bytes) -> str:
    """Return pasted text with LF line ends, no BOM, and no spaces or tabs around lines."""
    if isinstance(data, bytes):
        data = _decode(data)
    text = data.replace('\ufeff', '').replace('\r\n', '\n').replace('\r', '\n')
    return '\n'.join(line.strip() for line in text.split('\n'))


def _decode(data: bytes) -> str:
    """Decode bytes as UTF-16 when they start with its BOM, else as UTF-8 (bad bytes replaced)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode('utf-16', errors='replace')
    return data.decode('utf-8', errors='replace')


def _label(match) -> str:
    """Return a marker's label in upper case with single spaces."""
    return ' '.join(match.group(1).upper().split())


def split_pem(data: str | bytes, field: str) -> list:
    """Return the PEM blocks in ``data`` as PemBlock(label, der, index), in input order."""
    text = normalize_text(data)
    _refuse_private_keys(text, field)
    begins = list(_BEGIN.finditer(text))
    if not begins:
        raise StarfaceError(_no_block_message(text), field=field)
    blocks = []
    for index, begin in enumerate(begins, start=1):
        stop = begins[index].start() if index < len(begins) else len(text)
        blocks.append(_read_block(text[begin.end():stop], _label(begin), index, field))
    return blocks


def _refuse_private_keys(text: str, field: str) -> None:
    """Raise when any BEGIN or END line announces a private key; the key itself is never shown."""
    markers = sorted(list(_BEGIN.finditer(text)) + list(_END.finditer(text)), key=lambda m: m.start())
    number = 0
    for marker in markers:
        if marker.re is _BEGIN:
            number += 1
        if 'PRIVATE KEY' in _label(marker):
            raise StarfaceError(
                'block %d is a private key (%s). Private keys are never accepted here: remove it and '
                'give only certificates (the private key is made and kept on the box).'
                % (max(number, 1), _label(marker)), field=field)


def _read_block(rest: str, label: str, index: int, field: str) -> PemBlock:
    """Decode one block from the text after its BEGIN line up to the next BEGIN line."""
    end = _END.search(rest)
    if end is None:
        raise StarfaceError(
            'block %d (%s) is truncated: its -----END %s----- line is missing. Copy the whole block again.'
            % (index, label, label), field=field)
    if _label(end) != label:
        raise StarfaceError(
            'block %d is corrupt: it begins with -----BEGIN %s----- but ends with -----END %s-----.'
            % (index, label, _label(end)), field=field)
    body = ''.join(rest[:end.start()].split())
    try:
        if len(body) % 4 or not _BASE64.fullmatch(body):
            raise ValueError('not base64')
        der = base64.b64decode(body, validate=True)
    except (ValueError, binascii.Error):
        raise StarfaceError(
            'block %d (%s) is truncated or corrupt: its base64 text is damaged. Copy the whole block again.'
            % (index, label), field=field) from None
    return PemBlock(label, der, index)


def _no_block_message(text: str) -> str:
    """Explain why no PEM block was found, with a hint for the usual mistakes."""
    if not text.strip():
        return 'nothing given: paste the certificate as PEM text (-----BEGIN CERTIFICATE----- ...).'
    if _CONTROL.search(text):
        return ('binary data, not PEM text. Convert a DER file (.cer, .der) with: openssl x509 -inform der '
                '-in file.cer; a PKCS#7 file (.p7b) with: openssl pkcs7 -inform der -print_certs -in file.p7b')
    if _BARE_BASE64.fullmatch(text):
        return ('base64 text without the -----BEGIN CERTIFICATE----- and -----END CERTIFICATE----- lines: '
                'copy the certificate including those lines.')
    if _HTML.search(text):
        return ('this is a web page (HTML), not a certificate: download the certificate file itself '
                '(PEM, the text between -----BEGIN CERTIFICATE----- and -----END CERTIFICATE-----).')
    return ('no PEM block found: a certificate starts with -----BEGIN CERTIFICATE----- '
            'and ends with -----END CERTIFICATE-----.')


def to_pem(der: bytes, label: str = 'CERTIFICATE') -> str:
    """Return ``der`` as clean PEM with 64-column base64 lines and a final newline."""
    body = base64.b64encode(der).decode('ascii')
    lines = [body[pos:pos + 64] for pos in range(0, len(body), 64)]
    return '-----BEGIN %s-----\n%s\n-----END %s-----\n' % (label, '\n'.join(lines), label)

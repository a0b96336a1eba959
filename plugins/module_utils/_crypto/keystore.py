# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Java keystores: JKS read and written in pure Python (no JVM), PKCS12 through cryptography."""

from __future__ import annotations

import collections
import hashlib
import hmac
import os
import struct
import time

from ansible_collections.telephony.starface.plugins.module_utils._crypto.library import UnsupportedAlgorithm, pkcs12, serialization, x509
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError


KeyEntry = collections.namedtuple('KeyEntry', ['alias', 'private_key', 'chain'])

KIND_KEY = 'key'
KIND_TRUSTED = 'trusted certificate'
FORMATS = ('JKS', 'PKCS12')

# The JKS layout, as keytool writes it (all integers big-endian):
#   u4 magic 0xFEEDFEED, u4 version (2; 1 has no certificate type strings), u4 entry count,
#   entries, then SHA-1(password as UTF-16BE + b'Mighty Aphrodite' + everything before it).
#   Entry: u4 tag, alias (u2 length + modified UTF-8), u8 creation time in ms, then
#   tag 1 (key): u4 length + EncryptedPrivateKeyInfo DER, u4 certificate count, certificates;
#   tag 2 (trusted certificate): one certificate.
#   Certificate: type ('X.509', u2 length + modified UTF-8; version 2 only), u4 length + DER.
# The key is protected by Sun's own algorithm (OID 1.3.6.1.4.1.42.2.17.1.1): 20 bytes of salt,
# the PKCS#8 PrivateKeyInfo XORed with a keystream of chained SHA-1(password + previous block)
# starting from the salt, then SHA-1(password + PKCS#8) as a check.
JKS_MAGIC = 0xFEEDFEED
JCEKS_MAGIC = 0xCECECECE
_TAG_KEY = 1
_TAG_TRUSTED = 2
_INTEGRITY_WHITENER = b'Mighty Aphrodite'
_KEY_PROTECTOR_OID = '1.3.6.1.4.1.42.2.17.1.1'
_OID_DATA = '1.2.840.113549.1.7.1'
_OID_SHROUDED_KEY_BAG = '1.2.840.113549.1.12.10.1.2'
_OID_FRIENDLY_NAME = '1.2.840.113549.1.9.20'
_SALT_SIZE = 20
_DIGEST_SIZE = 20

# raw: the entry's bytes as read, written back unchanged when another entry is replaced.
_JksEntry = collections.namedtuple('_JksEntry', ['alias', 'kind', 'protected_key', 'certificates', 'raw'])
_Pkcs12Content = collections.namedtuple('_Pkcs12Content', ['key', 'key_bags', 'certs'])


def detect_format(data: bytes) -> str:
    """Return 'JKS' or 'PKCS12' for keystore bytes; raise StarfaceError for anything else."""
    if data[:4] == struct.pack('>I', JKS_MAGIC):
        return 'JKS'
    if data[:4] == struct.pack('>I', JCEKS_MAGIC):
        raise StarfaceError('the keystore is a JCEKS keystore, which is not supported: convert it to JKS or '
                            'PKCS12 with keytool -importkeystore')
    if data[:1] == b'\x30':
        return 'PKCS12'
    hint = ''
    if data.lstrip()[:10] == b'-----BEGIN':
        hint = ' (it is PEM text; a keystore is a binary file)'
    elif not data:
        hint = ' (the file is empty)'
    raise StarfaceError('the file is not a Java keystore (JKS or PKCS12)%s' % hint)


def list_aliases(data: bytes, password: str) -> list:
    """Return the entries of a keystore as (alias, kind) pairs, kind 'key' or 'trusted certificate'."""
    if detect_format(data) == 'JKS':
        return [(entry.alias, entry.kind) for entry in _parse_jks(data, password)]
    return _pkcs12_aliases(_load_pkcs12(data, password))


def load_key_entry(data: bytes, password: str, alias: str, key_password: str | None = None) -> KeyEntry:
    """Return the private key and certificate chain stored under ``alias``."""
    if detect_format(data) == 'JKS':
        entry = _find_jks_key_entry(_parse_jks(data, password), alias)
        key = _load_der_key(_unprotect_key(entry.protected_key, key_password, password, entry.alias), entry.alias)
        return KeyEntry(entry.alias, key, _load_jks_certificates(entry))
    _require_same_key_password(password, key_password)
    content = _load_pkcs12(data, password)
    name, bag = _find_pkcs12_key(content, alias)
    key = _single_key(content) or _decrypt_pkcs12_key(bag, password, name)
    return KeyEntry(name or alias, key, _pkcs12_chain(content, name, key))


def load_chain(data: bytes, password: str, alias: str) -> list:
    """Return the certificates stored under ``alias`` (the chain of a key entry), leaf first."""
    if detect_format(data) == 'JKS':
        return _load_jks_certificates(_find_jks_entry(_parse_jks(data, password), alias))
    content = _load_pkcs12(data, password)
    for name, cert in _pkcs12_trusted(content):
        if _same_alias(name, alias):
            return [cert]
    name, dummy = _find_pkcs12_key(content, alias)
    return _pkcs12_chain(content, name, _single_key(content))


def dump_key_entry(entry: KeyEntry, password: str, fmt: str, key_password: str | None = None) -> bytes:
    """Return a new keystore of format ``fmt`` ('JKS' or 'PKCS12') holding only ``entry``."""
    fmt = (fmt or '').upper()
    if fmt not in FORMATS:
        raise StarfaceError('keystore type %r is not supported: use JKS or PKCS12' % (fmt,))
    if not password:
        raise StarfaceError('the keystore password must not be empty')
    _check_entry(entry)
    if fmt == 'JKS':
        return _dump_jks(entry, password, key_password or password)
    _require_same_key_password(password, key_password)
    if not all(' ' <= char <= '~' for char in password):
        raise StarfaceError('Java cannot open a PKCS12 keystore whose password holds characters other than '
                            'printable ASCII: choose such a password, or use a JKS keystore')
    return pkcs12.serialize_key_and_certificates(
        entry.alias.encode('utf-8'), entry.private_key, entry.chain[0], entry.chain[1:] or None,
        serialization.BestAvailableEncryption(password.encode('utf-8')))


def replace_key_entry(data: bytes | None, entry: KeyEntry, password: str, fmt: str,
                      key_password: str | None = None):
    """Return (keystore bytes, aliases kept in step): ``entry`` written into the keystore ``data``.

    The other entries of a JKS keystore stay, byte for byte, except a key entry whose leaf is
    the certificate the replaced entry had: a copy of the served key and chain (STARFACE keeps
    one under ``root``), which gets the new key and chain too so that both stay in step. A
    PKCS12 keystore holds the entry alone (Python's cryptography writes one key per file):
    other entries are refused rather than dropped. Without readable ``data`` the keystore
    holds the entry alone.
    """
    fmt = (fmt or '').upper()
    if not data:
        return dump_key_entry(entry, password, fmt, key_password), []
    if fmt == 'PKCS12':
        content = _load_pkcs12(data, password)
        # The entry replaced is the one read as the alias (a key without a name matches any alias).
        replaced = next((index for index, (name, dummy) in enumerate(content.key_bags)
                         if name is None or _same_alias(name, entry.alias)), None)
        others = ['(unnamed)' if name is None else name
                  for index, (name, dummy) in enumerate(content.key_bags) if index != replaced]
        others += [name for name, dummy in _pkcs12_trusted(content)]
        if others:
            raise StarfaceError("the PKCS12 keystore also holds %s, which writing it would lose (only a JKS "
                                "keystore keeps other entries): move them out with keytool, or convert the "
                                "keystore to JKS" % ', '.join("'%s'" % alias for alias in others))
        return dump_key_entry(entry, password, fmt, key_password), []
    _check_entry(entry)
    old = _parse_jks(data, password)
    replaced = [item for item in old if _same_alias(item.alias, entry.alias)]
    old_leaf = replaced[0].certificates[:1] if replaced and replaced[0].kind == KIND_KEY else None
    key = _protected_entry_key(entry, key_password or password)
    parts, in_step = [], []
    if not replaced:
        parts.append(_jks_key_entry(entry.alias, key, entry.chain))
    for item in old:
        if _same_alias(item.alias, entry.alias):
            parts.append(_jks_key_entry(entry.alias, key, entry.chain))
        elif old_leaf and item.kind == KIND_KEY and item.certificates[:1] == old_leaf:
            parts.append(_jks_key_entry(item.alias, key, entry.chain))
            in_step.append(item.alias)
        else:
            parts.append(item.raw or _jks_entry_bytes(item))
    body = struct.pack('>III', JKS_MAGIC, 2, len(parts)) + b''.join(parts)
    return body + _jks_digest(password, body), in_step


def _damaged(what):
    return StarfaceError('the keystore is damaged: %s (it may be truncated); restore it from a backup or '
                         'create a new one' % what)


def _same_alias(left, right):
    """Java compares keystore aliases case-insensitively."""
    return left.lower() == right.lower()


def _describe_entries(pairs):
    if not pairs:
        return 'the keystore holds no entries'
    return 'the keystore holds: %s' % ', '.join("'%s' (%s)" % pair for pair in pairs)


def _alias_not_found(alias, pairs):
    return StarfaceError("alias '%s' not found; %s" % (alias, _describe_entries(pairs)))


def _not_a_key_entry(alias):
    return StarfaceError("alias '%s' is a trusted certificate entry without a private key; Tomcat needs a key "
                         "entry (PrivateKeyEntry) for HTTPS" % alias)


def _check_entry(entry):
    if not entry.chain:
        raise StarfaceError("the key entry '%s' has no certificate" % entry.alias)
    if _public_der(entry.private_key) != _public_der(entry.chain[0]):
        raise StarfaceError("the private key of entry '%s' does not belong to its first certificate "
                            "(the leaf)" % entry.alias)


def _public_der(key_or_cert):
    return key_or_cert.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)


def _require_same_key_password(password, key_password):
    if key_password is not None and key_password != password:
        raise StarfaceError('a PKCS12 keystore protects its key with the keystore password: '
                            'a different key password is not supported')


# --- JKS reading ---------------------------------------------------------------------------------

class _JksReader:
    """Reads the fields of a JKS file, turning a short read into a 'damaged' error."""

    def __init__(self, data):
        self.data = data
        self.pos = 0
        self.where = 'the header'

    def take(self, size):
        """Return the next ``size`` bytes."""
        end = self.pos + size
        if end > len(self.data):
            raise _damaged('it ends in the middle of %s' % self.where)
        chunk = self.data[self.pos:end]
        self.pos = end
        return chunk

    def u2(self):
        """Return the next unsigned 16-bit integer."""
        return struct.unpack('>H', self.take(2))[0]

    def u4(self):
        """Return the next unsigned 32-bit integer."""
        return struct.unpack('>I', self.take(4))[0]

    def utf(self):
        """Return the next Java modified UTF-8 string."""
        try:
            return _decode_java_utf(self.take(self.u2()))
        except UnicodeDecodeError:
            raise _damaged('a name in %s is not valid text' % self.where) from None

    def certificate(self, version):
        """Return the DER bytes of the next certificate."""
        cert_type = self.utf() if version == 2 else 'X.509'
        if cert_type != 'X.509':
            raise _damaged('%s holds a certificate of type %r, not X.509' % (self.where, cert_type))
        return self.take(self.u4())


def _parse_jks(data, password):
    """Return the entries of a JKS keystore after checking its integrity with ``password``."""
    reader = _JksReader(data)
    reader.take(4)
    version = reader.u4()
    if version not in (1, 2):
        raise _damaged('unknown JKS version %d' % version)
    entries = []
    for number in range(1, reader.u4() + 1):
        reader.where = 'entry %d' % number
        entries.append(_read_jks_entry(reader, version))
    body_end = reader.pos
    reader.where = 'the integrity digest'
    digest = reader.take(_DIGEST_SIZE)
    if reader.pos != len(data):
        raise _damaged('%d unexpected bytes follow the integrity digest' % (len(data) - reader.pos))
    if not hmac.compare_digest(digest, _jks_digest(password, data[:body_end])):
        raise StarfaceError('the keystore password is wrong, or the keystore file was altered '
                            '(its integrity check failed)')
    return entries


def _read_jks_entry(reader, version):
    start = reader.pos
    tag = reader.u4()
    alias = reader.utf()
    reader.take(8)  # creation time
    if tag == _TAG_KEY:
        protected_key = reader.take(reader.u4())
        certificates = [reader.certificate(version) for dummy in range(reader.u4())]
        return _JksEntry(alias, KIND_KEY, protected_key, certificates, _raw_v2(reader, start, version))
    if tag == _TAG_TRUSTED:
        certificates = [reader.certificate(version)]
        return _JksEntry(alias, KIND_TRUSTED, None, certificates, _raw_v2(reader, start, version))
    raise _damaged('%s has the unknown type %d' % (reader.where, tag))


def _raw_v2(reader, start, version):
    """Return the entry just read as version-2 bytes (the bytes as read; None for version 1, re-encoded on write)."""
    return reader.data[start:reader.pos] if version == 2 else None


def _find_jks_entry(entries, alias):
    for entry in entries:
        if _same_alias(entry.alias, alias):
            return entry
    raise _alias_not_found(alias, [(entry.alias, entry.kind) for entry in entries])


def _find_jks_key_entry(entries, alias):
    entry = _find_jks_entry(entries, alias)
    if entry.kind != KIND_KEY:
        raise _not_a_key_entry(entry.alias)
    return entry


def _load_jks_certificates(entry):
    certificates = []
    for number, der in enumerate(entry.certificates, 1):
        try:
            certificates.append(x509.load_der_x509_certificate(der))
        except ValueError:
            raise _damaged("certificate %d of entry '%s' is not a valid X.509 certificate"
                           % (number, entry.alias)) from None
    return certificates


def _unprotect_key(protected_key, key_password, password, alias):
    """Return the PKCS#8 DER of a JKS-protected key."""
    blob = _parse_encrypted_key_info(protected_key, alias)
    salt, encrypted, check = blob[:_SALT_SIZE], blob[_SALT_SIZE:-_DIGEST_SIZE], blob[-_DIGEST_SIZE:]
    secret = _java_password(key_password if key_password is not None else password)
    plain = _xor(encrypted, _keystream(secret, salt, len(encrypted)))
    if hmac.compare_digest(hashlib.sha1(secret + plain).digest(), check):
        return plain
    if key_password is None:
        raise StarfaceError("the private key of alias '%s' has its own key password, different from the keystore "
                            "password: give the key password" % alias)
    raise StarfaceError("the key password for alias '%s' is wrong" % alias)


def _parse_encrypted_key_info(protected_key, alias):
    """Return the encrypted bytes of an EncryptedPrivateKeyInfo using Sun's key protector."""
    try:
        parts = _der_items(_der_single(protected_key, 0x30))
        if [tag for tag, dummy in parts] != [0x30, 0x04]:
            raise ValueError('not an EncryptedPrivateKeyInfo')
        algorithm, blob = _der_items(parts[0][1]), parts[1][1]
    except ValueError:
        raise _damaged("the protected key of entry '%s' is not valid DER" % alias) from None
    if not algorithm or algorithm[0] != (0x06, _encode_oid(_KEY_PROTECTOR_OID)):
        raise _damaged("the key of entry '%s' is not protected the way JKS does" % alias)
    if len(blob) < _SALT_SIZE + _DIGEST_SIZE:
        raise _damaged("the protected key of entry '%s' is too short" % alias)
    return blob


def _load_der_key(der, alias):
    try:
        return _load_own_der_key(der)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise _damaged("the private key of entry '%s' cannot be read" % alias) from None


def _load_own_der_key(der):
    """Load the key of the box's own keystore without OpenSSL's RSA consistency check where it can be skipped.

    That check (cryptography 39 and later skip it on request) takes about 30 ms for a 2048-bit key,
    on every module run that reads the keystore. It guards against keys made to leak through
    faulty signatures; this key is the one Tomcat serves with, from a file only root and Tomcat may
    write. A key that does not fit its certificate is still refused before a keystore is written
    (_check_entry), and a change is verified by a TLS handshake after its restart.
    """
    try:
        return serialization.load_der_private_key(der, None, unsafe_skip_rsa_key_validation=True)
    except TypeError:
        # cryptography before 39 has no such argument (a key that is no key raises ValueError, not this).
        return serialization.load_der_private_key(der, None)


# --- JKS writing ---------------------------------------------------------------------------------

def _dump_jks(entry, password, key_password):
    key = _protected_entry_key(entry, key_password)
    body = struct.pack('>III', JKS_MAGIC, 2, 1) + _jks_key_entry(entry.alias, key, entry.chain)
    return body + _jks_digest(password, body)


def _protected_entry_key(entry, key_password):
    """Return the entry's private key as PKCS#8, protected as JKS does."""
    plain = entry.private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption())
    return _protect_key(plain, key_password)


def _jks_key_entry(alias, protected_key, chain):
    """Return the bytes of a JKS key entry made now (keytool writes aliases in lower case)."""
    ders = [cert.public_bytes(serialization.Encoding.DER) for cert in chain]
    return _jks_entry_bytes(_JksEntry(alias.lower(), KIND_KEY, protected_key, ders, None))


def _jks_entry_bytes(entry):
    """Return the version-2 bytes of a JKS entry, created now."""
    parts = [struct.pack('>I', _TAG_KEY if entry.kind == KIND_KEY else _TAG_TRUSTED), _encode_java_utf(entry.alias),
             struct.pack('>Q', int(time.time() * 1000))]
    if entry.kind == KIND_KEY:
        parts.extend([struct.pack('>I', len(entry.protected_key)), entry.protected_key,
                      struct.pack('>I', len(entry.certificates))])
    for der in entry.certificates:
        parts.extend([_encode_java_utf('X.509'), struct.pack('>I', len(der)), der])
    return b''.join(parts)


def _protect_key(plain, password):
    """Return the EncryptedPrivateKeyInfo DER of a PKCS#8 key, protected as JKS does."""
    secret = _java_password(password)
    salt = os.urandom(_SALT_SIZE)
    blob = salt + _xor(plain, _keystream(secret, salt, len(plain))) + hashlib.sha1(secret + plain).digest()
    algorithm = _der(0x30, _der(0x06, _encode_oid(_KEY_PROTECTOR_OID)))
    return _der(0x30, algorithm + _der(0x04, blob))


# --- JKS primitives ------------------------------------------------------------------------------

def _java_password(password):
    """Return a password as Java's char[] bytes (UTF-16BE)."""
    return password.encode('utf-16-be')


def _jks_digest(password, body):
    return hashlib.sha1(_java_password(password) + _INTEGRITY_WHITENER + body).digest()


def _keystream(secret, salt, size):
    blocks = []
    block = salt
    for dummy in range(0, size, _DIGEST_SIZE):
        block = hashlib.sha1(secret + block).digest()
        blocks.append(block)
    return b''.join(blocks)[:size]


def _xor(data, stream):
    return (int.from_bytes(data, 'big') ^ int.from_bytes(stream, 'big')).to_bytes(len(data), 'big')


def _encode_java_utf(text):
    """Return ``text`` as Java's writeUTF does: u2 length + modified UTF-8 (CESU-8, NUL as C0 80)."""
    units = []
    for char in text:
        code = ord(char)
        if code > 0xFFFF:
            code -= 0x10000
            units.append(chr(0xD800 + (code >> 10)) + chr(0xDC00 + (code & 0x3FF)))
        else:
            units.append(char)
    raw = ''.join(units).encode('utf-8', 'surrogatepass').replace(b'\x00', b'\xc0\x80')
    if len(raw) > 0xFFFF:
        raise StarfaceError('the alias is too long for a keystore (%d bytes)' % len(raw))
    return struct.pack('>H', len(raw)) + raw


def _decode_java_utf(raw):
    """Return the text of Java modified UTF-8 bytes."""
    text = raw.replace(b'\xc0\x80', b'\x00').decode('utf-8', 'surrogatepass')
    return text.encode('utf-16-be', 'surrogatepass').decode('utf-16-be')


# --- minimal DER ---------------------------------------------------------------------------------

def _der(tag, content):
    """Return one DER TLV."""
    size = len(content)
    if size < 0x80:
        return bytes((tag, size)) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, 'big')
    return bytes((tag, 0x80 | len(length))) + length + content


def _der_items(data):
    """Split DER bytes into (tag, content) pairs; ValueError when the bytes are not complete DER."""
    items = []
    pos = 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise ValueError('DER header cut short')
        tag, size = data[pos], data[pos + 1]
        pos += 2
        if size & 0x80:
            count = size & 0x7F
            if not 0 < count <= 4 or pos + count > len(data):
                raise ValueError('bad DER length')
            size = int.from_bytes(data[pos:pos + count], 'big')
            pos += count
        if pos + size > len(data):
            raise ValueError('DER content cut short')
        items.append((tag, data[pos:pos + size]))
        pos += size
    return items


def _der_single(data, tag):
    """Return the content of ``data`` when it is exactly one DER item with ``tag``; ValueError otherwise."""
    items = _der_items(data)
    if len(items) != 1 or items[0][0] != tag:
        raise ValueError('expected one DER item with tag 0x%02x' % tag)
    return items[0][1]


def _encode_oid(dotted):
    """Return the DER content bytes of an OBJECT IDENTIFIER."""
    numbers = [int(part) for part in dotted.split('.')]
    out = bytearray()
    for number in [numbers[0] * 40 + numbers[1]] + numbers[2:]:
        chunk = [number & 0x7F]
        number >>= 7
        while number:
            chunk.append(0x80 | (number & 0x7F))
            number >>= 7
        out.extend(reversed(chunk))
    return bytes(out)


# --- PKCS12 --------------------------------------------------------------------------------------

def _check_pkcs12_length(data):
    """Tell a cut-short PKCS12 file apart from a wrong password by its outer DER length."""
    if len(data) < 2 or data[1] == 0x80:  # indefinite length (BER): leave it to cryptography
        return
    count = data[1] & 0x7F if data[1] & 0x80 else 0
    header = 2 + count
    size = int.from_bytes(data[2:header], 'big') if count else data[1]
    if len(data) < header or len(data) < header + size:
        raise _damaged('it is shorter than its header announces')
    if len(data) > header + size:
        raise _damaged('%d unexpected bytes follow its end' % (len(data) - header - size))


def _load_pkcs12(data, password):
    """Return what a PKCS12 file holds; cryptography checks the password (MAC) and decrypts."""
    _check_pkcs12_length(data)
    secret = password.encode('utf-8') if password else None
    try:
        if hasattr(pkcs12, 'load_pkcs12'):
            loaded = pkcs12.load_pkcs12(data, secret)
            key, key_name = loaded.key, _friendly_name(loaded.cert)
            items = ([loaded.cert] if loaded.cert is not None else []) + list(loaded.additional_certs)
            certs = [(_friendly_name(item), item.certificate) for item in items]
        else:  # cryptography < 36 gives no friendly names
            key, leaf, cas = pkcs12.load_key_and_certificates(data, secret)
            key_name, certs = None, [(None, cert) for cert in ([leaf] if leaf is not None else []) + list(cas)]
    except ValueError:
        raise StarfaceError('the keystore password is wrong, or the PKCS12 file is damaged or uses an '
                            'encryption this system cannot read') from None
    key_bags = _pkcs12_key_bags(data)
    if not key_bags and key is not None:
        key_bags = [(key_name, None)]
    return _Pkcs12Content(key, key_bags, certs)


def _friendly_name(item):
    if item is None or item.friendly_name is None:
        return None
    return item.friendly_name.decode('utf-8', 'replace')


def _pkcs12_key_bags(data):
    """Return (alias, EncryptedPrivateKeyInfo DER) of each key in the clear part of a PKCS12 file.

    cryptography returns only one key of a PKCS12 file; Java and OpenSSL keep the shrouded key bags
    (and their friendly names) outside the encrypted certificate part, so they can be listed here.
    An empty list means the layout is not the usual one (BER, keys in encrypted parts).
    """
    try:
        auth_safe = _der_items(_der_single(data, 0x30))[1][1]
        bags = []
        for dummy, info in _der_items(_der_single(_content_data(auth_safe), 0x30)):
            contents = _content_data(info)
            if contents is not None:
                bags.extend(_key_bag(bag) for dummy, bag in _der_items(_der_single(contents, 0x30)))
        return [bag for bag in bags if bag is not None]
    except (ValueError, IndexError, TypeError):
        return []


def _content_data(info):
    """Return the octets of a PKCS#7 ContentInfo of type data, None for other types."""
    parts = _der_items(info)
    if parts[0] != (0x06, _encode_oid(_OID_DATA)):
        return None
    return _der_single(parts[1][1], 0x04)


def _key_bag(bag):
    """Return (friendly name, EncryptedPrivateKeyInfo DER) of a shrouded key bag, None for other bags."""
    parts = _der_items(bag)
    if parts[0] != (0x06, _encode_oid(_OID_SHROUDED_KEY_BAG)):
        return None
    encrypted_key = _der(0x30, _der_single(parts[1][1], 0x30))
    name = None
    for dummy, attribute in _der_items(parts[2][1]) if len(parts) > 2 else []:
        oid, values = [content for dummy, content in _der_items(attribute)][:2]
        if oid == _encode_oid(_OID_FRIENDLY_NAME):
            name = _der_items(values)[0][1].decode('utf-16-be')
    return name, encrypted_key


def _single_key(content):
    """Return the key cryptography decrypted when the file holds one key entry, else None."""
    return content.key if len(content.key_bags) == 1 else None


def _decrypt_pkcs12_key(bag, password, alias):
    try:
        return serialization.load_der_private_key(bag, password.encode('utf-8'))
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise StarfaceError("the private key of alias '%s' cannot be decrypted with the keystore password"
                            % alias) from None


def _find_pkcs12_key(content, alias):
    """Return (name, bag) of the key entry ``alias``; a key without a readable name matches any alias."""
    for name, bag in content.key_bags:
        if name is None or _same_alias(name, alias):
            return name, bag
    for name, dummy in _pkcs12_trusted(content):
        if _same_alias(name, alias):
            raise _not_a_key_entry(name)
    raise _alias_not_found(alias, _pkcs12_aliases(content))


def _pkcs12_trusted(content):
    """Return (name, cert) of the certificates that look like trusted certificate entries.

    Java names a chain certificate by its subject DN, and a key entry's leaf by the alias.
    """
    keys = [name.lower() for name, dummy in content.key_bags if name is not None]
    return [(name, cert) for name, cert in content.certs
            if name is not None and name.lower() not in keys and name != cert.subject.rfc4514_string()]


def _pkcs12_aliases(content):
    pairs = [(name if name is not None else '(unnamed)', KIND_KEY) for name, dummy in content.key_bags]
    return pairs + [(name, KIND_TRUSTED) for name, dummy in _pkcs12_trusted(content)]


def _pkcs12_chain(content, name, key):
    """Return the key entry's chain: its leaf, then each issuer found among the other certificates."""
    chain = [_pkcs12_leaf(content, name, key)]
    candidates = [cert for dummy, cert in content.certs if cert is not chain[0]]
    while chain[-1].issuer != chain[-1].subject:
        issuers = [cert for cert in candidates if cert.subject == chain[-1].issuer]
        if not issuers:
            break
        chain.append(issuers[0])
        candidates.remove(issuers[0])
    return chain


def _pkcs12_leaf(content, name, key):
    """Return the certificate named like the key entry, else the one holding the key's public key."""
    for cert_name, cert in content.certs:
        if name is not None and cert_name is not None and _same_alias(cert_name, name):
            return cert
    for dummy, cert in content.certs:
        if key is not None and _public_der(cert) == _public_der(key):
            return cert
    raise StarfaceError("the key entry '%s' of the PKCS12 keystore has no certificate" % (name or '(unnamed)'))

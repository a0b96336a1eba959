# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Certificates, CSRs and keys: load, describe, generate, match, and check names."""

from __future__ import annotations

import datetime
import ipaddress
import re

from ansible_collections.telephony.starface.plugins.module_utils._crypto.library import (
    ExtendedKeyUsageOID, InvalidSignature, NameOID, SignatureAlgorithmOID, UnsupportedAlgorithm, dsa, ec, ed448, ed25519,
    hashes, padding, pkcs7, rsa, serialization, x509)
from ansible_collections.telephony.starface.plugins.module_utils._crypto.pem import der_fingerprint, normalize_text, split_pem, to_pem
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError

CERTIFICATE_LABELS = ('CERTIFICATE', 'X509 CERTIFICATE')
PKCS7_LABELS = ('PKCS7', 'PKCS #7 SIGNED DATA', 'CERTIFICATE CHAIN')
CSR_LABELS = ('CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST')
RSA_KEY_SIZES = (2048, 3072, 4096)
_CURVE_NAMES = {'secp256r1': 'P-256', 'secp384r1': 'P-384', 'secp521r1': 'P-521'}

_PKCS7_HINT = 'convert it with: openssl pkcs7 -print_certs -in file'
_CSR_PASTED = ('%s is a certificate signing request (CSR), not a certificate: give the certificate '
               'the CA issued for this request.')
_LABEL = re.compile(r'[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\Z')
_SIGNATURE_NAMES = {
    '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
    '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
    '1.2.840.113549.1.1.10': 'RSASSA-PSS',
    '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
    '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
    '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
    '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption',
    '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
    '1.2.840.10045.4.3.1': 'ecdsa-with-SHA224',
    '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
    '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
    '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
    '1.2.840.10040.4.3': 'dsa-with-SHA1',
    '2.16.840.1.101.3.4.3.2': 'dsa-with-SHA256',
    '1.3.101.112': 'Ed25519',
    '1.3.101.113': 'Ed448',
}


# ---------------------------------------------------------------- loading

def load_certificates(data: str | bytes, field: str) -> list:
    """Return every certificate in ``data`` (PEM in any order, PKCS#7, or DER bytes), in input order."""
    if isinstance(data, bytes) and _is_der(data):
        certificates = _load_der(data, field)
    else:
        certificates = []
        for block in split_pem(data, field):
            certificates.extend(_block_certificates(block, field))
    if not certificates:
        raise StarfaceError('no certificate found.', field=field)
    return certificates


def _is_der(data: bytes) -> bool:
    """Tell whether bytes look like DER (an ASN.1 SEQUENCE, no PEM marker)."""
    return data[:1] == b'\x30' and b'-----BEGIN' not in data


def _block_certificates(block, field: str) -> list:
    """Return the certificates of one PEM block, or raise saying what the block is instead."""
    where = 'block %d' % block.index
    if block.label in CERTIFICATE_LABELS:
        try:
            return [x509.load_der_x509_certificate(block.der)]
        except ValueError:
            raise StarfaceError('%s is truncated or corrupt: it is not a readable certificate. Copy it again.'
                                % where, field=field) from None
    if block.label in PKCS7_LABELS:
        return _pkcs7_certificates(block.der, where, field)
    if block.label in CSR_LABELS:
        raise StarfaceError(_CSR_PASTED % where, field=field)
    raise StarfaceError('%s is a %s, not a certificate: remove it.' % (where, block.label), field=field)


def _pkcs7_certificates(der: bytes, where: str, field: str) -> list:
    """Return the certificates of a PKCS#7 bundle."""
    loader = getattr(pkcs7, 'load_der_pkcs7_certificates', None)
    if loader is None:
        raise StarfaceError('%s is a PKCS#7 bundle, which this system cannot read: %s' % (where, _PKCS7_HINT),
                            field=field)
    try:
        return list(loader(der))
    except (ValueError, UnsupportedAlgorithm):
        raise StarfaceError('%s is not a readable PKCS#7 bundle of certificates: %s' % (where, _PKCS7_HINT),
                            field=field) from None


def _load_der(data: bytes, field: str) -> list:
    """Return the certificates of binary input: one DER certificate or a DER PKCS#7 bundle."""
    try:
        return [x509.load_der_x509_certificate(data)]
    except ValueError:
        pass
    try:
        return _pkcs7_certificates(data, 'the binary data', field)
    except StarfaceError:
        pass
    try:
        x509.load_der_x509_csr(data)
    except ValueError:
        raise StarfaceError('binary data that is neither a DER certificate nor a PKCS#7 bundle: give the '
                            'certificate as PEM text (for a .p7b file: openssl pkcs7 -inform der -print_certs '
                            '-in file.p7b).', field=field) from None
    raise StarfaceError(_CSR_PASTED % 'the binary data', field=field)


def load_csr(data: str | bytes, field: str):
    """Return the one certificate signing request in ``data`` (PEM or DER bytes)."""
    if isinstance(data, bytes) and _is_der(data):
        try:
            return x509.load_der_x509_csr(data)
        except ValueError:
            raise StarfaceError('binary data that is not a certificate signing request (CSR).',
                                field=field) from None
    blocks = split_pem(data, field)
    for block in blocks:
        if block.label not in CSR_LABELS:
            raise StarfaceError('block %d is a %s, not a certificate signing request (CSR).'
                                % (block.index, block.label), field=field)
    if len(blocks) > 1:
        raise StarfaceError('holds %d certificate signing requests: give one.' % len(blocks), field=field)
    try:
        return x509.load_der_x509_csr(blocks[0].der)
    except ValueError:
        raise StarfaceError('block 1 is truncated or corrupt: it is not a readable certificate signing request.',
                            field=field) from None


def load_private_key(data: str | bytes, password: str | bytes | None = None, field: str | None = None):
    """Return the private key in ``data`` (PEM or DER); errors never show the key."""
    if isinstance(password, str):
        password = password.encode('utf-8')
    raw = data if isinstance(data, bytes) else data.encode('utf-8')
    try:
        if b'-----BEGIN' in raw:
            return serialization.load_pem_private_key(normalize_text(raw).encode('utf-8'), password)
        return serialization.load_der_private_key(raw, password)
    except TypeError:
        msg = ('the private key is encrypted: its password is needed.' if password is None
               else 'the private key is not encrypted: give no password for it.')
    except (ValueError, UnsupportedAlgorithm):
        msg = 'cannot read the private key: it is not a PEM or DER private key, or its password is wrong.'
    raise StarfaceError(msg, field=field)


# ---------------------------------------------------------------- facts

def utc_now() -> datetime.datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.datetime.now(datetime.timezone.utc)


def as_utc(moment: datetime.datetime) -> datetime.datetime:
    """Return ``moment`` as an aware UTC datetime; a naive one is taken as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc)


def not_before(cert) -> datetime.datetime:
    """Return the start of the validity period as an aware UTC datetime (any cryptography version)."""
    value = getattr(cert, 'not_valid_before_utc', None)
    return value if value is not None else as_utc(cert.not_valid_before)


def not_after(cert) -> datetime.datetime:
    """Return the end of the validity period as an aware UTC datetime (any cryptography version)."""
    value = getattr(cert, 'not_valid_after_utc', None)
    return value if value is not None else as_utc(cert.not_valid_after)


def iso_time(moment: datetime.datetime) -> str:
    """Return ``moment`` as ISO 8601 UTC text like 2026-01-01T00:00:00Z."""
    return as_utc(moment).strftime('%Y-%m-%dT%H:%M:%SZ')


def lifetime_left_percent(cert, now: datetime.datetime | None = None) -> float:
    """Return how much of the validity period is left at ``now``, in percent (0 when expired, 100 before start)."""
    now = as_utc(now) if now else utc_now()
    total = (not_after(cert) - not_before(cert)).total_seconds()
    left = (not_after(cert) - now).total_seconds()
    if total <= 0:
        return 0.0
    return max(0.0, min(100.0, 100.0 * left / total))


def fingerprint(cert, algorithm: str = 'sha256') -> str:
    """Return the certificate's fingerprint as upper-case colon-separated hex."""
    return der_fingerprint(cert.public_bytes(serialization.Encoding.DER), algorithm)


def certificate_facts(cert, now: datetime.datetime | None = None) -> dict:
    """Return the facts of a certificate as plain data (no PEM, nothing secret)."""
    now = as_utc(now) if now else utc_now()
    key_type, key_size = public_key_info(cert.public_key())
    return {
        'subject': cert.subject.rfc4514_string(),
        'common_name': first_common_name(cert.subject),
        'issuer': cert.issuer.rfc4514_string(),
        'subject_alt_names': subject_alt_names(cert),
        'serial': '%X' % cert.serial_number,
        'not_before': iso_time(not_before(cert)),
        'not_after': iso_time(not_after(cert)),
        'days_remaining': (not_after(cert) - now).days,
        'fingerprint_sha256': fingerprint(cert, 'sha256'),
        'fingerprint_sha1': fingerprint(cert, 'sha1'),
        'key_type': key_type,
        'key_size': key_size,
        'signature_algorithm': signature_algorithm_name(cert),
        'self_signed': is_self_signed(cert),
        'is_ca': is_ca(cert),
    }


def csr_facts(csr) -> dict:
    """Return the facts of a certificate signing request as plain data."""
    key_type, key_size = public_key_info(csr.public_key())
    return {
        'subject': csr.subject.rfc4514_string(),
        'common_name': first_common_name(csr.subject),
        'subject_alt_names': subject_alt_names(csr),
        'key_type': key_type,
        'key_size': key_size,
        'signature_algorithm': signature_algorithm_name(csr),
        'signature_valid': csr.is_signature_valid,
    }


def first_common_name(name) -> str | None:
    """Return the first common name (CN) of an x509 Name, or None."""
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return values[0].value if values else None


def _extension(obj, extension_class):
    """Return the value of a certificate's or CSR's extension, or None when it is absent."""
    try:
        return obj.extensions.get_extension_for_class(extension_class).value
    except x509.ExtensionNotFound:
        return None


def _general_names(obj) -> list:
    """Return the subjectAltName entries of a certificate or CSR as GeneralName objects."""
    value = _extension(obj, x509.SubjectAlternativeName)
    return list(value) if value is not None else []


def general_name_string(general_name) -> str | None:
    """Return a subjectAltName entry as text: 'DNS:x' (lower case), 'IP:x', 'email:x', 'URI:x'; None for others."""
    if isinstance(general_name, x509.DNSName):
        return 'DNS:%s' % general_name.value.lower()
    prefixes = ((x509.IPAddress, 'IP'), (x509.RFC822Name, 'email'), (x509.UniformResourceIdentifier, 'URI'))
    for kind, prefix in prefixes:
        if isinstance(general_name, kind):
            return '%s:%s' % (prefix, general_name.value)
    return None


def subject_alt_names(obj) -> list:
    """Return the subjectAltName entries as text like ["DNS:pbx.example.com", "IP:192.0.2.10"]."""
    texts = [general_name_string(general) for general in _general_names(obj)]
    return [text for text in texts if text is not None]


def public_key_info(key) -> tuple:
    """Return (key type, key size in bits) of a public or private key."""
    if isinstance(key, (rsa.RSAPublicKey, rsa.RSAPrivateKey)):
        return 'RSA', key.key_size
    if isinstance(key, (ec.EllipticCurvePublicKey, ec.EllipticCurvePrivateKey)):
        return 'EC', key.curve.key_size
    if isinstance(key, (ed25519.Ed25519PublicKey, ed25519.Ed25519PrivateKey)):
        return 'Ed25519', 256
    if isinstance(key, (ed448.Ed448PublicKey, ed448.Ed448PrivateKey)):
        return 'Ed448', 456
    if isinstance(key, (dsa.DSAPublicKey, dsa.DSAPrivateKey)):
        return 'DSA', key.key_size
    return type(key).__name__, None


def private_key_facts(key) -> dict:
    """Return a key's type, size and (EC only) curve like 'P-256'; works for public keys too."""
    key_type, key_size = public_key_info(key)
    curve = None
    if key_type == 'EC':
        curve = _CURVE_NAMES.get(key.curve.name, key.curve.name)
    return {'key_type': key_type, 'key_size': key_size, 'curve': curve}


def signature_algorithm_name(obj) -> str:
    """Return the signature algorithm of a certificate or CSR, like sha256WithRSAEncryption."""
    dotted = obj.signature_algorithm_oid.dotted_string
    return _SIGNATURE_NAMES.get(dotted, dotted)


def signature_hash_name(cert) -> str | None:
    """Return the signature's hash (like 'sha256'), or None when there is none or it is unknown."""
    try:
        algorithm = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return None
    return algorithm.name if algorithm is not None else None


def basic_constraints(cert) -> tuple | None:
    """Return (ca, path_length) from basicConstraints, or None when the extension is absent."""
    value = _extension(cert, x509.BasicConstraints)
    return (value.ca, value.path_length) if value is not None else None


def is_ca(cert) -> bool:
    """Tell whether basicConstraints says CA:TRUE."""
    constraints = basic_constraints(cert)
    return bool(constraints and constraints[0])


def may_sign_certificates(cert) -> bool:
    """Tell whether keyUsage allows keyCertSign (true when there is no keyUsage at all)."""
    value = _extension(cert, x509.KeyUsage)
    return value is None or value.key_cert_sign


def key_identifiers(cert) -> tuple:
    """Return (subject key identifier, authority key identifier) as bytes or None."""
    subject = _extension(cert, x509.SubjectKeyIdentifier)
    authority = _extension(cert, x509.AuthorityKeyIdentifier)
    return (subject.digest if subject is not None else None,
            authority.key_identifier if authority is not None else None)


# ---------------------------------------------------------------- signatures

def is_signed_by(cert, issuer) -> bool:
    """Tell whether ``cert``'s signature verifies with ``issuer``'s public key."""
    try:
        _verify(issuer.public_key(), cert)
    except (InvalidSignature, UnsupportedAlgorithm, TypeError, ValueError):
        return False
    return True


def is_self_signed(cert) -> bool:
    """Tell whether the certificate names itself as issuer and its signature verifies with its own key."""
    return cert.subject == cert.issuer and is_signed_by(cert, cert)


def _verify(key, cert) -> None:
    """Verify ``cert``'s signature with ``key``; raise InvalidSignature (or TypeError) when it fails."""
    data, signature = cert.tbs_certificate_bytes, cert.signature
    if isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        key.verify(signature, data)
        return
    if isinstance(key, rsa.RSAPublicKey) and cert.signature_algorithm_oid == SignatureAlgorithmOID.RSASSA_PSS:
        _verify_pss(key, cert)
        return
    algorithm = cert.signature_hash_algorithm
    if isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, data, padding.PKCS1v15(), algorithm)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, data, ec.ECDSA(algorithm))
    elif isinstance(key, dsa.DSAPublicKey):
        key.verify(signature, data, algorithm)
    else:
        raise InvalidSignature('unsupported issuer key type')


def _verify_pss(key, cert) -> None:
    """Verify an RSASSA-PSS signature, with its parameters where cryptography exposes them (41+)."""
    data, signature = cert.tbs_certificate_bytes, cert.signature
    parameters = getattr(cert, 'signature_algorithm_parameters', None)
    if parameters is not None:
        key.verify(signature, data, parameters, cert.signature_hash_algorithm)
        return
    # Older cryptography cannot tell the PSS hash: accept the strong hashes CAs use, salt found from the signature.
    for algorithm in (hashes.SHA256(), hashes.SHA384(), hashes.SHA512()):
        salt = getattr(padding.PSS, 'AUTO', algorithm.digest_size)
        try:
            key.verify(signature, data, padding.PSS(mgf=padding.MGF1(algorithm), salt_length=salt), algorithm)
            return
        except InvalidSignature:
            continue
    raise InvalidSignature('no PSS parameters verify')


# ---------------------------------------------------------------- names

def _ip(text: str):
    """Return ``text`` as an IP address object, or None."""
    try:
        return ipaddress.ip_address(text.strip().strip('[]'))
    except ValueError:
        return None


def _to_ascii(name: str) -> str | None:
    """Return a DNS name in lower-case ASCII (IDNA for international names), or None when impossible."""
    try:
        return name.encode('idna').decode('ascii').lower()
    except UnicodeError:
        return None


def check_server_name(name: str, field: str, wildcard: bool = False) -> str:
    """Return ``name`` as a lower-case DNS name or an IP address; raise a clear error when it is neither."""
    text = name.strip() if isinstance(name, str) else ''
    if not text:
        raise StarfaceError('a name is empty: give a DNS name like pbx.example.com or an IP address.', field=field)
    address = _ip(text)
    if address is not None:
        return str(address)
    problem = _name_problem(text, wildcard)
    if problem:
        raise StarfaceError("'%s' %s" % (text, problem), field=field)
    return _to_ascii(text.rstrip('.'))


def _name_problem(text: str, wildcard: bool) -> str | None:
    """Return what is wrong with a DNS name, or None when it is fine."""
    problem = _shape_problem(text)
    if problem:
        return problem
    ascii_name = _to_ascii(text.rstrip('.'))
    if ascii_name is None or len(ascii_name) > 253:
        return 'is not a valid DNS name (empty part between dots, or a part or the whole name too long).'
    return _label_problem(ascii_name.split('.'), wildcard)


def _shape_problem(text: str) -> str | None:
    """Return the usual paste mistakes: a URL, spaces, a path or a port."""
    if '://' in text:
        return "is an address, not a server name: give it without https:// (like 'pbx.example.com')."
    if any(char.isspace() for char in text):
        return 'contains a space: a server name has none.'
    if '/' in text:
        return 'holds a path: give only the server name, without / and what follows.'
    if ':' in text:
        port = text.rpartition(':')[2]
        return ("holds a port: give the name without ':%s'." % port if port.isdigit()
                else 'is neither a DNS name nor an IP address.')
    return None


def _label_problem(labels: list, wildcard: bool) -> str | None:
    """Return what is wrong with the dot-separated parts of a DNS name (a wildcard only as the whole first part)."""
    if labels[0] == '*':
        if not wildcard:
            return 'is a wildcard: give one exact server name here.'
        if len(labels) < 3:
            return 'is a wildcard over a whole top-level domain: use it like *.example.com.'
        labels = labels[1:]
    if '*' in '.'.join(labels):
        return 'has a wildcard in the wrong place: only the whole left-most part may be *, like *.example.com.'
    if not all(_LABEL.match(label) for label in labels):
        return ('is not a valid DNS name: each part between dots holds 1 to 63 letters, digits or hyphens, '
                'and does not start or end with a hyphen.')
    if labels[-1].isdigit():
        return 'looks like an IP address but is not a valid one.'
    return None


def parse_subject_alt_names(items, field: str) -> list:
    """Return subjectAltName entries (``DNS:x``, ``IP:x``, bare names or addresses) as GeneralName objects."""
    if isinstance(items, str):
        items = items.split(',')
    names = []
    for item in items or []:
        if isinstance(item, x509.GeneralName):
            general = item
        else:
            general = _general_name('' if item is None else str(item), field)
        if general not in names:
            names.append(general)
    return names


def _general_name(item: str, field: str):
    """Return one subjectAltName entry as a DNSName or IPAddress."""
    kind, separator, value = item.strip().partition(':')
    kind = kind.strip().upper()
    if separator and kind in ('IP', 'IP ADDRESS'):
        address = _ip(value)
        if address is None:
            raise StarfaceError("'%s' is not a valid IP address." % value.strip(), field=field)
        return x509.IPAddress(address)
    if separator and kind == 'DNS':
        item = value
    elif separator and kind.isalpha() and not value.strip().isdigit() and '//' not in value:
        raise StarfaceError("'%s': only DNS: and IP: entries are supported." % item.strip(), field=field)
    name = check_server_name(item, field, wildcard=True)
    address = _ip(name)
    return x509.IPAddress(address) if address is not None else x509.DNSName(name)


def covers_name(cert, name: str) -> bool:
    """Tell whether the certificate is valid for ``name`` (RFC 6125; a wildcard is only a whole left-most label)."""
    general_names = _general_names(cert)
    address = _ip(name)
    if address is not None:
        return any(isinstance(general, x509.IPAddress) and general.value == address for general in general_names)
    host = _to_ascii(name.strip().rstrip('.'))
    if not host:
        return False
    patterns = [general.value for general in general_names if isinstance(general, x509.DNSName)]
    if not patterns:
        patterns = [attribute.value for attribute in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    return any(_dns_matches(pattern, host) for pattern in patterns)


def _dns_matches(pattern: str, host: str) -> bool:
    """Match one DNS pattern from a certificate against a lower-case ASCII host name."""
    pattern = _to_ascii(pattern.strip().rstrip('.')) or ''
    if pattern == host:
        return True
    pattern_labels, host_labels = pattern.split('.'), host.split('.')
    return (pattern_labels[0] == '*' and len(pattern_labels) >= 3 and host_labels[0] != ''
            and pattern_labels[1:] == host_labels[1:])


# ---------------------------------------------------------------- keys

def generate_private_key(key_type: str = 'RSA', key_size: int = 2048, curve: str = 'P-256'):
    """Return a new private key: RSA 2048/3072/4096 or EC P-256/P-384."""
    kind = str(key_type).upper()
    if kind == 'RSA':
        if key_size not in RSA_KEY_SIZES:
            raise StarfaceError('RSA key size %s is not supported: use 2048, 3072 or 4096.' % key_size,
                                field='key_size')
        return rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    if kind in ('EC', 'ECDSA'):
        curves = {'P-256': ec.SECP256R1, 'P-384': ec.SECP384R1}
        if str(curve).upper() not in curves:
            raise StarfaceError('curve %s is not supported: use P-256 or P-384.' % curve, field='curve')
        return ec.generate_private_key(curves[str(curve).upper()]())
    raise StarfaceError('key type %s is not supported: use RSA or EC.' % key_type, field='key_type')


def private_key_pem(key) -> bytes:
    """Return the private key as unencrypted PKCS#8 PEM (only for owner-only files on the box)."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _public_key_der(key) -> bytes:
    """Return a public key as DER SubjectPublicKeyInfo."""
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_matches(cert_or_csr, private_key) -> bool:
    """Tell whether the certificate's or CSR's public key belongs to ``private_key``."""
    return _public_key_der(cert_or_csr.public_key()) == _public_key_der(private_key.public_key())


# ---------------------------------------------------------------- creating

def _signing_hash(key):
    """Return the hash to sign with: SHA-256, or None for Ed25519/Ed448 keys."""
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)):
        return None
    return hashes.SHA256()


def _subject_and_names(cn: str, subject_alt_names) -> tuple:
    """Return (subject Name with ``cn`` as given, subjectAltName entries with ``cn`` first when missing)."""
    name = check_server_name(cn, 'common_name', wildcard=True)
    if len(name) > 64:
        raise StarfaceError('is longer than 64 characters, the limit of a common name: use a shorter name '
                            'and put the long one into subject_alt_names.', field='common_name')
    names = parse_subject_alt_names(subject_alt_names, 'subject_alt_names')
    address = _ip(name)
    own = x509.IPAddress(address) if address is not None else x509.DNSName(name)
    if own not in names:
        names.insert(0, own)
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn.strip())]), names


def create_csr(key, common_name: str, subject_alt_names=()):
    """Return a CSR for ``common_name`` whose subjectAltName also lists the common name."""
    subject, names = _subject_and_names(common_name, subject_alt_names)
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject)
    builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(key, _signing_hash(key))


def create_self_signed(key, common_name: str, subject_alt_names, valid_days: int,
                       now: datetime.datetime | None = None):
    """Return a self-signed TLS server certificate valid for ``valid_days`` from ``now``."""
    if isinstance(valid_days, bool) or not isinstance(valid_days, int) or not 1 <= valid_days <= 36500:
        raise StarfaceError('%s is not a number of days from 1 to 36500.' % (valid_days,), field='valid_days')
    subject, names = _subject_and_names(common_name, subject_alt_names)
    start = (as_utc(now) if now else utc_now()).replace(microsecond=0)
    is_rsa = isinstance(key, rsa.RSAPrivateKey)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=valid_days))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                            key_encipherment=is_rsa, data_encipherment=False,
                                            key_agreement=False, key_cert_sign=False, crl_sign=False,
                                            encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
               .add_extension(x509.SubjectAlternativeName(names), critical=False))
    return builder.sign(key, _signing_hash(key))


def certificate_pem(cert) -> str:
    """Return a certificate as clean PEM text."""
    return to_pem(cert.public_bytes(serialization.Encoding.DER))


def csr_pem(csr) -> str:
    """Return a certificate signing request as PEM text."""
    return to_pem(csr.public_bytes(serialization.Encoding.DER), 'CERTIFICATE REQUEST')

# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Make keys and certificates for the unit tests: CAs, intermediates, leaves and the odd cases."""

from __future__ import annotations

import datetime
import functools
import ipaddress
from collections import namedtuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# The fixed "now" of the tests: certificates are valid from NOW - 30 days to NOW + 365 days by default.
NOW = datetime.datetime(2026, 6, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)
DAY = datetime.timedelta(days=1)

# DER of the AlgorithmIdentifier OIDs (tag, length, value): used to turn a SHA-256 RSA signature into SHA-1,
# because cryptography 40+ no longer signs certificates with SHA-1.
_OID_SHA256_RSA = bytes.fromhex('06092a864886f70d01010b')
_OID_SHA1_RSA = bytes.fromhex('06092a864886f70d010105')
_ALGID_SHA256_RSA = bytes.fromhex('300d06092a864886f70d01010b0500')
_ALGID_SHA256 = bytes.fromhex('300d06096086480165030402010500')
_OID_PSS = bytes.fromhex('06092a864886f70d01010a')
_OID_MGF1 = bytes.fromhex('06092a864886f70d010108')

Issued = namedtuple('Issued', ['cert', 'key'])


@functools.lru_cache(maxsize=None)
def rsa_key(bits: int = 2048, _slot: int = 0):
    """Return an RSA key, made once per (bits, slot number): RSA generation is slow."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def ec_key(curve: str = 'P-256'):
    """Return a new EC key (fast to make)."""
    return ec.generate_private_key({'P-256': ec.SECP256R1, 'P-384': ec.SECP384R1}[curve]())


def ed25519_key():
    """Return a new Ed25519 key."""
    return ed25519.Ed25519PrivateKey.generate()


def make_name(common_name: str, organization: str | None = 'Example Test') -> x509.Name:
    """Return a subject name with a CN and, unless None, an O attribute."""
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attributes.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attributes)


def _general_name(text: str):
    """Return 'IP:x' as IPAddress, anything else (optionally 'DNS:x') as DNSName."""
    if text.startswith('IP:'):
        return x509.IPAddress(ipaddress.ip_address(text[3:]))
    return x509.DNSName(text[4:] if text.startswith('DNS:') else text)


def _key_usage(ca: bool, key, key_cert_sign: bool) -> x509.KeyUsage:
    """Return the usual keyUsage of a CA or an RSA/EC server certificate."""
    return x509.KeyUsage(digital_signature=True, content_commitment=False,
                         key_encipherment=not ca and isinstance(key, rsa.RSAPrivateKey), data_encipherment=False,
                         key_agreement=False, key_cert_sign=ca and key_cert_sign, crl_sign=ca,
                         encipher_only=False, decipher_only=False)


def issue(common_name: str, issuer: Issued | None = None, key=None, ca: bool = False, path_length=None,
          not_before=None, not_after=None, sans=(), hash_name: str = 'sha256', key_cert_sign: bool = True,
          basic_constraints: bool = True, key_usage: bool = True, key_ids: bool = True, subject=None,
          pss: bool = False) -> Issued:
    """Return a certificate and its key, signed by ``issuer`` (self-signed when None)."""
    key = key if key is not None else ec_key()
    subject = subject if subject is not None else make_name(common_name, 'Example Test' if ca else None)
    signer = issuer.key if issuer else key
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(issuer.cert.subject if issuer else subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before or NOW - 30 * DAY).not_valid_after(not_after or NOW + 365 * DAY))
    if basic_constraints:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
    if key_usage:
        builder = builder.add_extension(_key_usage(ca, key, key_cert_sign), critical=True)
    if not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    if key_ids:
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([_general_name(n) for n in sans]), critical=False)
    return Issued(_sign(builder, signer, hash_name, pss), key)


def _sign(builder, signer, hash_name: str, pss: bool):
    """Sign a certificate builder with the named hash (SHA-1 by re-signing, see _as_sha1)."""
    if isinstance(signer, ed25519.Ed25519PrivateKey):
        return builder.sign(signer, None)
    if pss:
        return _as_pss(builder.sign(signer, hashes.SHA256()), signer)
    if hash_name == 'sha1':
        return _as_sha1(builder.sign(signer, hashes.SHA256()), signer)
    return builder.sign(signer, {'sha256': hashes.SHA256(), 'sha384': hashes.SHA384()}[hash_name])


def _as_sha1(cert, signer):
    """Return ``cert`` signed with sha1WithRSAEncryption instead (same length, so DER bytes can be swapped)."""
    der = cert.public_bytes(serialization.Encoding.DER)
    tbs = cert.tbs_certificate_bytes
    new_tbs = tbs.replace(_OID_SHA256_RSA, _OID_SHA1_RSA)
    signature = signer.sign(new_tbs, padding.PKCS1v15(), hashes.SHA1())
    new_der = der.replace(tbs, new_tbs).replace(_OID_SHA256_RSA, _OID_SHA1_RSA).replace(cert.signature, signature)
    return x509.load_der_x509_certificate(new_der)


def _tlv(tag: int, content: bytes) -> bytes:
    """Return one DER element."""
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    raw = size.to_bytes((size.bit_length() + 7) // 8, 'big')
    return bytes([tag, 0x80 | len(raw)]) + raw + content


def _pss_algorithm_identifier() -> bytes:
    """Return the AlgorithmIdentifier of RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32 byte salt."""
    parameters = (_tlv(0xa0, _ALGID_SHA256) + _tlv(0xa1, _tlv(0x30, _OID_MGF1 + _ALGID_SHA256))
                  + _tlv(0xa2, bytes.fromhex('020120')))
    return _tlv(0x30, _OID_PSS + _tlv(0x30, parameters))


def _as_pss(cert, signer):
    """Return ``cert`` re-signed with RSASSA-PSS, encoded by hand (cryptography < 41 cannot sign it)."""
    tbs = cert.tbs_certificate_bytes
    header = 2 + (tbs[1] & 0x7f if tbs[1] & 0x80 else 0)
    algorithm = _pss_algorithm_identifier()
    new_tbs = _tlv(0x30, tbs[header:].replace(_ALGID_SHA256_RSA, algorithm, 1))
    signature = signer.sign(new_tbs, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
    return x509.load_der_x509_certificate(_tlv(0x30, new_tbs + algorithm + _tlv(0x03, b'\x00' + signature)))


def cross_sign(issued: Issued, new_issuer: Issued, **options) -> Issued:
    """Return a copy of a CA certificate (same subject and key) signed by another CA."""
    common_name = issued.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    return issue(common_name, issuer=new_issuer, key=issued.key, ca=True, subject=issued.cert.subject, **options)


def pem(*certs) -> str:
    """Return certificates as concatenated PEM text."""
    return ''.join(cert.public_bytes(serialization.Encoding.PEM).decode('ascii') for cert in certs)


def der(cert) -> bytes:
    """Return a certificate as DER bytes."""
    return cert.public_bytes(serialization.Encoding.DER)


def pkcs7_bundle(certs, encoding: str = 'PEM') -> bytes:
    """Return certificates as a PKCS#7 bundle (PEM or DER)."""
    return pkcs7.serialize_certificates(list(certs), getattr(serialization.Encoding, encoding))


def csr(key, common_name: str = 'pbx.example.com'):
    """Return a simple certificate signing request."""
    builder = x509.CertificateSigningRequestBuilder().subject_name(make_name(common_name, None))
    return builder.sign(key, hashes.SHA256())


def key_pem(key, style: str = 'pkcs8') -> bytes:
    """Return a private key as PEM: 'pkcs8', 'traditional' (RSA/EC PRIVATE KEY), 'encrypted' or 'openssh'."""
    formats = {'pkcs8': serialization.PrivateFormat.PKCS8, 'encrypted': serialization.PrivateFormat.PKCS8,
               'traditional': serialization.PrivateFormat.TraditionalOpenSSL,
               'openssh': serialization.PrivateFormat.OpenSSH}
    encryption = (serialization.BestAvailableEncryption(b'secret-pass') if style == 'encrypted'
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, formats[style], encryption)


class Pki:
    """A small test PKI: root CA -> intermediate CA -> server certificate (EC keys by default)."""

    def __init__(self, keys=None, name: str = 'Test'):
        root_key, intermediate_key, leaf_key = keys or (ec_key(), ec_key(), ec_key())
        self.root = issue('%s Root CA' % name, key=root_key, ca=True)
        self.intermediate = issue('%s Intermediate CA' % name, issuer=self.root, key=intermediate_key, ca=True,
                                  path_length=0)
        self.leaf = issue('pbx.example.com', issuer=self.intermediate, key=leaf_key,
                          sans=['pbx.example.com', 'IP:192.0.2.10'])

    @property
    def chain(self) -> list:
        """Return the certificates leaf first, root last."""
        return [self.leaf.cert, self.intermediate.cert, self.root.cert]

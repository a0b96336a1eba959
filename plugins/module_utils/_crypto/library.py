# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The cryptography library, imported in this one place.

A box without it can still import every module_utils file (ansible-test imports them without
it, and modules that need no cryptography run there): the names below are then None, and the
module's runner fails with ``missing_required_lib`` before anything uses them.
"""

from __future__ import annotations

import traceback

__all__ = [
    'CRYPTOGRAPHY_IMPORT_ERROR', 'HAS_CRYPTOGRAPHY', 'ExtendedKeyUsageOID', 'InvalidSignature', 'NameOID',
    'SignatureAlgorithmOID', 'UnsupportedAlgorithm', 'dsa', 'ec', 'ed448', 'ed25519', 'hashes', 'padding', 'pkcs7',
    'pkcs12', 'rsa', 'serialization', 'x509',
]

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, SignatureAlgorithmOID
except ImportError:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()
    x509 = hashes = serialization = pkcs12 = None
    dsa = ec = ed448 = ed25519 = padding = rsa = None
    ExtendedKeyUsageOID = NameOID = SignatureAlgorithmOID = None

    class InvalidSignature(Exception):
        """Stands in for cryptography's exception, so that except clauses stay valid."""

    class UnsupportedAlgorithm(Exception):
        """Stands in for cryptography's exception, so that except clauses stay valid."""
else:
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None

# PKCS#7 bundles: cryptography 3.1 and later.
try:
    from cryptography.hazmat.primitives.serialization import pkcs7
except ImportError:
    pkcs7 = None

# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Independent clients for checking a box from outside: HTTP, TLS handshakes, openssl."""

from __future__ import annotations

import hashlib
import http.client
import socket
import ssl
import subprocess


def tls_context() -> ssl.SSLContext:
    """A client context that accepts any certificate (we compare fingerprints instead)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def served_der(address: str, port: int) -> bytes:
    """Return the DER certificate a TLS handshake with address:port presents."""
    with socket.create_connection((address, port), timeout=5) as sock:
        with tls_context().wrap_socket(sock) as tls:
            return tls.getpeercert(binary_form=True)


def served_sha256(address: str, port: int) -> str:
    """Return the upper-case colon SHA-256 fingerprint of the served certificate."""
    digest = hashlib.sha256(served_der(address, port)).hexdigest().upper()
    return ':'.join(digest[i:i + 2] for i in range(0, len(digest), 2))


def get(address: str, port: int, path: str, tls: bool) -> tuple:
    """GET path without following redirects; return (status, lower-case headers, body text)."""
    if tls:
        conn = http.client.HTTPSConnection(address, port, timeout=5, context=tls_context())
    else:
        conn = http.client.HTTPConnection(address, port, timeout=5)
    try:
        conn.request('GET', path)
        response = conn.getresponse()
        headers = dict((key.lower(), value) for key, value in response.getheaders())
        return response.status, headers, response.read().decode('utf-8', 'replace')
    finally:
        conn.close()


def port_refuses(address: str, port: int) -> bool:
    """Return whether a TCP connection to address:port is refused."""
    try:
        with socket.create_connection((address, port), timeout=3):
            return False
    except ConnectionRefusedError:
        return True


def openssl_verify(address: str, port: int, server_name: str, root_file: str) -> subprocess.CompletedProcess:
    """Run `openssl s_client` verifying the served chain against a root; return the finished process."""
    return subprocess.run(
        ['openssl', 's_client', '-connect', '%s:%d' % (address, port), '-servername', server_name,
         '-CAfile', root_file, '-verify_return_error', '-showcerts'],
        input='', stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=30,
        check=False)

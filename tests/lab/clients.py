# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Independent clients for checking a box from outside: HTTP, TLS handshakes, openssl.

One set for every test level: the lab tool, the integration and hardening tests and the benchmark.
"""

from __future__ import annotations

import hashlib
import http.client
import socket
import ssl
import subprocess
import threading
import time


def tls_context() -> ssl.SSLContext:
    """A client context that accepts any certificate (we compare fingerprints instead)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def served_der(address: str, port: int, timeout: float = 5) -> bytes:
    """Return the DER certificate a TLS handshake with address:port presents."""
    with socket.create_connection((address, port), timeout=timeout) as sock:
        with tls_context().wrap_socket(sock) as tls:
            return tls.getpeercert(binary_form=True)


def served_sha256(address: str, port: int, timeout: float = 5) -> str:
    """Return the upper-case colon SHA-256 fingerprint of the served certificate."""
    digest = hashlib.sha256(served_der(address, port, timeout)).hexdigest().upper()
    return ':'.join(digest[i:i + 2] for i in range(0, len(digest), 2))


def get(address: str, port: int, path: str, tls: bool, timeout: float = 5) -> tuple:
    """GET path without following redirects; return (status, lower-case headers, body text)."""
    if tls:
        conn = http.client.HTTPSConnection(address, port, timeout=timeout, context=tls_context())
    else:
        conn = http.client.HTTPConnection(address, port, timeout=timeout)
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


class RequestLoop:
    """HTTPS requests to address:port in a thread, a new connection every interval, until stopped: counts failures.

    Used as a context manager around a change; ``max_seconds`` bounds the loop even if the test
    never leaves the block. ``keep_alive`` also holds one connection open from the start and sends
    a request on it every second (so that Tomcat's keep-alive timeout never closes it; at most
    ``max_seconds`` of them, below Tomcat's maxKeepAliveRequests of 100): a reload must not drop
    open connections.
    """

    def __init__(self, address: str, port: int, path: str = '/rest/login', interval: float = 0.1,
                 max_seconds: float = 90.0):
        self.address, self.port, self.path = address, port, path
        self.interval, self.max_seconds = interval, max_seconds
        self.ok, self.failures = 0, []
        self.keep_alive_status = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._connection = None

    def __enter__(self):
        self._connection = http.client.HTTPSConnection(self.address, self.port, timeout=5, context=tls_context())
        self._connection.request('GET', self.path)
        response = self._connection.getresponse()
        response.read()
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()
        self._keep_alive()
        self._connection.close()
        return False

    def _keep_alive(self):
        """One request on the connection held open since the start; its status is kept."""
        if not isinstance(self.keep_alive_status, (int, type(None))):
            return  # it failed once: keep that failure
        try:
            self._connection.request('GET', self.path)
            response = self._connection.getresponse()
            response.read()
            self.keep_alive_status = response.status
        except (OSError, http.client.HTTPException) as exc:
            self.keep_alive_status = repr(exc)

    def _run(self):
        deadline = time.monotonic() + self.max_seconds
        kept = time.monotonic()
        while not self._stop.is_set() and time.monotonic() < deadline:
            if time.monotonic() - kept >= 1.0:
                kept = time.monotonic()
                self._keep_alive()
            try:
                status = get(self.address, self.port, self.path, tls=True)[0]
                if status == 200:
                    self.ok += 1
                else:
                    self.failures.append('HTTP %d' % status)
            except (OSError, http.client.HTTPException) as exc:
                self.failures.append(repr(exc))
            self._stop.wait(self.interval)

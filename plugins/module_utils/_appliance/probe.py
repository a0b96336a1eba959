# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Network checks run on the box: TLS handshake, HTTP answers, STARFACE's /rest/login."""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import ssl
import time

from urllib.parse import urlsplit

from ansible_collections.telephony.starface.plugins.module_utils._crypto.pem import der_fingerprint
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError


BODY_LIMIT = 64 * 1024
REDIRECT_STATUSES = (301, 302, 307, 308)


class ProbeError(StarfaceError):
    """A port did not answer as a check expected; the message says what was seen."""


def is_ip_address(host):
    """Return True when host is an IPv4 or IPv6 address (not a name)."""
    try:
        ipaddress.ip_address(host.strip('[]'))
    except ValueError:
        return False
    return True


def unverified_context():
    """Return a TLS client context that accepts any certificate: we compare fingerprints ourselves."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def failure_reason(exc, host):
    """Return a short, admin-readable reason for a failed connection."""
    if isinstance(exc, socket.timeout):
        return 'timed out'
    if isinstance(exc, ConnectionRefusedError):
        return 'connection refused'
    if isinstance(exc, socket.gaierror):
        return 'cannot resolve host %s' % host
    return getattr(exc, 'strerror', None) or str(exc) or exc.__class__.__name__


def handshake_reason(exc, host, port):
    """Return a short, admin-readable reason for a failed TLS handshake on a connected socket."""
    other = '(is another program listening on %s:%s?)' % (host, port)
    if isinstance(exc, socket.timeout):
        return 'timed out waiting for the TLS handshake %s' % other
    if isinstance(exc, ssl.SSLError) and 'ALERT' in str(exc.reason or '').upper():
        return 'TLS handshake failed (%s)' % exc.reason
    return 'no TLS handshake %s' % other


def served_certificate(host, port, timeout=5.0):
    """Return the DER bytes of the leaf certificate the server on host:port presents."""
    server_hostname = None if is_ip_address(host) else host
    try:
        sock = socket.create_connection((host.strip('[]'), port), timeout=timeout)
    except OSError as exc:
        raise ProbeError(failure_reason(exc, host))
    try:
        with unverified_context().wrap_socket(sock, server_hostname=server_hostname) as tls:
            der = tls.getpeercert(binary_form=True)
    except (OSError, ValueError) as exc:
        raise ProbeError(handshake_reason(exc, host, port))
    finally:
        sock.close()
    if not der:
        raise ProbeError('no certificate presented')
    return der


def http_get(host, port, path='/', tls=False, timeout=5.0, headers=None):
    """Return (status, headers with lower-case names, body up to 64 KiB) of one GET; redirects are not followed."""
    address = host.strip('[]')
    if tls:
        connection = http.client.HTTPSConnection(address, port, timeout=timeout, context=unverified_context())
    else:
        connection = http.client.HTTPConnection(address, port, timeout=timeout)
    try:
        connection.request('GET', path, headers=headers or {})
        response = connection.getresponse()
        body = response.read(BODY_LIMIT)
        answer_headers = dict((name.lower(), value) for name, value in response.getheaders())
        return response.status, answer_headers, body
    except http.client.RemoteDisconnected:
        raise ProbeError('connection closed without an HTTP answer')
    except http.client.HTTPException as exc:
        raise ProbeError('no valid HTTP answer (%s)' % exc.__class__.__name__)
    except ssl.SSLError as exc:
        raise ProbeError(handshake_reason(exc, host, port))
    except (ConnectionResetError, ConnectionAbortedError) as exc:
        raise ProbeError(handshake_reason(exc, host, port) if tls else 'connection closed without an HTTP answer')
    except OSError as exc:
        raise ProbeError(failure_reason(exc, host))
    finally:
        connection.close()


def port_refuses(host, port, timeout=2.0):
    """Return True when host:port refuses (or resets) connections, that is nothing serves there."""
    try:
        with socket.create_connection((host.strip('[]'), port), timeout=timeout):
            return False
    except (ConnectionRefusedError, ConnectionResetError):
        return True
    except OSError:
        return False


def rest_login_problem(host, port, tls, timeout=5.0):
    """Return None when GET /rest/login answers like a healthy STARFACE, else what was seen."""
    try:
        status, dummy, body = http_get(host, port, '/rest/login', tls=tls, timeout=timeout,
                                       headers={'Accept': 'application/json', 'X-Version': '2'})
    except ProbeError as exc:
        return str(exc)
    if status != 200:
        return 'answers HTTP %s' % status
    try:
        answer = json.loads(body.decode('utf-8'))
    except ValueError:
        return 'answers 200 but not with JSON'
    if not isinstance(answer, dict) or 'loginType' not in answer or 'nonce' not in answer:
        return 'answers 200 but the JSON holds no loginType and nonce'
    return None


def rest_login_ok(host, port, tls, timeout=5.0):
    """Return True when GET /rest/login answers 200 with JSON holding loginType and nonce."""
    return rest_login_problem(host, port, tls, timeout) is None


def https_problems(host, expected, timeout):
    """Return the problems of the HTTPS port: handshake and served leaf."""
    port = expected['https_port']
    try:
        served = der_fingerprint(served_certificate(host, port, timeout))
    except ProbeError as exc:
        return ['HTTPS port %s: %s' % (port, exc)]
    wanted = expected.get('fingerprint_sha256')
    if wanted and served.upper() != wanted.upper():
        return ['HTTPS port %s serves certificate %s but the keystore holds %s' % (port, served, wanted.upper())]
    return []


def redirect_port(location):
    """Return the port of an https:// Location, or None when it does not point to HTTPS."""
    try:
        parts = urlsplit(location)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() != 'https':
        return None
    return port or 443


def http_problems(host, expected, timeout):
    """Return the problems of the HTTP port: a redirect to HTTPS when forced, a page otherwise."""
    port = expected['http_port']
    # A name as Host: the forced-HTTPS rules leave a request for an IPv6 literal unredirected.
    asked = dict(Host='localhost') if ':' in host else None
    try:
        status, headers, dummy = http_get(host, port, '/', timeout=timeout, headers=asked)
    except ProbeError as exc:
        return ['HTTP port %s: %s' % (port, exc)]
    if not expected.get('force_https'):
        if status >= 500:
            return ['HTTP port %s answers HTTP %s' % (port, status)]
        return []
    location = headers.get('location', '')
    # redirectPort: where Tomcat sends browsers, the public HTTPS port (on a NAT box not the connector's).
    https_port = expected.get('redirect_port') or expected['https_port']
    if status not in REDIRECT_STATUSES:
        return ['HTTP port %s should redirect to HTTPS port %s but answers HTTP %s' % (port, https_port, status)]
    if redirect_port(location) != https_port:
        return ['HTTP port %s should redirect to HTTPS port %s but redirects to %s'
                % (port, https_port, location or 'nowhere (no Location header)')]
    return []


def check_box(host, expected, timeout=5.0):
    """Return the problems found on host's web server ports (an empty list means healthy).

    ``expected`` holds http_enabled, http_port, https_enabled, https_port, force_https,
    fingerprint_sha256 (None: not checked) and disabled_ports (ports that must refuse);
    ``rest_login`` (default True) asks for STARFACE's /rest/login on the main port.
    """
    problems = []
    rest = None
    if expected.get('https_enabled'):
        found = https_problems(host, expected, timeout)
        problems.extend(found)
        if not found:
            rest = (expected['https_port'], True)
    if expected.get('http_enabled'):
        found = http_problems(host, expected, timeout)
        problems.extend(found)
        if not found and not expected.get('https_enabled'):
            rest = (expected['http_port'], False)
    if rest and expected.get('rest_login', True):
        problem = rest_login_problem(host, rest[0], rest[1], timeout)
        if problem:
            problems.append('/rest/login on %s port %s %s (a running STARFACE answers 200 with loginType and nonce)'
                            % ('HTTPS' if rest[1] else 'HTTP', rest[0], problem))
    for port in expected.get('disabled_ports') or []:
        if not port_refuses(host, port, timeout):
            problems.append('port %s should be closed but still accepts connections' % port)
    return problems


def wait_for_box(host, expected, timeout, interval=0.5, give_up=None):
    """Check the box until it is healthy or timeout seconds passed; return the last problems (empty = healthy).

    ``give_up() -> reason or None`` is asked after each failed check (Tomcat's log says it
    cannot start, for example): a reason ends the wait at once and comes first in the problems.
    """
    deadline = time.monotonic() + timeout
    while True:
        problems = check_box(host, expected, timeout=min(5.0, max(timeout, 0.5)))
        if not problems:
            return problems
        reason = give_up() if give_up else None
        if reason:
            return [reason] + problems
        if time.monotonic() >= deadline:
            return problems
        time.sleep(interval)

# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of _probe against real servers on 127.0.0.1."""

from __future__ import annotations

import datetime
import hashlib
import json
import socket
import ssl
import threading

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.telephony.starface.plugins.module_utils._appliance import probe as _probe
from ansible_collections.telephony.starface.plugins.module_utils._crypto.pem import der_fingerprint
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError


HOST = '127.0.0.1'
LOGIN = json.dumps({'loginType': 'Internal', 'nonce': 'abc', 'secret': None}).encode()


def make_certificate(common_name):
    """Return (key PEM, certificate PEM, certificate DER) of a fresh self-signed EC certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return key_pem, cert.public_bytes(serialization.Encoding.PEM), cert.public_bytes(serialization.Encoding.DER)


class Route:
    """One canned answer: status, headers, body."""

    def __init__(self, status=200, headers=None, body=b'ok'):
        self.status = status
        self.headers = headers or {}
        self.body = body


def handler_for(routes):
    """Return a request handler class answering from routes (path -> Route or list of Routes, used in turn)."""

    class Handler(BaseHTTPRequestHandler):
        """Answer GET from the routes table."""

        def do_GET(self):  # noqa: N802 (http.server's naming)
            """Answer one GET."""
            route = routes.get(self.path, Route(404, body=b'not found'))
            if isinstance(route, list):
                route = route.pop(0) if len(route) > 1 else route[0]
            self.send_response(route.status)
            for name, value in route.headers.items():
                self.send_header(name, value)
            self.send_header('Content-Length', str(len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)

        def log_message(self, *args):
            """Keep the test output quiet."""

    return Handler


@pytest.fixture(name='serve')
def serve_fixture(tmp_path):
    """Start HTTP(S) servers on 127.0.0.1 random ports; return a starter giving (port, certificate DER)."""
    servers = []

    def start(routes, tls=False, common_name='pbx.example.com'):
        server = ThreadingHTTPServer((HOST, 0), handler_for(routes))
        der = None
        if tls:
            key_pem, cert_pem, der = make_certificate(common_name)
            (tmp_path / 'key.pem').write_bytes(key_pem)
            (tmp_path / 'cert.pem').write_bytes(cert_pem)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tmp_path / 'cert.pem'), str(tmp_path / 'key.pem'))
            server.socket = context.wrap_socket(server.socket, server_side=True)
        thread = threading.Thread(target=server.serve_forever, kwargs=dict(poll_interval=0.02), daemon=True)
        thread.start()
        servers.append(server)
        return server.server_address[1], der

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(name='plain_listener')
def plain_listener_fixture():
    """Return the port of a TCP listener that accepts connections and closes them at once (not TLS)."""
    listener = socket.socket()
    listener.bind((HOST, 0))
    listener.listen(5)
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                connection, dummy = listener.accept()
            except OSError:
                return
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    listener.close()


@pytest.fixture(name='closed_port')
def closed_port_fixture():
    """Return a port on 127.0.0.1 where nothing listens."""
    sock = socket.socket()
    sock.bind((HOST, 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_sha256_fingerprint_format():
    expected = hashlib.sha256(b'abc').hexdigest().upper()
    fingerprint = der_fingerprint(b'abc')
    assert fingerprint.replace(':', '') == expected
    assert fingerprint.startswith('BA:78:16:BF:')
    assert len(fingerprint.split(':')) == 32


@pytest.mark.parametrize('host', ['127.0.0.1', 'localhost'])
def test_served_certificate_is_the_leaf(serve, host):
    port, der = serve({}, tls=True)
    served = _probe.served_certificate(host, port)
    assert served == der
    assert der_fingerprint(served) == der_fingerprint(der)


def test_served_certificate_refused(closed_port):
    with pytest.raises(_probe.ProbeError) as caught:
        _probe.served_certificate(HOST, closed_port)
    assert str(caught.value) == 'connection refused'
    assert isinstance(caught.value, StarfaceError)


def test_served_certificate_from_plain_listener(plain_listener):
    with pytest.raises(_probe.ProbeError) as caught:
        _probe.served_certificate(HOST, plain_listener)
    assert str(caught.value) == 'no TLS handshake (is another program listening on 127.0.0.1:%d?)' % plain_listener


def test_served_certificate_silent_listener():
    listener = socket.socket()
    listener.bind((HOST, 0))
    listener.listen(5)
    port = listener.getsockname()[1]
    try:
        with pytest.raises(_probe.ProbeError) as caught:
            _probe.served_certificate(HOST, port, timeout=0.2)
    finally:
        listener.close()
    assert str(caught.value) == ('timed out waiting for the TLS handshake '
                                 '(is another program listening on 127.0.0.1:%d?)' % port)


def test_served_certificate_from_plain_http(serve):
    port, dummy = serve({'/': Route()})
    with pytest.raises(_probe.ProbeError) as caught:
        _probe.served_certificate(HOST, port)
    assert 'no TLS handshake (is another program listening on 127.0.0.1:%d?)' % port in str(caught.value)


@pytest.mark.parametrize('host, expected', [
    ('127.0.0.1', True), ('::1', True), ('[::1]', True), ('pbx.example.com', False), ('localhost', False),
])
def test_is_ip_address(host, expected):
    assert _probe.is_ip_address(host) is expected


def test_http_get_does_not_follow_redirects_and_lowercases_headers(serve):
    port, dummy = serve({'/': Route(302, {'Location': 'https://127.0.0.1:8443/', 'X-Thing': 'Yes'}, b'moved')})
    status, headers, body = _probe.http_get(HOST, port, '/')
    assert status == 302
    assert headers['location'] == 'https://127.0.0.1:8443/'
    assert headers['x-thing'] == 'Yes'
    assert body == b'moved'


def test_http_get_limits_the_body(serve):
    port, dummy = serve({'/big': Route(body=b'x' * 100000)})
    status, dummy, body = _probe.http_get(HOST, port, '/big')
    assert status == 200
    assert len(body) == 64 * 1024


def test_http_get_over_tls(serve):
    port, dummy = serve({'/': Route(body=b'secure page')}, tls=True)
    assert _probe.http_get(HOST, port, '/', tls=True)[::2] == (200, b'secure page')


@pytest.mark.parametrize('target, message', [
    ('closed', 'connection refused'),
    ('plain', 'connection closed without an HTTP answer'),
])
def test_http_get_failures(closed_port, plain_listener, target, message):
    port = closed_port if target == 'closed' else plain_listener
    with pytest.raises(_probe.ProbeError) as caught:
        _probe.http_get(HOST, port, '/')
    assert str(caught.value) == message


def test_port_refuses(closed_port, plain_listener):
    assert _probe.port_refuses(HOST, closed_port) is True
    assert _probe.port_refuses(HOST, plain_listener) is False


@pytest.mark.parametrize('route, tls, expected', [
    (Route(body=LOGIN), False, True),
    (Route(body=LOGIN), True, True),
    (Route(body=json.dumps({'loginType': 'Internal'}).encode()), False, False),
    (Route(body=b'<html>login</html>'), False, False),
    (Route(body=b'[1, 2]'), False, False),
    (Route(404, body=LOGIN), False, False),
    (Route(302, {'Location': 'https://127.0.0.1/rest/login'}, b''), False, False),
])
def test_rest_login_ok(serve, route, tls, expected):
    port, dummy = serve({'/rest/login': route}, tls=tls)
    assert _probe.rest_login_ok(HOST, port, tls) is expected


def test_rest_login_ok_refused(closed_port):
    assert _probe.rest_login_ok(HOST, closed_port, False) is False


@pytest.mark.parametrize('location, port', [
    ('https://pbx.example.com/', 443),
    ('https://127.0.0.1:8443/', 8443),
    ('HTTPS://127.0.0.1:443/x', 443),
    ('http://127.0.0.1:8443/', None),
    ('/relative', None),
    ('https://127.0.0.1:notaport/', None),
    ('', None),
])
def test_redirect_port(location, port):
    assert _probe.redirect_port(location) == port


def box_expectation(http_port, https_port, der, **changes):
    """Return a check_box expectation for a box with both ports, forced HTTPS and the served leaf."""
    expected = dict(http_enabled=True, http_port=http_port, https_enabled=True, https_port=https_port,
                    force_https=True, fingerprint_sha256=der_fingerprint(der), disabled_ports=[])
    expected.update(changes)
    return expected


@pytest.fixture(name='box')
def box_fixture(serve):
    """Start a healthy box: HTTPS with /rest/login; return a starter for its HTTP side and the HTTPS port and leaf."""
    https_port, der = serve({'/rest/login': Route(body=LOGIN), '/': Route(body=b'web ui')}, tls=True)

    def start_http(route):
        port, dummy = serve({'/': route, '/rest/login': Route(body=LOGIN)})
        return port

    return start_http, https_port, der


def test_check_box_healthy(box):
    start_http, https_port, der = box
    http_port = start_http(Route(302, {'Location': 'https://127.0.0.1:%d/' % https_port}))
    assert _probe.check_box(HOST, box_expectation(http_port, https_port, der)) == []


@pytest.mark.parametrize('route, changes, message', [
    (Route(200), {}, 'HTTP port {http} should redirect to HTTPS port {https} but answers HTTP 200'),
    (Route(302, {'Location': 'https://127.0.0.1:9999/'}), {},
     'HTTP port {http} should redirect to HTTPS port {https} but redirects to https://127.0.0.1:9999/'),
    (Route(302, {'Location': 'http://127.0.0.1:{https}/'}), {},
     'HTTP port {http} should redirect to HTTPS port {https} but redirects to http://127.0.0.1:{https}/'),
    (Route(302), {},
     'HTTP port {http} should redirect to HTTPS port {https} but redirects to nowhere (no Location header)'),
    (Route(500), {'force_https': False}, 'HTTP port {http} answers HTTP 500'),
    (Route(302, {'Location': 'https://127.0.0.1:{https}/'}), {'fingerprint_sha256': 'AB:CD'},
     'HTTPS port {https} serves certificate {served} but the keystore holds AB:CD'),
])
def test_check_box_problems(box, route, changes, message):
    start_http, https_port, der = box
    headers = dict((name, value.replace('{https}', str(https_port))) for name, value in route.headers.items())
    http_port = start_http(Route(route.status, headers, route.body))
    problems = _probe.check_box(HOST, box_expectation(http_port, https_port, der, **changes))
    assert problems == [message.format(http=http_port, https=https_port, served=der_fingerprint(der))]


def test_check_box_not_forced_accepts_a_page(box):
    start_http, https_port, der = box
    http_port = start_http(Route(404))
    assert _probe.check_box(HOST, box_expectation(http_port, https_port, der, force_https=False)) == []


def test_check_box_https_refused_and_disabled_port_open(closed_port, plain_listener, serve):
    http_port, dummy = serve({'/': Route(), '/rest/login': Route(body=LOGIN)})
    expected = dict(http_enabled=True, http_port=http_port, https_enabled=True, https_port=closed_port,
                    force_https=False, fingerprint_sha256=None, disabled_ports=[plain_listener])
    assert _probe.check_box(HOST, expected) == [
        'HTTPS port %d: connection refused' % closed_port,
        'port %d should be closed but still accepts connections' % plain_listener,
    ]


def test_check_box_non_tls_on_https_port(plain_listener, closed_port):
    expected = dict(http_enabled=False, http_port=None, https_enabled=True, https_port=plain_listener,
                    force_https=False, fingerprint_sha256=None, disabled_ports=[closed_port])
    assert _probe.check_box(HOST, expected) == [
        'HTTPS port %d: no TLS handshake (is another program listening on 127.0.0.1:%d?)'
        % (plain_listener, plain_listener)]


@pytest.mark.parametrize('tls', [True, False])
def test_check_box_rest_login_missing(serve, tls):
    port, dummy = serve({'/': Route(body=b'tomcat')}, tls=tls)
    expected = dict(http_enabled=not tls, http_port=None if tls else port, https_enabled=tls,
                    https_port=port if tls else None, force_https=False, fingerprint_sha256=None, disabled_ports=[])
    scheme = 'HTTPS' if tls else 'HTTP'
    assert _probe.check_box(HOST, expected) == [
        '/rest/login on %s port %d answers HTTP 404 (a running STARFACE answers 200 with loginType and nonce)'
        % (scheme, port)]
    expected['rest_login'] = False
    assert _probe.check_box(HOST, expected) == []


def test_wait_for_box_until_healthy(serve):
    starting = [Route(503, body=b'starting')] * 3 + [Route(body=LOGIN)]
    port, dummy = serve({'/': Route(), '/rest/login': list(starting)})
    expected = dict(http_enabled=True, http_port=port, https_enabled=False, https_port=None,
                    force_https=False, fingerprint_sha256=None, disabled_ports=[])
    assert _probe.wait_for_box(HOST, expected, timeout=60, interval=0) == []


def test_wait_for_box_reports_last_problems(closed_port):
    expected = dict(http_enabled=True, http_port=closed_port, https_enabled=False, https_port=None,
                    force_https=False, fingerprint_sha256=None, disabled_ports=[])
    assert _probe.wait_for_box(HOST, expected, timeout=0, interval=0) == [
        'HTTP port %d: connection refused' % closed_port]


def test_wait_for_box_ends_as_soon_as_give_up_names_a_reason(closed_port):
    expected = dict(https_enabled=True, https_port=closed_port, fingerprint_sha256=None)
    asked = []

    def give_up():
        asked.append(1)
        return 'Tomcat logged: "Address already in use"' if len(asked) == 2 else None

    problems = _probe.wait_for_box('127.0.0.1', expected, timeout=300, interval=0.01, give_up=give_up)
    assert len(asked) == 2
    assert problems[0] == 'Tomcat logged: "Address already in use"'
    assert 'HTTPS port %d' % closed_port in problems[1]


def test_check_box_nat_redirect_goes_to_the_public_https_port(box):
    start_http, https_port, der = box
    http_port = start_http(Route(302, {'Location': 'https://127.0.0.1/'}))
    assert _probe.check_box(HOST, box_expectation(http_port, https_port, der, redirect_port=443)) == []
    assert _probe.check_box(HOST, box_expectation(http_port, https_port, der)) == [
        'HTTP port %d should redirect to HTTPS port %d but redirects to https://127.0.0.1/' % (http_port, https_port)]


def test_http_check_of_an_ipv6_box_asks_for_a_name():
    """Forced HTTPS leaves a request for an IPv6 literal unredirected: the check sends Host: localhost."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        """Redirect a request for a name, answer 200 to one for an address, as the rewrite rules do."""

        def do_GET(self):  # noqa: N802 (http.server's naming)
            """Answer one GET."""
            seen.append(self.headers['Host'])
            named = not self.headers['Host'].startswith('[')
            self.send_response(302 if named else 200)
            if named:
                self.send_header('Location', 'https://localhost/')
            self.send_header('Content-Length', '0')
            self.end_headers()

        def log_message(self, *args):
            """Keep the test output quiet."""

    class Server(ThreadingHTTPServer):
        address_family = socket.AF_INET6

    server = Server(('::1', 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs=dict(poll_interval=0.02), daemon=True)
    thread.start()
    try:
        expected = dict(http_port=server.server_address[1], https_port=443, force_https=True)
        assert _probe.http_problems('::1', expected, timeout=5) == []
    finally:
        server.shutdown()
        server.server_close()
    assert seen == ['localhost']

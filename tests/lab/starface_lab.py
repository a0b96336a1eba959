# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Lab box: a stand-in for a STARFACE appliance's web server, run on Debian's Tomcat 10.1."""
from __future__ import annotations

import argparse
import hashlib
import http.client
import ipaddress
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import namedtuple
from pathlib import Path

# The clients every test level uses: as lab.clients when imported (pytest, the benchmark), beside this file when run.
if __package__:
    from lab.clients import get, served_sha256
else:
    from clients import get, served_sha256

CATALINA_HOME = Path('/usr/share/tomcat10')
DEBIAN_CONF = Path('/etc/tomcat10')
SERVLET_API = CATALINA_HOME / 'lib' / 'servlet-api.jar'
SYSTEM_PYTHON = '/usr/bin/python3'
SERVLET_SOURCE = Path(__file__).resolve().parent / 'webapp' / 'src' / 'labbox' / 'LoginServlet.java'
SERVLET_CLASS = 'labbox/LoginServlet.class'

KEYSTORE_PASSWORD = 'changeit'
KEY_ALIAS = 'tomcat'
PROVISIONING_HTTP_PORT = 50080
PROVISIONING_HTTPS_PORT = 50081
# The NAT layout, as on the audited STARFACE: Tomcat as user tomcat on these connector ports, the
# kernel redirecting the public ports 80 and 443 to them, all inside the box's network namespace.
NAT_HTTP_CONNECTOR_PORT = 8080
NAT_HTTPS_CONNECTOR_PORT = 8181
NAT_SHUTDOWN_PORT = 8977
NAT_NETWORK = ipaddress.ip_network('10.88.0.0/16')
LAB_NETNS_PREFIX = 'sflab-'
BOX_NETNS_PREFIX = 'sflab-box-'
ROOT_ALIAS = 'root'
COPIED_CONF_FILES = ('web.xml', 'logging.properties', 'catalina.properties', 'context.xml',
                     'tomcat-users.xml', 'jaspic-providers.xml')
JAVA_OPTS = ('-Xms32m -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -XX:MaxMetaspaceSize=96m'
             ' -XX:ReservedCodeCacheSize=32m -Djava.security.egd=file:/dev/urandom'
             ' -Dorg.apache.catalina.startup.EXIT_ON_INIT_FAILURE=true')
KEYTOOL = ['keytool', '-J-XX:TieredStopAtLevel=1', '-J-XX:+UseSerialGC']
STOP_TIMEOUT = 30.0
KILL_TIMEOUT = 10.0
POLL_INTERVAL = 0.25
PROBE_TIMEOUT = 3.0
LOG_EXCERPT_LINES = 20

HOSTNAME_RE = re.compile(r'^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$')
ACTIVE_CONNECTOR_RE = re.compile(
    r'<!--.*?-->|(?P<connector><Connector\b[^>]*?/>|<Connector\b.*?</Connector>)', re.S)
BIND_ERROR_RE = re.compile(
    r'BindException|Address already in use', re.I)
LOG_ERROR_RE = re.compile(r'\bSEVERE\b|\bWARNING\b|^\s*Caused by:')
INITIALIZING_PORT_RE = re.compile(r'Initializing ProtocolHandler \["[^"]*-(\d+)"\]')

Connector = namedtuple('Connector', 'address port tls legacy')

HTTP_CONNECTOR = '''<Connector address="{address}" port="{port}" protocol="HTTP/1.1"
               connectionTimeout="20000"
               redirectPort="{redirect_port}"
               maxParameterCount="1000"
               />'''
HTTPS_CONNECTOR = '''<Connector address="{address}" port="{port}" protocol="org.apache.coyote.http11.Http11NioProtocol"
               maxThreads="150" SSLEnabled="true" scheme="https" secure="true"
               maxParameterCount="1000">
        <SSLHostConfig>
            <Certificate certificateKeystoreFile="ssl/tomcat.keystore"
                         certificateKeystorePassword="changeit" certificateKeyAlias="tomcat"
                         certificateKeystoreType="JKS" type="RSA" />
        </SSLHostConfig>
    </Connector>'''
LEGACY_HTTPS_CONNECTOR = '''<Connector address="{address}" port="{port}"
               protocol="org.apache.coyote.http11.Http11NioProtocol"
               maxThreads="150" SSLEnabled="true" scheme="https" secure="true"
               maxParameterCount="1000" clientAuth="false" sslProtocol="TLS"
               keystoreFile="ssl/tomcat.keystore" keystorePass="changeit"
               keyAlias="tomcat" keystoreType="JKS" />'''
FORCE_HTTPS_CONSTRAINT = '''
    <!-- Force redirect to HTTPS -->
    <security-constraint>
        <web-resource-collection>
            <web-resource-name>Forced HTTPS</web-resource-name>
            <url-pattern>/*</url-pattern>
        </web-resource-collection>
        <user-data-constraint>
            <transport-guarantee>CONFIDENTIAL</transport-guarantee>
        </user-data-constraint>
    </security-constraint>

</web-app>'''
WEBAPP_WEB_XML = '''<?xml version="1.0" encoding="UTF-8"?>
<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="https://jakarta.ee/xml/ns/jakartaee https://jakarta.ee/xml/ns/jakartaee/web-app_6_0.xsd"
         version="6.0" metadata-complete="true">
    <display-name>STARFACE lab box</display-name>
    <servlet>
        <servlet-name>login</servlet-name>
        <servlet-class>labbox.LoginServlet</servlet-class>
    </servlet>
    <servlet-mapping>
        <servlet-name>login</servlet-name>
        <url-pattern>/rest/login</url-pattern>
    </servlet-mapping>
</web-app>
'''
# A stand-in for the SIP phones' address book, which they fetch over plain HTTP on port 80.
PHONEBOOK_XML = '''<?xml version="1.0" encoding="UTF-8"?>
<phonebook box="{name}"><entry name="Reception" number="100"/></phonebook>
'''
INDEX_HTML = '''<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>STARFACE lab box {name}</title></head>
<body><h1>STARFACE lab box {name}</h1></body></html>
'''
NAT_HOST = '''<Host name="localhost"  appBase="webapps/localhost"
            unpackWARs="false" autoDeploy="false" deployOnStartup="false">
        <!-- the STARFACE web application, served at / -->
        <Context path="" docBase="starface" reloadable="false" />
'''
PYTHON_WRAPPER = '''#!/bin/sh
# Python inside the network namespace of the STARFACE lab box in {root}: Ansible's interpreter
# for this box (ansible_python_interpreter), so that modules see the box's sockets and NAT rules.
exec ip netns exec {netns} {python} "$@"
'''
RESTART_SCRIPT = '''#!/bin/sh
# Restart command of the STARFACE lab box in {root} (written by starface_lab.py create).
exec {python} {tool} restart --root {root} "$@"
'''


class LabError(Exception):
    """A lab box operation failed; the message says what is wrong and what to do."""


def run_tool(argv: list, what: str) -> str:
    """Run a helper program (keytool, openssl, javac) and return its standard output."""
    try:
        result = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                check=False, timeout=120)
    except FileNotFoundError:
        raise LabError('{0} failed: {1} is not installed (apt-get install openjdk-17-jdk-headless openssl)'
                       .format(what, argv[0])) from None
    if result.returncode != 0:
        raise LabError('{0} failed ({1} exited with {2}): {3}'.format(
            what, argv[0], result.returncode, result.stderr.decode('utf-8', 'replace').strip()))
    return result.stdout.decode('utf-8', 'replace')


def normalize_san(item: str) -> str:
    """Check a subject alternative name given as 'DNS:name' or 'IP:address' and return it in that form."""
    kind, sep, value = item.partition(':')
    kind = kind.strip().upper()
    value = value.strip()
    if not sep or kind not in ('DNS', 'IP') or not value:
        raise LabError('--san {0!r}: write DNS:name or IP:address'.format(item))
    if kind == 'IP':
        try:
            value = str(ipaddress.ip_address(value))
        except ValueError:
            raise LabError('--san {0!r}: {1!r} is not an IP address'.format(item, value)) from None
    return '{0}:{1}'.format(kind, value)


def check_address(address: str, nat: bool = False) -> str:
    """Return the address if a lab box may use it: loopback (direct), 10.88.N.2 in its own namespace (NAT)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        raise LabError('--address {0!r} is not an IP address: use a loopback address like 127.0.0.10'
                       .format(address)) from None
    if nat:
        if parsed not in NAT_NETWORK or int(parsed) & 0xff != 2 or not 1 <= (int(parsed) >> 8) & 0xff <= 254:
            raise LabError('--address {0}: a NAT box has an address 10.88.N.2 (N from 1 to 254) in its own '
                           'network namespace'.format(address))
        return str(parsed)
    if parsed.version != 4 or not parsed.is_loopback:
        raise LabError('--address {0}: a lab box binds only IPv4 loopback addresses (127.x.y.z)'.format(address))
    return str(parsed)


def current_netns() -> str | None:
    """The name of the network namespace this process runs in (None: not a named one, e.g. the host's)."""
    try:
        done = subprocess.run(['ip', 'netns', 'identify', str(os.getpid())], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, check=False, timeout=30)
    except FileNotFoundError:
        raise LabError('ip (iproute2) is not installed: apt-get install iproute2') from None
    name = done.stdout.decode('utf-8', 'replace').strip()
    return name or None


def require_lab_netns() -> str:
    """Return the lab namespace this process runs in; refuse to touch any other network (e.g. the host's)."""
    name = current_netns()
    if not name or not name.startswith(LAB_NETNS_PREFIX) or name.startswith(BOX_NETNS_PREFIX):
        raise LabError('a NAT box links its network namespace to the namespace it is created from, and that must '
                       'be a lab namespace, never the host\'s network: run the command inside one, e.g. '
                       '`starface_lab.py netns-run -- COMMAND`')
    return name


def ip_command(*args: str) -> None:
    """Run ip (iproute2) with these arguments."""
    run_tool(['ip'] + list(args), 'ip ' + ' '.join(args))


def iptables_command(netns: str, *args: str) -> str:
    """Run iptables inside the box's network namespace."""
    return run_tool(['ip', 'netns', 'exec', netns, 'iptables'] + list(args), 'iptables ' + ' '.join(args))


def check_port(port: int, option: str) -> int:
    """Return the port if it is a valid TCP port number."""
    if not 1 <= port <= 65535:
        raise LabError('{0} {1}: a port is a number from 1 to 65535'.format(option, port))
    return port


def default_server_name(root: Path) -> str:
    """A server name made from the box directory's name, e.g. box-01.lab.test."""
    label = re.sub(r'[^a-z0-9-]+', '-', root.name.lower()).strip('-')[:63].strip('-') or 'box'
    return label + '.lab.test'


def render_server_xml(template: str, connectors: str, nat: bool = False) -> str:
    """Debian's server.xml with our connectors instead of its active ones and no auto-deploy.

    Direct layout: no shutdown port. NAT layout (as on the audited STARFACE): the shutdown port
    on 127.0.0.1 and the Host's appBase webapps/localhost with the app in it served at /.
    """
    server = '<Server port="{0}" address="127.0.0.1"'.format(NAT_SHUTDOWN_PORT) if nat else '<Server port="-1"'
    text = re.sub(r'<Server port="[^"]*"', server, template, count=1)
    if nat:
        text, count = re.subn(r'<Host name="localhost"\s+appBase="webapps"[^>]*>\n', NAT_HOST, text, count=1)
        if not count:
            raise LabError('{0}/server.xml has no <Host name="localhost" appBase="webapps">: reinstall tomcat10'
                           .format(DEBIAN_CONF))
    spans = [match.span('connector') for match in ACTIVE_CONNECTOR_RE.finditer(text) if match.group('connector')]
    if not spans:
        raise LabError('{0}/server.xml has no active <Connector> to replace: reinstall the tomcat10 package'
                       .format(DEBIAN_CONF))
    for index, (start, end) in reversed(list(enumerate(spans))):
        text = text[:start] + (connectors if index == 0 else '') + text[end:]
    return text.replace('autoDeploy="true"', 'autoDeploy="false"')


def connector_block(address: str | None, http_port: int, https_port: int, style: str, provisioning: bool,
                    redirect_port: int | None = None) -> str:
    """The <Connector> elements of a box, in the style asked for; address None: every address (no attribute)."""
    http = HTTP_CONNECTOR
    https = LEGACY_HTTPS_CONNECTOR if style == 'legacy' else HTTPS_CONNECTOR
    if address is None:
        http, https = (template.replace('address="{address}" ', '') for template in (http, https))
    parts = ['<!-- STARFACE web interface -->',
             http.format(address=address, port=http_port, redirect_port=redirect_port or https_port),
             https.format(address=address, port=https_port)]
    if provisioning:
        parts += ['<!-- STARFACE provisioning of phones -->',
                  http.format(address=address, port=PROVISIONING_HTTP_PORT,
                              redirect_port=PROVISIONING_HTTPS_PORT),
                  https.format(address=address, port=PROVISIONING_HTTPS_PORT)]
    return '\n    '.join(parts)


def parse_connectors(text: str, default_address: str) -> list:
    """The active connectors of a server.xml text (comments are not elements, so they are skipped)."""
    try:
        root = ET.fromstring(text.encode('utf-8'))
    except ET.ParseError as err:
        raise LabError('conf/server.xml is not well-formed XML ({0}): fix or restore it'.format(err)) from None
    connectors = []
    for element in root.iter('Connector'):
        try:
            port = int(element.get('port', ''))
        except ValueError:
            raise LabError('conf/server.xml: a <Connector> has port={0!r}; expected a number'
                           .format(element.get('port'))) from None
        tls = element.get('SSLEnabled', '').lower() == 'true'
        legacy = tls and (element.find('SSLHostConfig') is None or 'keystoreFile' in element.attrib)
        connectors.append(Connector(element.get('address') or default_address, port, tls, legacy))
    return connectors


def process_state(pid: int) -> str | None:
    """The state letter of a process from /proc (R, S, Z...), or None if there is no such process."""
    try:
        with open('/proc/{0}/stat'.format(pid), encoding='utf-8', errors='replace') as handle:
            return handle.read().rsplit(')', 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def is_alive(pid: int) -> bool:
    """True if the process exists and is not a zombie."""
    return process_state(pid) not in (None, 'Z', 'X')


def process_args(pid: int) -> list:
    """The command line of a process as a list (empty if it is gone)."""
    try:
        with open('/proc/{0}/cmdline'.format(pid), 'rb') as handle:
            return [arg.decode('utf-8', 'replace') for arg in handle.read().split(b'\0') if arg]
    except OSError:
        return []


def rss_kib(pid: int) -> int | None:
    """Resident memory of a process in KiB, from /proc/PID/status."""
    try:
        with open('/proc/{0}/status'.format(pid), encoding='utf-8') as handle:
            for line in handle:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def served_certificate_sha256(address: str, port: int) -> str | None:
    """SHA-256 fingerprint (colon hex) of the certificate served on address:port, or None."""
    try:
        return served_sha256(address, port, PROBE_TIMEOUT)
    except (OSError, ssl.SSLError):
        return None


def http_status(connector: Connector, path: str) -> int:
    """The status code of GET path on a connector (raises OSError or HTTPException if it does not answer)."""
    return get(connector.address, connector.port, path, connector.tls, PROBE_TIMEOUT)[0]


def port_accepts(address: str, port: int) -> bool:
    """True if something accepts TCP connections on address:port."""
    try:
        with socket.create_connection((address, port), timeout=PROBE_TIMEOUT):
            return True
    except OSError:
        return False


def compiled_servlet() -> Path:
    """The compiled login servlet, built once per source version into the user's cache directory."""
    source = SERVLET_SOURCE.read_bytes()
    key = hashlib.sha256(source + b'--release 17').hexdigest()[:16]
    cache = Path(os.environ.get('XDG_CACHE_HOME') or Path.home() / '.cache') / 'starface-lab' / 'classes'
    target = cache / key
    if not (target / SERVLET_CLASS).is_file():
        cache.mkdir(parents=True, exist_ok=True)
        build = Path(tempfile.mkdtemp(prefix='build-', dir=str(cache)))
        try:
            run_tool(['javac', '--release', '17', '-encoding', 'UTF-8', '-cp', str(SERVLET_API),
                      '-d', str(build), str(SERVLET_SOURCE)], 'compiling the login servlet')
            os.rename(str(build), str(target))
        except OSError:
            if not (target / SERVLET_CLASS).is_file():
                raise
        finally:
            shutil.rmtree(str(build), ignore_errors=True)
    return target / SERVLET_CLASS


def write_private(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only."""
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'wb') as handle:
        handle.write(data)
    os.chmod(str(path), 0o600)


class LabBox:
    """One lab box: a directory laid out like a STARFACE's /opt/tomcat, run by Debian's Tomcat."""

    def __init__(self, root):
        self.root = Path(os.path.abspath(str(root)))
        self.base = self.root / 'opt' / 'tomcat'
        self.server_xml = self.base / 'conf' / 'server.xml'
        self.web_xml = self.base / 'conf' / 'web.xml'
        # Where the default Host's rewrite valve reads its rules (forced HTTPS).
        self.rewrite_config = self.base / 'conf' / 'Catalina' / 'localhost' / 'rewrite.config'
        self.keystore = self.base / 'ssl' / 'tomcat.keystore'
        self.key_pem = self.base / 'ssl' / 'tomcatkey.pem'
        self.catalina_out = self.base / 'logs' / 'catalina.out'
        self.pid_file = self.root / 'run' / 'tomcat.pid'
        self.config_file = self.root / 'lab.json'
        self.restart_command = self.root / 'usr' / 'sbin' / 'starface-webserver-restart'
        self.python_wrapper = self.root / 'usr' / 'bin' / 'python-in-box'
        self.nat_rules_file = self.root / 'etc' / 'sysconfig' / 'iptables'

    def __repr__(self):
        return 'LabBox({0!r})'.format(str(self.root))

    # -- layout ------------------------------------------------------------------------------------------

    def config(self) -> dict:
        """The settings the box was created with (lab.json)."""
        try:
            return json.loads(self.config_file.read_text(encoding='utf-8'))
        except FileNotFoundError:
            raise LabError('{0} is not a lab box (no lab.json): create one with `starface_lab.py create`'
                           .format(self.root)) from None

    @property
    def address(self) -> str:
        """The loopback address the box binds."""
        return self.config()['address']

    @property
    def nat(self) -> bool:
        """True for a box of the NAT layout (its own network namespace, Tomcat behind NAT rules)."""
        return self.config().get('layout') == 'nat'

    @property
    def netns(self) -> str | None:
        """The box's network namespace (NAT layout), else None."""
        return self.config().get('netns')

    @property
    def interpreter(self) -> str | None:
        """ansible_python_interpreter for this box: Python inside its namespace (NAT layout), else None."""
        return str(self.python_wrapper) if self.nat else None

    @property
    def web_app(self) -> Path:
        """The folder Tomcat serves at /."""
        return self.base / 'webapps' / ('localhost/starface' if self.nat else 'ROOT')

    @property
    def server_name(self) -> str:
        """The server name of the provisional certificate."""
        return self.config()['server_name']

    def create(self, address: str, http_port: int = 80, https_port: int = 443, server_name: str | None = None,
               sans=None, days: int = 365, style: str = 'current', force_https: bool = False,
               provisioning: bool = True, user: str | None = None, layout: str = 'direct',
               python: str | None = None, java_options: str = '') -> dict:
        """Lay out a new box; returns its settings (lab.json).

        layout 'nat': like the audited STARFACE. The box gets its own network namespace linked
        to the lab namespace this runs in, Tomcat runs as user (default tomcat) on the connector
        ports 8080/8181, and NAT rules redirect the public ports http_port and https_port to them.
        """
        if layout not in ('direct', 'nat'):
            raise LabError('--layout {0!r}: choose direct or nat'.format(layout))
        nat = layout == 'nat'
        if nat:
            require_lab_netns()
            user = user or 'tomcat'
        config = self._settings(address, http_port, https_port, server_name, sans, days, style, force_https,
                                provisioning, nat)
        config['user'] = self._check_user(user)
        config['layout'] = layout
        # Extra JVM options, e.g. -XX:+DisableAttachMechanism for a box that cannot reload its certificate.
        config['java_options'] = java_options or ''
        if nat:
            config.update(netns=BOX_NETNS_PREFIX + hashlib.sha256(str(self.root).encode()).hexdigest()[:12],
                          http_connector_port=NAT_HTTP_CONNECTOR_PORT, https_connector_port=NAT_HTTPS_CONNECTOR_PORT,
                          python=python or sys.executable)
        if self.root.exists() and any(self.root.iterdir()):
            raise LabError('{0} already exists and is not empty: destroy it first or choose another --root'
                           .format(self.root))
        done = False
        try:
            self._lay_out(config)
            done = True
        finally:
            if not done:
                if config.get('netns') and Path('/run/netns', config['netns']).exists():
                    ip_command('netns', 'del', config['netns'])
                shutil.rmtree(str(self.root), ignore_errors=True)
        return config

    def _check_user(self, user: str | None) -> str | None:
        """Refuse a Tomcat user that does not exist or cannot reach the box's directory."""
        if user is None:
            return None
        try:
            pwd.getpwnam(user)
        except KeyError:
            raise LabError('--user {0!r}: no such user (Debian\'s tomcat10 package makes the user tomcat)'
                           .format(user)) from None
        for parent in reversed(self.root.resolve().parents):
            if parent.exists() and not parent.stat().st_mode & 0o001:
                raise LabError('--user {0}: {1} is not searchable by other users (mode {2:04o}), so Tomcat running as '
                               '{0} could not reach the box: choose a --root outside it'
                               .format(user, parent, parent.stat().st_mode & 0o7777))
        return user

    def _settings(self, address, http_port, https_port, server_name, sans, days, style, force_https, provisioning,
                  nat=False):
        """Check the create options and return them as the box's settings."""
        address = check_address(address, nat)
        ports = [check_port(http_port, '--http-port'), check_port(https_port, '--https-port')]
        if nat:
            ports += [NAT_HTTP_CONNECTOR_PORT, NAT_HTTPS_CONNECTOR_PORT, NAT_SHUTDOWN_PORT]
        if provisioning:
            ports += [PROVISIONING_HTTP_PORT, PROVISIONING_HTTPS_PORT]
        if len(set(ports)) != len(ports):
            raise LabError('ports {0} must all differ (50080/50081 are the provisioning ports)'.format(ports))
        server_name = server_name or default_server_name(self.root)
        if not HOSTNAME_RE.match(server_name):
            raise LabError('--server-name {0!r}: write a host name like pbx.example.com (no scheme, no port)'
                           .format(server_name))
        if style not in ('current', 'legacy'):
            raise LabError('--style {0!r}: choose current or legacy'.format(style))
        if days < 1:
            raise LabError('--days {0}: the certificate must be valid for at least one day'.format(days))
        sans = [normalize_san(item) for item in sans] if sans else ['DNS:' + server_name, 'IP:' + address]
        return {'address': address, 'http_port': http_port, 'https_port': https_port, 'server_name': server_name,
                'subject_alt_names': sans,
                'days': days, 'style': style, 'force_https': force_https, 'provisioning': provisioning}

    def _lay_out(self, config: dict) -> None:
        """Write every file of a new box (and, NAT layout, make its network namespace and rules)."""
        app = 'webapps/localhost/starface' if config['layout'] == 'nat' else 'webapps/ROOT'
        for sub in ('conf', 'ssl', 'logs', 'temp', 'work', app + '/WEB-INF/classes/labbox'):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        for sub in ('run', 'usr/sbin', 'usr/bin', 'etc/sysconfig'):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(json.dumps(config, indent=2, sort_keys=True) + '\n', encoding='utf-8')
        self._write_conf(config)
        self._make_keystore(config)
        self._write_webapp(config['server_name'])
        if config['layout'] == 'nat':
            self._make_network(config)
        self.restart_command.write_text(RESTART_SCRIPT.format(
            root=shlex.quote(str(self.root)), python=SYSTEM_PYTHON,
            tool=shlex.quote(str(Path(__file__).resolve()))), encoding='utf-8')
        self.restart_command.chmod(0o755)
        if config['user']:
            self._hand_over(config['user'])

    def _make_network(self, config: dict) -> None:
        """The box's namespace: eth0 (10.88.N.2) linked to sfvN (10.88.N.1) here, NAT rules, their saved file."""
        netns = config['netns']
        number = (int(ipaddress.ip_address(config['address'])) >> 8) & 0xff
        outside = 'sfv{0}'.format(number)
        if Path('/run/netns', netns).exists():
            raise LabError('network namespace {0} exists already: a box with this --root was not destroyed '
                           '(ip netns del {0})'.format(netns))
        ip_command('netns', 'add', netns)
        ip_command('link', 'add', outside, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns)
        ip_command('addr', 'add', '10.88.{0}.1/24'.format(number), 'dev', outside)
        ip_command('link', 'set', outside, 'up')
        for args in (('link', 'set', 'lo', 'up'), ('addr', 'add', config['address'] + '/24', 'dev', 'eth0'),
                     ('link', 'set', 'eth0', 'up')):
            ip_command('-n', netns, *args)
        for public, connector in ((config['http_port'], config['http_connector_port']),
                                  (config['https_port'], config['https_connector_port'])):
            iptables_command(netns, '-t', 'nat', '-A', 'PREROUTING', '-p', 'tcp', '-m', 'tcp', '--dport', str(public),
                             '-j', 'REDIRECT', '--to-ports', str(connector))
        self.nat_rules_file.write_text(self.saved_rules(), encoding='utf-8')
        self.nat_rules_file.chmod(0o600)
        self.python_wrapper.write_text(PYTHON_WRAPPER.format(
            root=shlex.quote(str(self.root)), netns=shlex.quote(netns), python=shlex.quote(config['python'])),
            encoding='utf-8')
        self.python_wrapper.chmod(0o755)

    def saved_rules(self) -> str:
        """The box's live netfilter rules as iptables-save prints them, without its comment lines."""
        output = run_tool(['ip', 'netns', 'exec', self.netns, 'iptables-save'], 'iptables-save')
        return ''.join(line + '\n' for line in output.splitlines() if not line.startswith('#'))

    def nat_redirects(self) -> dict:
        """The box's live REDIRECT rules: {public port: connector port}."""
        found = {}
        for line in self.saved_rules().splitlines():
            match = re.search(r'^-A PREROUTING .*--dport (\d+) .*-j REDIRECT --to-ports (\d+)', line)
            if match:
                found[int(match.group(1))] = int(match.group(2))
        return found

    def _hand_over(self, user: str) -> None:
        """Give the box's Tomcat directory and run/ to user, as a STARFACE's /opt/tomcat belongs to tomcat."""
        account = pwd.getpwnam(user)
        for top in (self.root, self.base.parent):
            top.chmod(0o755)
        for top in (self.base, self.root / 'run'):
            os.chown(str(top), account.pw_uid, account.pw_gid)
            for directory, dirs, files in os.walk(str(top)):
                for name in dirs + files:
                    os.chown(os.path.join(directory, name), account.pw_uid, account.pw_gid)

    def _write_conf(self, config: dict) -> None:
        """conf/: Debian's files, with the box's connectors and, if asked, forced HTTPS."""
        try:
            for name in COPIED_CONF_FILES:
                shutil.copyfile(str(DEBIAN_CONF / name), str(self.base / 'conf' / name))
            template = (DEBIAN_CONF / 'server.xml').read_text(encoding='utf-8')
        except OSError as err:
            raise LabError("cannot read Debian's Tomcat configuration ({0}): apt-get install tomcat10, and run "
                           'as root (the files in {1} belong to root:tomcat)'.format(err, DEBIAN_CONF)) from None
        nat = config['layout'] == 'nat'
        if nat:
            connectors = connector_block(None, config['http_connector_port'], config['https_connector_port'],
                                         config['style'], config['provisioning'], redirect_port=config['https_port'])
        else:
            connectors = connector_block(config['address'], config['http_port'], config['https_port'],
                                         config['style'], config['provisioning'])
        self.server_xml.write_text(render_server_xml(template, connectors, nat), encoding='utf-8')
        if config['force_https']:
            text = self.web_xml.read_text(encoding='utf-8')
            head, sep, tail = text.rpartition('</web-app>')
            self.web_xml.write_text(head + FORCE_HTTPS_CONSTRAINT + tail if sep else text, encoding='utf-8')

    def _make_keystore(self, config: dict) -> None:
        """Create the JKS keystore with the provisional self-signed certificate, and the key as PEM."""
        sans = ','.join(kind.lower() + ':' + value
                        for kind, value in (item.split(':', 1) for item in config['subject_alt_names']))
        run_tool(KEYTOOL + [
            '-genkeypair', '-noprompt', '-storetype', 'JKS', '-keystore', str(self.keystore),
            '-alias', KEY_ALIAS, '-storepass', KEYSTORE_PASSWORD, '-keypass', KEYSTORE_PASSWORD,
            '-keyalg', 'RSA', '-keysize', '2048', '-dname', 'CN=' + config['server_name'],
            '-ext', 'SAN=' + sans, '-validity', str(config['days'])], 'creating the keystore')
        os.chmod(str(self.keystore), 0o600)
        with tempfile.TemporaryDirectory(dir=str(self.base / 'temp')) as scratch:
            pkcs12 = os.path.join(scratch, 'export.p12')
            run_tool(KEYTOOL + [
                '-importkeystore', '-noprompt', '-srckeystore', str(self.keystore),
                '-srcstoretype', 'JKS', '-srcstorepass', KEYSTORE_PASSWORD, '-srcalias', KEY_ALIAS,
                '-srckeypass', KEYSTORE_PASSWORD, '-destkeystore', pkcs12, '-deststoretype', 'PKCS12',
                '-deststorepass', KEYSTORE_PASSWORD, '-destkeypass', KEYSTORE_PASSWORD],
                'exporting the key from the keystore')
            output = run_tool(['openssl', 'pkcs12', '-in', pkcs12, '-passin', 'pass:' + KEYSTORE_PASSWORD,
                               '-nodes', '-nocerts'], 'writing the key as PEM')
            if config['layout'] == 'nat':
                # The same key and chain under a second alias, as the public Let's Encrypt module writes it.
                run_tool(KEYTOOL + [
                    '-importkeystore', '-noprompt', '-srckeystore', pkcs12, '-srcstoretype', 'PKCS12',
                    '-srcstorepass', KEYSTORE_PASSWORD, '-srcalias', KEY_ALIAS, '-destalias', ROOT_ALIAS,
                    '-destkeystore', str(self.keystore), '-deststoretype', 'JKS', '-deststorepass', KEYSTORE_PASSWORD,
                    '-destkeypass', KEYSTORE_PASSWORD], 'copying the key to the alias root')
        block = re.search(r'-----BEGIN PRIVATE KEY-----.*?-----END PRIVATE KEY-----\n?', output, re.S)
        if not block:
            raise LabError('writing the key as PEM failed: openssl printed no PRIVATE KEY block')
        write_private(self.key_pem, block.group(0).encode('ascii'))

    def _write_webapp(self, server_name: str) -> None:
        """The web app: an index page, the /rest/login servlet and a phone address book (/addressbook/phonebook.xml)."""
        webapp = self.web_app
        (webapp / 'index.html').write_text(INDEX_HTML.format(name=server_name), encoding='utf-8')
        (webapp / 'addressbook').mkdir(exist_ok=True)
        (webapp / 'addressbook' / 'phonebook.xml').write_text(PHONEBOOK_XML.format(name=server_name), encoding='utf-8')
        (webapp / 'WEB-INF' / 'web.xml').write_text(WEBAPP_WEB_XML, encoding='utf-8')
        shutil.copyfile(str(compiled_servlet()), str(webapp / 'WEB-INF' / 'classes' / SERVLET_CLASS))

    def connectors(self) -> list:
        """The active connectors of the box's current conf/server.xml."""
        address = self.address
        try:
            text = self.server_xml.read_text(encoding='utf-8')
        except OSError as err:
            raise LabError("cannot read the box's server.xml ({0}): restore it or create the box anew"
                           .format(err)) from None
        return parse_connectors(text, address)

    # -- processes ---------------------------------------------------------------------------------------

    def pids(self) -> list:
        """PIDs of the live JVMs running this box (found by -Dcatalina.base in their command line)."""
        marker = '-Dcatalina.base=' + str(self.base)
        found = []
        for entry in os.listdir('/proc'):
            if entry.isdigit() and marker in process_args(int(entry)) and is_alive(int(entry)):
                found.append(int(entry))
        return sorted(found)

    def pid(self) -> int | None:
        """The PID of the running box (the PID file's if it is one of the box's JVMs)."""
        pids = self.pids()
        try:
            recorded = int(self.pid_file.read_text(encoding='utf-8').strip())
        except (OSError, ValueError):
            recorded = None
        if recorded in pids:
            return recorded
        return pids[0] if pids else None

    def start(self, timeout: float = 60.0, wait: bool = True) -> int:
        """Start Tomcat and wait until every configured port serves (unless not wait); returns the PID."""
        connectors = self.connectors()
        for connector in connectors:
            if connector.legacy:
                raise LabError(
                    'cannot start {0}: conf/server.xml configures the HTTPS connector on port {1} with the legacy '
                    'keystoreFile/keystorePass/keyAlias attributes, which Tomcat 10.1 ignores (it would serve no '
                    'HTTPS). A legacy-style box is for file-level tests only: create a box with --style current '
                    'to run it.'.format(self.root, connector.port))
        log_offset = self.catalina_out.stat().st_size if self.catalina_out.exists() else 0
        pid = self.pid()
        launched = pid is None
        if launched:
            pid = self._launch()
        if not wait:
            return pid
        try:
            self._wait_ready(pid, connectors, log_offset, timeout)
        except LabError:
            if launched:
                self.stop()
            raise
        return pid

    def _launch(self) -> int:
        """Run catalina.sh start in its own session and return the JVM's PID."""
        if not (CATALINA_HOME / 'bin' / 'catalina.sh').is_file():
            raise LabError('Apache Tomcat not found in {0}: apt-get install tomcat10 openjdk-17-jdk-headless'
                           .format(CATALINA_HOME))
        self.pid_file.unlink(missing_ok=True)
        env = dict(os.environ, CATALINA_HOME=str(CATALINA_HOME), CATALINA_BASE=str(self.base),
                   CATALINA_PID=str(self.pid_file), CATALINA_OUT=str(self.catalina_out),
                   CATALINA_TMPDIR=str(self.base / 'temp'), CATALINA_OPTS='',
                   JAVA_OPTS=' '.join(filter(None, [JAVA_OPTS, self.config().get('java_options')])))
        command = [str(CATALINA_HOME / 'bin' / 'catalina.sh'), 'start']
        user = self.config().get('user')
        if user:
            account = pwd.getpwnam(user)
            env.update(HOME=account.pw_dir, USER=user, LOGNAME=user)
            command = ['setpriv', '--reuid', str(account.pw_uid), '--regid', str(account.pw_gid), '--init-groups',
                       '--'] + command
        if self.netns:
            command = ['ip', 'netns', 'exec', self.netns] + command
        result = subprocess.run(command, env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True, check=False, timeout=60)
        output = result.stdout.decode('utf-8', 'replace').strip()
        try:
            pid = int(self.pid_file.read_text(encoding='utf-8').strip())
        except (OSError, ValueError):
            pid = None
        if result.returncode != 0 or pid is None:
            raise LabError('catalina.sh start failed for {0} (exit {1}): {2}'.format(
                self.root, result.returncode, output))
        return pid

    def _wait_ready(self, pid: int, connectors: list, log_offset: int, timeout: float) -> None:
        """Wait until every connector serves, the JVM is alive and its log shows no bind error."""
        deadline = time.monotonic() + timeout
        while True:
            waiting = self._not_ready(connectors)
            log = self._log_since(log_offset)
            failure = self._bind_failure(log)
            if failure:
                raise LabError('Tomcat of {0} could not open {1}: another process probably listens there '
                               '(see `ss -ltnp`); stop it or choose another port.\n{2}'
                               .format(self.root, failure, self._log_excerpt(log)))
            if not is_alive(pid):
                raise LabError('Tomcat of {0} exited during start-up.\n{1}'.format(self.root, self._log_excerpt(log)))
            if waiting is None:
                return
            if time.monotonic() > deadline:
                raise LabError('Tomcat of {0} was not ready after {1:g} s ({2}).\n{3}'
                               .format(self.root, timeout, waiting, self._log_excerpt(log)))
            time.sleep(POLL_INTERVAL)

    def _log_since(self, log_offset: int) -> str:
        """What Tomcat wrote to catalina.out after log_offset."""
        try:
            with open(str(self.catalina_out), 'rb') as handle:
                handle.seek(log_offset)
                return handle.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def _bind_failure(self, log: str) -> str | None:
        """Which port the log says Tomcat could not bind, or None."""
        lines = [line.strip() for line in log.splitlines() if BIND_ERROR_RE.search(line)]
        if not lines:
            return None
        initializing = INITIALIZING_PORT_RE.findall(log)
        where = 'port {0} on {1}'.format(initializing[-1], self.address) if initializing else 'a port'
        return '{0} ({1})'.format(where, lines[-1])

    def _log_excerpt(self, log: str) -> str:
        """The error lines of this start's log (or its last lines), for a failure message."""
        lines = log.splitlines()
        errors = [line.strip() for line in lines if LOG_ERROR_RE.search(line)]
        shown = errors[:LOG_EXCERPT_LINES] if errors else lines[-LOG_EXCERPT_LINES:]
        return 'From {0}:\n  {1}'.format(self.catalina_out, '\n  '.join(shown) if shown else '(nothing logged)')

    @staticmethod
    def _not_ready(connectors: list) -> str | None:
        """What is not serving yet, or None when every port answers and /rest/login says 200 somewhere."""
        login_ok = False
        for connector in connectors:
            scheme = 'https' if connector.tls else 'http'
            try:
                status = http_status(connector, '/rest/login')
            except (OSError, http.client.HTTPException) as err:
                return '{0} port {1} on {2}: {3}'.format(scheme, connector.port, connector.address, err)
            if status not in ((200,) if connector.tls else (200, 302)):
                return '{0} port {1} answered {2}'.format(scheme, connector.port, status)
            login_ok = login_ok or status == 200
        return None if login_ok else '/rest/login answered 200 on no port'

    def stop(self, timeout: float = STOP_TIMEOUT) -> list:
        """Stop every JVM of the box (SIGTERM, SIGKILL after timeout); returns the PIDs stopped."""
        pids = self.pids()
        self._signal(pids, signal.SIGTERM)
        left = self._wait_gone(pids, timeout)
        if left:
            self._signal(left, signal.SIGKILL)
            left = self._wait_gone(left, KILL_TIMEOUT)
        if left:
            raise LabError('could not stop Tomcat of {0}: PIDs {1} survive SIGKILL'.format(self.root, left))
        self.pid_file.unlink(missing_ok=True)
        return pids

    @staticmethod
    def _signal(pids: list, signum: int) -> None:
        """Send a signal to processes that may already be gone."""
        for pid in pids:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass

    @staticmethod
    def _wait_gone(pids: list, timeout: float) -> list:
        """Wait until the processes are gone; returns those still alive after timeout."""
        deadline = time.monotonic() + timeout
        left = [pid for pid in pids if is_alive(pid)]
        while left and time.monotonic() < deadline:
            time.sleep(POLL_INTERVAL)
            left = [pid for pid in left if is_alive(pid)]
        return left

    def restart(self, timeout: float = 60.0, wait: bool = True) -> int:
        """Stop, then start; returns the new PID."""
        self.stop()
        return self.start(timeout, wait)

    def status(self) -> dict:
        """Running state, ports, served certificate and memory of the box."""
        config = self.config()
        pid = self.pid()
        connectors = self.connectors()
        ports = [{'address': c.address, 'port': c.port, 'scheme': 'https' if c.tls else 'http',
                  'accepting': port_accepts(c.address, c.port)} for c in connectors]
        fingerprint = next((served_certificate_sha256(c.address, c.port) for c in connectors
                            if c.tls and pid is not None), None)
        nat = self.nat_redirects() if self.nat else None
        # The ports a client reaches the web server on: the connectors, or on a NAT box the redirected ports.
        accepting = dict((c.port, entry['accepting']) for c, entry in zip(connectors, ports))
        public = sorted(source for source, target in nat.items() if accepting.get(target)) if nat is not None \
            else sorted(port for port, up in accepting.items() if up)
        return {'root': str(self.root), 'running': pid is not None, 'pid': pid, 'address': config['address'],
                'layout': config.get('layout', 'direct'), 'netns': config.get('netns'), 'nat_redirects': nat,
                'interpreter': self.interpreter, 'public_ports': public,
                'server_name': config['server_name'],
                'style': 'legacy' if any(c.legacy for c in connectors) else 'current',
                'ports': ports, 'certificate_sha256': fingerprint,
                'rss_kib': rss_kib(pid) if pid is not None else None,
                'restart_command': str(self.restart_command)}

    def destroy(self) -> None:
        """Stop the box and remove its directory."""
        if not self.root.exists():
            return
        netns = self.netns
        self.stop()
        if netns and Path('/run/netns', netns).exists():
            ip_command('netns', 'del', netns)  # removes the veth pair and the box's rules with it
        shutil.rmtree(str(self.root))


# -- fleet ------------------------------------------------------------------------------------------------

def fleet_boxes(base: Path, count: int | None) -> list:
    """The boxes of a fleet: box-01..box-N, or every box found under base when count is None."""
    if count is not None:
        return [LabBox(base / 'box-{0:02d}'.format(number)) for number in range(1, count + 1)]
    return [LabBox(path.parent) for path in sorted(base.glob('box-*/lab.json'))]


def fleet(action: str, base: Path, count: int | None, first_address: str | None, timeout: float,
          layout: str = 'direct') -> int:
    """Create, start, stop or destroy several boxes; returns the number of failures.

    Direct boxes get consecutive loopback addresses from first_address (127.0.0.10); NAT boxes
    get 10.88.N.2 with N counting up from first_address's (10.88.1.2).
    """
    if action == 'create' and count is None:
        raise LabError('fleet create needs --count')
    nat = layout == 'nat'
    first_address = first_address or ('10.88.1.2' if nat else '127.0.0.10')
    first = ipaddress.ip_address(check_address(first_address, nat))
    step = 256 if nat else 1
    failures = 0
    for number, box in enumerate(fleet_boxes(base, count), start=1):
        try:
            if action == 'create':
                box.create(str(first + step * (number - 1)), server_name=box.root.name + '.lab.test', layout=layout)
                print('created {0} on {1}'.format(box.root, box.address))
            elif action == 'start':
                began = time.monotonic()
                pid = box.start(timeout)
                print('started {0}: pid {1} in {2:.1f} s'.format(box.root, pid, time.monotonic() - began))
            elif action == 'stop':
                box.stop()
                print('stopped {0}'.format(box.root))
            else:
                box.destroy()
                print('destroyed {0}'.format(box.root))
        except LabError as err:
            failures += 1
            print('error: {0}'.format(err), file=sys.stderr)
    if action == 'destroy' and base.is_dir() and not any(base.iterdir()):
        base.rmdir()
    return failures


def netns_run(argv: list) -> int:
    """Run argv inside a new lab network namespace (loopback up, nothing else); remove it afterwards.

    The NAT boxes created inside it link their own namespaces to it: whatever the command does
    to networks stays inside namespaces it made, the host's network is never touched.
    """
    if not argv:
        raise LabError('netns-run: give the command to run after --')
    name = '{0}run-{1}'.format(LAB_NETNS_PREFIX, os.getpid())
    ip_command('netns', 'add', name)
    try:
        ip_command('-n', name, 'link', 'set', 'lo', 'up')
        try:
            return subprocess.run(['ip', 'netns', 'exec', name] + argv, check=False).returncode
        except KeyboardInterrupt:
            return 130
    finally:
        ip_command('netns', 'del', name)


# -- command line ---------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    """The command line of starface_lab.py."""
    parser = argparse.ArgumentParser(description='STARFACE lab boxes: Tomcat 10.1 laid out like a STARFACE.')
    commands = parser.add_subparsers(dest='command', required=True)
    create = commands.add_parser('create', help='lay out a new box')
    create.add_argument('--root', required=True, type=Path)
    create.add_argument('--address', required=True, help='loopback address, e.g. 127.0.0.10')
    create.add_argument('--http-port', type=int, default=80)
    create.add_argument('--https-port', type=int, default=443)
    create.add_argument('--server-name', help='CN of the provisional certificate (default: <dir>.lab.test)')
    create.add_argument('--san', action='append', help='DNS:name or IP:address (repeat; default: name and address)')
    create.add_argument('--days', type=int, default=365)
    create.add_argument('--style', choices=('current', 'legacy'), default='current')
    create.add_argument('--force-https', action='store_true')
    create.add_argument('--user', help='run Tomcat as this user (e.g. tomcat), as STARFACE does; ports of 1024 or '
                        'more then, and a --root other users can reach')
    create.add_argument('--no-provisioning', dest='provisioning', action='store_false',
                        help='leave out the phone provisioning connectors 50080/50081')
    create.add_argument('--layout', choices=('direct', 'nat'), default='direct',
                        help='nat: as on the audited STARFACE, in its own network namespace (run inside netns-run)')
    create.add_argument('--java-options', default='',
                        help='more JVM options for Tomcat, e.g. -XX:+DisableAttachMechanism')
    create.add_argument('--python', help='NAT layout: the Python the box\'s interpreter wrapper runs (default: this one)')
    for name, text in (('start', 'start Tomcat and wait until it serves'), ('restart', 'stop, then start')):
        command = commands.add_parser(name, help=text)
        command.add_argument('--root', required=True, type=Path)
        command.add_argument('--timeout', type=float, default=60.0)
        command.add_argument('--no-wait', dest='wait', action='store_false',
                             help='return once the JVM runs, like systemctl; do not wait until it serves')
    for name, text in (('stop', 'stop Tomcat'), ('status', 'print the state as JSON'),
                       ('destroy', 'stop and remove the box')):
        commands.add_parser(name, help=text).add_argument('--root', required=True, type=Path)
    several = commands.add_parser('fleet', help='several boxes box-01..box-N')
    several.add_argument('action', choices=('create', 'start', 'stop', 'destroy'))
    several.add_argument('--base', required=True, type=Path)
    several.add_argument('--count', type=int)
    several.add_argument('--first-address', help='default 127.0.0.10, with --layout nat 10.88.1.2')
    several.add_argument('--layout', choices=('direct', 'nat'), default='direct')
    inside = commands.add_parser('netns-run', help='run a command inside a new lab network namespace, then remove it')
    inside.add_argument('argv', nargs=argparse.REMAINDER, help='-- COMMAND [ARGS...]')
    several.add_argument('--timeout', type=float, default=60.0)
    return parser


def run_command(args: argparse.Namespace) -> int:
    """Carry out one parsed command; returns the exit code."""
    if args.command == 'fleet':
        return 1 if fleet(args.action, args.base, args.count, args.first_address, args.timeout, args.layout) else 0
    if args.command == 'netns-run':
        return netns_run(args.argv[1:] if args.argv[:1] == ['--'] else args.argv)
    box = LabBox(args.root)
    if args.command == 'create':
        config = box.create(args.address, args.http_port, args.https_port, args.server_name, args.san, args.days,
                            args.style, args.force_https, args.provisioning, args.user, args.layout, args.python,
                            args.java_options)
        print('created {0}: {1} on {2}, restart command {3}'.format(
            box.root, config['server_name'], config['address'], box.restart_command))
    elif args.command in ('start', 'restart'):
        began = time.monotonic()
        pid = box.start(args.timeout, args.wait) if args.command == 'start' else box.restart(args.timeout, args.wait)
        ports = ', '.join(str(c.port) for c in box.connectors())
        print('started {0}: pid {1}, ports {2} on {3}, {4} in {5:.1f} s'.format(
            box.root, pid, ports, box.address, 'ready' if args.wait else 'launched', time.monotonic() - began))
    elif args.command == 'stop':
        stopped = box.stop()
        print('stopped {0}{1}'.format(box.root, ' (pid {0})'.format(
            ', '.join(map(str, stopped))) if stopped else ' (was not running)'))
    elif args.command == 'status':
        print(json.dumps(box.status(), indent=2, sort_keys=True))
    else:
        box.destroy()
        print('destroyed {0}'.format(box.root))
    return 0


def main(argv=None) -> int:
    """Entry point of the command line."""
    args = build_parser().parse_args(argv)
    try:
        return run_command(args)
    except LabError as err:
        print('error: {0}'.format(err), file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())

# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A new certificate without a restart: ask the running Tomcat to reload its TLS configuration.

Tomcat (8.5.24 and later) offers the operation ``reloadSslHostConfigs`` on each connector's
``ProtocolHandler`` MBean: the connector reads its keystore again and serves the new
certificate from the next handshake on, without dropping open connections. The box has no JMX
port for it, so a small Java client (``CLIENT_SOURCE``) attaches to Tomcat's JVM with the
JDK's attach API, as Tomcat's own user, starts the JVM's local JMX agent (it accepts local
clients only and stays until the JVM exits) and calls the operation. The client runs with
the java of Tomcat's own JVM in source-file mode (Java 11 and later with ``jdk.compiler``),
from a folder that only Tomcat's user can read, and is removed afterwards.
"""

from __future__ import annotations

import collections
import os
import pwd
import re
import shutil
import tempfile
import zipfile

from ansible_collections.telephony.starface.plugins.module_utils._appliance.command import run_program
from ansible_collections.telephony.starface.plugins.module_utils._appliance.ports import ProcView

CLIENT_CLASS = 'StarfaceTlsReload'
CLIENT_SOURCE = r'''
import com.sun.tools.attach.AttachOperationFailedException;
import com.sun.tools.attach.VirtualMachine;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * Ask a running Tomcat to reload the TLS configuration of some connectors (telephony.starface).
 *
 * Arguments: the JVM's PID, a folder only this user can read, then connector ports. The JVM's
 * JMX agent is started for this call alone, on 127.0.0.1, with a one-time password kept in that
 * folder, and stopped again afterwards (where the JVM already runs an agent, its local connector
 * is used and left as it was). Prints one line per port: "reloaded PORT", "missing PORT" (no
 * connector there) or "failed PORT REASON"; "attach REASON" when the JVM cannot be asked, and
 * "agent REASON" when the agent could not be stopped. Exit code 0 only when every port was reloaded.
 */
public class StarfaceTlsReload {

    private static final String USER = "starface";

    public static void main(String[] args) {
        int status = 0;
        VirtualMachine vm = null;
        boolean started = false;
        try {
            vm = VirtualMachine.attach(args[0]);
            Path folder = Paths.get(args[1]);
            byte[] secret = new byte[24];
            new SecureRandom().nextBytes(secret);
            StringBuilder password = new StringBuilder();
            for (byte b : secret) {
                password.append(String.format("%02x", b));
            }
            Path passwords = ownerOnly(folder.resolve("jmxremote.password"), USER + " " + password + "\n");
            Path access = ownerOnly(folder.resolve("jmxremote.access"), USER + " readwrite\n");
            int port = freePort();
            Properties agent = new Properties();
            agent.setProperty("com.sun.management.jmxremote.host", "127.0.0.1");
            agent.setProperty("com.sun.management.jmxremote.port", String.valueOf(port));
            agent.setProperty("com.sun.management.jmxremote.rmi.port", String.valueOf(port));
            agent.setProperty("com.sun.management.jmxremote.authenticate", "true");
            agent.setProperty("com.sun.management.jmxremote.password.file", passwords.toString());
            agent.setProperty("com.sun.management.jmxremote.access.file", access.toString());
            agent.setProperty("com.sun.management.jmxremote.ssl", "false");
            JMXServiceURL url;
            Map<String, Object> environment = new HashMap<>();
            try {
                vm.startManagementAgent(agent);
                started = true;
                url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + port + "/jmxrmi");
                environment.put(JMXConnector.CREDENTIALS, new String[] {USER, password.toString()});
            } catch (AttachOperationFailedException e) {
                if (e.getMessage() == null || !e.getMessage().contains("already started")) {
                    throw e;
                }
                url = new JMXServiceURL(vm.startLocalManagementAgent());
            }
            try (JMXConnector connector = JMXConnectorFactory.connect(url, environment)) {
                status = reload(connector.getMBeanServerConnection(), args);
            }
        } catch (Exception e) {
            System.out.println("attach " + reason(e));
            status = 2;
        } finally {
            if (vm != null) {
                if (started) {
                    try {
                        InputStream said = (InputStream) vm.getClass().getMethod("executeJCmd", String.class)
                            .invoke(vm, "ManagementAgent.stop");
                        said.close();
                    } catch (Exception e) {
                        System.out.println("agent " + reason(e));
                    }
                }
                try {
                    vm.detach();
                } catch (Exception e) {
                    // the JVM is gone or closed the connection: nothing is left to release
                }
            }
        }
        System.out.flush();
        System.exit(status);
    }

    private static int reload(MBeanServerConnection server, String[] args) throws Exception {
        int status = 0;
        Set<ObjectName> handlers = server.queryNames(new ObjectName("*:type=ProtocolHandler,*"), null);
        for (int i = 2; i < args.length; i++) {
            List<ObjectName> found = new ArrayList<>();
            for (ObjectName name : handlers) {
                if (args[i].equals(name.getKeyProperty("port"))) {
                    found.add(name);
                }
            }
            if (found.isEmpty()) {
                System.out.println("missing " + args[i]);
                status = 3;
            }
            for (ObjectName name : found) {
                try {
                    server.invoke(name, "reloadSslHostConfigs", new Object[0], new String[0]);
                    System.out.println("reloaded " + args[i]);
                } catch (Exception e) {
                    System.out.println("failed " + args[i] + " " + reason(e));
                    status = 4;
                }
            }
        }
        return status;
    }

    private static Path ownerOnly(Path path, String text) throws Exception {
        Files.write(path, text.getBytes(StandardCharsets.UTF_8));
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        return path;
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }

    /** The messages of an exception and of its causes, on one line. */
    private static String reason(Throwable error) {
        StringBuilder text = new StringBuilder();
        for (Throwable cause = error; cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            if (text.length() > 0) {
                text.append(" <- ");
            }
            text.append(cause.getClass().getName());
            String message = cause.getMessage();
            if (message != null) {
                text.append(": ").append(message.replace('\n', ' ').replace('\r', ' '));
            }
        }
        return text.toString();
    }
}
'''
# Modules the client needs in the box's Java runtime (Tomcat's JVM needs jdk.management.agent).
REQUIRED_MODULES = ('jdk.attach', 'jdk.compiler', 'java.management.rmi', 'jdk.management.agent')
# The first release of each Tomcat branch with reloadSslHostConfigs (8.5.24, 9.0.2; all of 10 and later).
RELOAD_SINCE = {8: (8, 5, 24), 9: (9, 0, 2)}
LISTENER_CLASS = 'org.apache.catalina.security.TLSCertificateReloadListener'
SERVER_INFO = 'org/apache/catalina/util/ServerInfo.properties'
# Options for the client's short-lived JVM: small, fast to start, no perf data file left in /tmp, and
# the attach API's own class open to it (to stop the JMX agent again: ManagementAgent.stop).
CLIENT_JVM_OPTIONS = ('-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:-UsePerfData', '-Xshare:auto',
                      '--add-exports', 'jdk.attach/sun.tools.attach=ALL-UNNAMED')
CLIENT_TIMEOUT = 60
# What the reload client answered: why Tomcat could not be asked (or None), {port: reason}, notes.
Answer = collections.namedtuple('Answer', 'unreachable failures notes')
LINE_RE = re.compile(r'^(reloaded|missing|failed|attach|agent) ?(\S*) ?(.*)$')


def version_tuple(text):
    """Return the leading numbers of a version ('10.1.60.0' -> (10, 1, 60, 0), '1.8.0_362' -> (1, 8, 0))."""
    numbers = []
    for part in re.split(r'[._+-]', text or ''):
        if not part.isdigit():
            break
        numbers.append(int(part))
    return tuple(numbers)


def java_major(version):
    """Return the feature release of a Java version string: 8 for '1.8.0_362', 17 for '17.0.15'."""
    numbers = version_tuple(version)
    if not numbers:
        return None
    return numbers[1] if numbers[0] == 1 and len(numbers) > 1 else numbers[0]


def tomcat_reloads(version):
    """Return whether a Tomcat version offers reloadSslHostConfigs."""
    numbers = version_tuple(version)
    if not numbers:
        return False
    if numbers[0] >= 10:
        return True
    since = RELOAD_SINCE.get(numbers[0])
    return bool(since) and numbers[:3] >= since


def read_release(java_home):
    """Return the key/value pairs of a Java runtime's ``release`` file ({} when there is none)."""
    try:
        with open(os.path.join(java_home, 'release'), 'rb') as handle:
            text = handle.read().decode('utf-8', 'replace')
    except OSError:
        return {}
    values = {}
    for line in text.splitlines():
        match = re.match(r'^([A-Z_]+)="?(.*?)"?\s*$', line)
        if match:
            values[match.group(1)] = match.group(2)
    return values


def find_java(executable):
    """Return (java binary, java home, release values) of a JVM's executable, or (None, None, {})."""
    if not executable:
        return None, None, {}
    binary = executable[:-len(' (deleted)')] if executable.endswith(' (deleted)') else executable
    if not os.path.isfile(binary):
        return None, None, {}
    home = os.path.dirname(os.path.dirname(binary))
    for folder in (home, os.path.dirname(home)):  # a Java 8 JRE inside its JDK: <jdk>/jre/bin/java
        release = read_release(folder)
        if release:
            return binary, folder, release
    return binary, home, {}


def tomcat_version(catalina_home):
    """Return the version of the Tomcat in catalina_home from its catalina.jar, or None."""
    try:
        with zipfile.ZipFile(os.path.join(catalina_home, 'lib', 'catalina.jar')) as jar:
            text = jar.read(SERVER_INFO).decode('latin-1')
    except (OSError, KeyError, zipfile.BadZipfile):
        return None
    for key in ('server.number', 'server.info'):
        match = re.search(r'^%s=(?:Apache Tomcat/)?([0-9][^\s]*)' % re.escape(key), text, re.M)
        if match:
            return match.group(1)
    return None


def _property(command, name):
    """Return the value of -D<name>= on a command line, or None."""
    for word in command.split():
        if word.startswith('-D%s=' % name):
            return word.split('=', 1)[1]
    return None


class ReloadSupport:
    """What the box offers for a reload: the running Tomcat, its version, its Java, whether attach can work."""

    def __init__(self, tomcat_base, server_xml_text='', proc=None):
        self.proc = proc or ProcView()
        running = self.proc.tomcat_processes(tomcat_base)
        self.process = running[0] if running else None
        self.listener = LISTENER_CLASS in (server_xml_text or '')
        self.java = self.java_home = None
        self.release = {}
        self.tomcat_version = None
        self.gid = None
        if self.process:
            self.java, self.java_home, self.release = find_java(self.process.executable)
            command = self.process.command
            home = _property(command, 'catalina.home') or _property(command, 'catalina.base') or tomcat_base
            self.tomcat_version = tomcat_version(home)
            status = self.proc.read(str(self.process.pid), 'status') or ''
            match = re.search(r'^Gid:\s+\d+\s+(\d+)', status, re.M)
            self.gid = int(match.group(1)) if match else None

    @property
    def java_version(self):
        return self.release.get('JAVA_VERSION')

    def why_not(self):
        """Return why this box cannot reload its certificate while running, or None when it can."""
        if self.process is None:
            return 'Tomcat is not running'
        if '-XX:+DisableAttachMechanism' in self.process.command.split():
            return "Tomcat's JVM was started with -XX:+DisableAttachMechanism"
        if not self.tomcat_version:
            return "Tomcat's version could not be read (lib/catalina.jar of catalina.home)"
        if not tomcat_reloads(self.tomcat_version):
            return 'Tomcat %s has no reloadSslHostConfigs (it came with 8.5.24 and 9.0.2)' % self.tomcat_version
        if self.java is None:
            return "the java binary of Tomcat's JVM was not found"
        major = java_major(self.java_version)
        if major is None:
            return 'the Java version of %s could not be read (no release file)' % self.java_home
        if major < 11:
            return 'Tomcat runs on Java %s; the reload client needs Java 11 or later' % self.java_version
        missing = [name for name in REQUIRED_MODULES if name not in self.release.get('MODULES', '').split()]
        if missing:
            return 'the Java runtime %s lacks the module%s %s' % (self.java_home, 's' if len(missing) > 1 else '',
                                                                  ', '.join(missing))
        if self.gid is None:
            return "the group of Tomcat's JVM could not be read"
        return None

    def facts(self):
        """Return what starface_webserver_info reports of it."""
        why = self.why_not()
        return dict(possible=why is None, why_not=why, tomcat_version=self.tomcat_version,
                    java_version=self.java_version, java_home=self.java_home,
                    attach_disabled=bool(self.process and '-XX:+DisableAttachMechanism'
                                         in self.process.command.split()),
                    reload_listener=self.listener)

    def reload(self, ports, timeout=CLIENT_TIMEOUT):
        """Ask Tomcat to reload the TLS configuration of the connectors on ports.

        Returns an Answer: ``unreachable`` says why the JVM could not be asked (None when it
        was), ``failures`` maps each port Tomcat did not reload to its reason, and ``notes`` says
        what the client could not clean up (the JMX agent it started).
        """
        uid, gid = self.process.uid, self.gid
        folder = tempfile.mkdtemp(prefix='starface-tls-reload-')
        try:
            path = os.path.join(folder, CLIENT_CLASS + '.java')
            with open(path, 'w') as handle:
                handle.write(CLIENT_SOURCE)
            for name in (folder, path):
                os.chown(name, uid, gid)
            try:
                home = pwd.getpwuid(uid).pw_dir
            except KeyError:
                home = '/'
            env = dict(PATH='/usr/bin:/bin', LANG='C', HOME=home)
            argv = [self.java] + list(CLIENT_JVM_OPTIONS) + [path, str(self.process.pid), folder]
            rc, out, err = run_program(argv + [str(port) for port in ports], timeout, uid=uid, gid=gid, env=env)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return parse_client_output(rc, out, err, ports, timeout)


def parse_client_output(rc, out, err, ports, timeout=CLIENT_TIMEOUT):
    """Return the Answer the client's output gives."""
    if rc is None:
        # Tomcat may have been asked already: count every port as failed, so the old keystore is reloaded.
        return Answer(None, dict((port, 'the reload client did not finish within %d s and was stopped' % timeout)
                                 for port in ports), [])
    failures, reloaded, notes = {}, set(), []
    for line in out.splitlines():
        match = LINE_RE.match(line.strip())
        if not match:
            continue
        what, port, text = match.groups()
        if what == 'attach' and not (reloaded or failures):
            return Answer("the reload client could not reach Tomcat's JVM: %s"
                          % ' '.join(part for part in (port, text) if part), {}, notes)
        if what == 'agent':
            notes.append("the JMX agent started in Tomcat's JVM for the reload could not be stopped (%s): it "
                         "stays, on 127.0.0.1 with a password nobody knows, until Tomcat stops"
                         % ' '.join(part for part in (port, text) if part))
        elif what == 'attach':
            notes.append("the reload client failed after Tomcat had been asked (%s)"
                         % ' '.join(part for part in (port, text) if part))
        elif what == 'reloaded':
            reloaded.add(port)
        elif what == 'missing':
            failures[int(port)] = 'Tomcat has no connector on port %s' % port
        else:
            failures[int(port)] = text
    unanswered = [port for port in ports if str(port) not in reloaded and port not in failures]
    if unanswered and (reloaded or failures):
        # Tomcat was asked for some ports: what it did not answer for counts as failed, so the old keystore is
        # put back and reloaded on every port.
        for port in unanswered:
            failures[port] = 'no answer from the reload client (exit code %s)' % rc
        return Answer(None, failures, notes)
    if unanswered:
        tail = (err or out).strip().splitlines()[-3:]
        return Answer('the reload client ended (exit code %s) without an answer for port%s %s%s'
                      % (rc, 's' if len(unanswered) > 1 else '', ', '.join(str(port) for port in unanswered),
                         (': %s' % ' '.join(tail)) if tail else ''), {}, notes)
    return Answer(None, failures, notes)

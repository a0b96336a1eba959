# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of _reload (what a box offers for a reload, the client's answers) and of activation in _transaction."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile

import pytest

from ansible_collections.telephony.starface.plugins.module_utils._appliance import reload as _reload
from ansible_collections.telephony.starface.plugins.module_utils._appliance.box import Box
from ansible_collections.telephony.starface.plugins.module_utils._appliance.ports import Process
from ansible_collections.telephony.starface.plugins.module_utils._change.transaction import Transaction
from ansible_collections.telephony.starface.plugins.module_utils._crypto import keystore as _keystore
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError
from ansible_collections.telephony.starface.tests.unit.plugins.module_utils.certfactory import issue, rsa_key

MODULES = 'java.base java.management java.management.rmi jdk.attach jdk.compiler jdk.management.agent'


@pytest.mark.parametrize('version, numbers, major', [
    ('17.0.15', (17, 0, 15), 17), ('1.8.0_362', (1, 8, 0, 362), 8), ('11', (11,), 11), ('', (), None),
])
def test_java_versions(version, numbers, major):
    assert _reload.version_tuple(version) == numbers
    assert _reload.java_major(version) == major


@pytest.mark.parametrize('version, reloads', [
    ('10.1.60.0', True), ('11.0.2', True), ('9.0.2', True), ('9.0.1', False), ('8.5.24', True), ('8.5.23', False),
    ('8.0.53', False), ('7.0.109', False), ('', False),
])
def test_tomcat_versions_with_reload_ssl_host_configs(version, reloads):
    assert _reload.tomcat_reloads(version) is reloads


class FakeProc:
    """The parts of _ports.ProcView that ReloadSupport reads."""

    def __init__(self, process=None, gid=991):
        self.process = process
        self.gid = gid

    def tomcat_processes(self, tomcat_base):
        return [self.process] if self.process else []

    def read(self, *parts):
        return 'Name:\tjava\nUid:\t992\t992\t992\t992\nGid:\t%d\t%d\t%d\t%d\n' % ((self.gid,) * 4)


def java_home(tmp_path, version='17.0.15', modules=MODULES, jre_inside=False):
    """Lay out a Java runtime: bin/java and a release file (Java 8: jre/bin/java inside the JDK)."""
    home = tmp_path / 'jvm'
    binary = home / ('jre/bin/java' if jre_inside else 'bin/java')
    binary.parent.mkdir(parents=True)
    binary.write_text('#!/bin/sh\n')
    (home / 'release').write_text('JAVA_VERSION="%s"\nMODULES="%s"\n' % (version, modules))
    return home, binary


def catalina_home(tmp_path, info='server.info=Apache Tomcat/10.1.60 (Debian)\nserver.number=10.1.60.0\n'):
    home = tmp_path / 'catalina'
    (home / 'lib').mkdir(parents=True)
    with zipfile.ZipFile(str(home / 'lib' / 'catalina.jar'), 'w') as jar:
        jar.writestr(_reload.SERVER_INFO, info)
    return home


def support(tmp_path, options='', **java):
    home, binary = java_home(tmp_path, **java)
    catalina = catalina_home(tmp_path)
    command = 'java %s -Dcatalina.base=/opt/tomcat -Dcatalina.home=%s org.apache.catalina.startup.Bootstrap start' % (
        options, catalina)
    return _reload.ReloadSupport('/opt/tomcat', '<Server/>', FakeProc(Process(2140, 992, 'java', command,
                                                                              str(binary))))


def test_a_box_with_tomcat_10_and_java_17_can_reload(tmp_path):
    found = support(tmp_path)
    assert found.why_not() is None
    assert found.facts() == dict(possible=True, why_not=None, tomcat_version='10.1.60.0', java_version='17.0.15',
                                 java_home=str(tmp_path / 'jvm'), attach_disabled=False, reload_listener=False)


@pytest.mark.parametrize('options, java, why', [
    ('-XX:+DisableAttachMechanism', {}, "Tomcat's JVM was started with -XX:+DisableAttachMechanism"),
    ('', dict(version='1.8.0_362', jre_inside=True), 'Tomcat runs on Java 1.8.0_362; the reload client needs Java 11 '
                                                     'or later'),
    ('', dict(modules='java.base jdk.attach java.management.rmi jdk.management.agent'),
     'lacks the module jdk.compiler'),
])
def test_why_a_box_cannot_reload(tmp_path, options, java, why):
    assert why in support(tmp_path, options, **java).why_not()


def test_without_a_running_tomcat_there_is_nothing_to_reload():
    assert _reload.ReloadSupport('/opt/tomcat', '', FakeProc()).why_not() == 'Tomcat is not running'


def test_a_java_8_jre_inside_its_jdk_finds_the_jdk_release_file(tmp_path):
    home, binary = java_home(tmp_path, version='1.8.0_362', jre_inside=True)
    release = dict(JAVA_VERSION='1.8.0_362', MODULES=MODULES)
    assert _reload.find_java(str(binary) + ' (deleted)')[1:] == (str(home), release)


def test_the_reload_listener_in_server_xml_is_reported(tmp_path):
    text = '<Server><Listener className="%s" checkPeriod="60"/></Server>' % _reload.LISTENER_CLASS
    assert _reload.ReloadSupport('/opt/tomcat', text, FakeProc()).facts()['reload_listener'] is True


@pytest.mark.parametrize('rc, out, err, ports, answer', [
    (0, 'reloaded 8181\nreloaded 50081\n', '', [8181, 50081], (None, {}, [])),
    (4, 'reloaded 8181\nfailed 50081 java.lang.IllegalArgumentException: Error creating SSLContext <- '
        'java.io.IOException: Invalid keystore format\n', '', [8181, 50081],
     (None, {50081: 'java.lang.IllegalArgumentException: Error creating SSLContext <- java.io.IOException: '
                    'Invalid keystore format'}, [])),
    (3, 'missing 8443\n', '', [8443], (None, {8443: 'Tomcat has no connector on port 8443'}, [])),
    (2, 'attach com.sun.tools.attach.AttachNotSupportedException: Unable to open socket file\n', '', [8181],
     ("the reload client could not reach Tomcat's JVM: com.sun.tools.attach.AttachNotSupportedException: Unable to "
      "open socket file", {}, [])),
    (1, '', 'error: compilation failed\n', [8181],
     ('the reload client ended (exit code 1) without an answer for port 8181: error: compilation failed', {}, [])),
    (None, '', '', [8181], (None, {8181: 'the reload client did not finish within 60 s and was stopped'}, [])),
    # Tomcat was asked for one port before the client failed: the other counts as failed, not as "not asked".
    (2, 'reloaded 8181\nattach java.io.IOException: connection closed\n', '', [8181, 50081],
     (None, {50081: 'no answer from the reload client (exit code 2)'},
      ['the reload client failed after Tomcat had been asked (java.io.IOException: connection closed)'])),
    (0, 'reloaded 8181\nagent java.io.IOException: closed\n', '', [8181],
     (None, {}, ["the JMX agent started in Tomcat's JVM for the reload could not be stopped (java.io.IOException: "
                 "closed): it stays, on 127.0.0.1 with a password nobody knows, until Tomcat stops"])),
])
def test_the_clients_answers(rc, out, err, ports, answer):
    assert _reload.parse_client_output(rc, out, err, ports) == answer


def test_the_client_compiles_for_java_11(tmp_path):
    if not shutil.which('javac'):
        pytest.fail('javac not found: make deps installs openjdk-17-jdk-headless')
    source = tmp_path / (_reload.CLIENT_CLASS + '.java')
    source.write_text(_reload.CLIENT_SOURCE)
    result = subprocess.run(['javac', '--release', '11', '-Xlint:all', '-Werror', '-d', str(tmp_path), str(source)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert result.returncode == 0, result.stdout


# Activation in the transaction: reload or restart, refusals and the rollback of a failed reload.

SERVER_XML = '''<Server port="-1">
  <Service name="Catalina">
    <Connector port="8080" protocol="HTTP/1.1" redirectPort="443"/>
    <Connector port="8181" protocol="org.apache.coyote.http11.Http11NioProtocol" SSLEnabled="true">
      <SSLHostConfig>
        <Certificate certificateKeystoreFile="ssl/tomcat.keystore" certificateKeystorePassword="changeit"
                     certificateKeyAlias="tomcat" certificateKeystoreType="JKS" type="RSA"/>
      </SSLHostConfig>
    </Connector>
    <Connector port="50081" protocol="org.apache.coyote.http11.Http11NioProtocol" SSLEnabled="true">
      <SSLHostConfig>
        <Certificate certificateKeystoreFile="ssl/tomcat.keystore" certificateKeystorePassword="changeit"
                     certificateKeyAlias="tomcat" type="RSA"/>
      </SSLHostConfig>
    </Connector>
    <Engine name="Catalina" defaultHost="localhost"><Host name="localhost" appBase="webapps"/></Engine>
  </Service>
</Server>
'''


@pytest.fixture(scope='module', name='keystores')
def keystores_fixture():
    """Two JKS keystores (old, new) with the alias tomcat, password changeit."""
    made = []
    for name in ('old.lab.test', 'new.lab.test'):
        issued = issue(name, key=rsa_key(2048, len(made)))
        made.append(_keystore.dump_key_entry(_keystore.KeyEntry('tomcat', issued.key, [issued.cert]), 'changeit',
                                             'JKS'))
    return made


class FakeSupport:
    """A ReloadSupport whose reload answers from a queue and records the ports it was asked for."""

    def __init__(self, why_not=None, answers=()):
        self.why = why_not
        self.answers = list(answers)
        self.calls = []

    def why_not(self):
        return self.why

    def reload(self, ports, timeout):
        self.calls.append(list(ports))
        return _reload.Answer(*self.answers.pop(0)) if self.answers else _reload.Answer(None, {}, [])


@pytest.fixture(name='box')
def box_fixture(tmp_path, keystores):
    base = tmp_path / 'tomcat'
    (base / 'conf').mkdir(parents=True)
    (base / 'ssl').mkdir()
    (base / 'conf' / 'server.xml').write_text(SERVER_XML)
    (base / 'conf' / 'web.xml').write_text('<web-app/>\n')
    (base / 'ssl' / 'tomcat.keystore').write_bytes(keystores[0])
    return base


def transaction(base, activation, support=None, restarts=None):
    box = Box(dict(tomcat_base=str(base), restart_command='restart-tomcat', restart_timeout=30,
                   activation=activation))
    calls = restarts if restarts is not None else []

    def run_command(command, timeout):
        calls.append(command)
        return 0, '', ''

    made = Transaction(box, run_command, wait=lambda host, expected, timeout, give_up=None: [],
                       clock=lambda: 1000.0)
    made._reload_support = support or FakeSupport()
    made.default_expected = lambda: ('127.0.0.1', dict(https_enabled=True, https_port=8181, http_enabled=True,
                                                       http_port=8080))
    return made


def test_a_new_keystore_alone_is_reloaded_on_every_connector_that_serves_it(box, keystores):
    support, restarts = FakeSupport(), []
    made = transaction(box, 'auto', support, restarts)
    made.stage(str(box / 'ssl' / 'tomcat.keystore'), keystores[1])
    assert made.restart_and_verify() == [str(box / 'ssl' / 'tomcat.keystore')]
    assert support.calls == [[8181, 50081]] and restarts == []
    assert made.activation_result() == dict(restarted=False, reloaded=True)
    assert made.pending() is None


def test_the_pending_key_removed_with_the_keystore_still_reloads_and_a_rollback_brings_it_back(box, keystores):
    """The import of a CSR's answer removes the pending key and request in its transaction: Tomcat never reads them."""
    state = box / '.telephony.starface'
    state.mkdir(mode=0o700)
    (state / 'pending-key.pem').write_bytes(b'pending key')
    (state / 'pending.csr').write_bytes(b'pending request')
    support = FakeSupport()
    made = transaction(box, 'auto', support)
    made.stage(str(box / 'ssl' / 'tomcat.keystore'), keystores[1])
    for name in ('pending-key.pem', 'pending.csr'):
        made.stage(str(state / name), None)
    assert not (state / 'pending-key.pem').exists()
    assert made.activation_method(made.pending()) == ('reload', None)
    # Results name the box's files, not the collection's own.
    assert made.pending_files() == made.changed_files() == [str(box / 'ssl' / 'tomcat.keystore')]
    assert made.rollback(restart=False) == [str(box / 'ssl' / 'tomcat.keystore')]
    assert (state / 'pending-key.pem').read_bytes() == b'pending key'
    assert (state / 'pending.csr').read_bytes() == b'pending request'


def test_a_rollback_keeps_a_pending_key_made_after_the_import(box, keystores):
    """starface_csr made a new request while the import waited for its restart: the rollback must not undo that."""
    state = box / '.telephony.starface'
    state.mkdir(mode=0o700)
    (state / 'pending-key.pem').write_bytes(b'old pending key')
    made = transaction(box, 'restart')
    made.stage(str(box / 'ssl' / 'tomcat.keystore'), keystores[1])
    made.stage(str(state / 'pending-key.pem'), None)
    (state / 'pending-key.pem').write_bytes(b'newer pending key')
    made.rollback(restart=False)
    assert (state / 'pending-key.pem').read_bytes() == b'newer pending key'
    assert (box / 'ssl' / 'tomcat.keystore').read_bytes() == keystores[0]
    assert made.pending() is None


@pytest.mark.parametrize('why, reason', [
    (None, 'Tomcat reads %s only when it starts'),
    ('Tomcat is not running', 'a reload is not possible: Tomcat is not running'),
])
def test_auto_restarts_what_a_reload_cannot_apply_and_says_why(box, keystores, why, reason):
    support, restarts = FakeSupport(why_not=why), []
    made = transaction(box, 'auto', support, restarts)
    made.stage(str(box / 'ssl' / 'tomcat.keystore'), keystores[1])
    if why is None:
        made.stage(str(box / 'conf' / 'server.xml'), SERVER_XML.replace('8080', '8088').encode())
    made.restart_and_verify()
    assert restarts == ['restart-tomcat'] and support.calls == []
    assert made.activation_result() == dict(restarted=True, reloaded=False,
                                            restart_reason=reason.replace('%s', str(box / 'conf' / 'server.xml')))


def test_restart_is_the_default_and_never_reloads(box, keystores):
    support, restarts = FakeSupport(), []
    made = transaction(box, None, support, restarts)
    made.stage(str(box / 'ssl' / 'tomcat.keystore'), keystores[1])
    made.restart_and_verify()
    assert restarts == ['restart-tomcat'] and support.calls == []
    assert made.activation_result() == dict(restarted=True, reloaded=False)


def test_reload_refuses_a_change_that_needs_a_restart_and_puts_back_this_runs_files(box):
    made = transaction(box, 'reload')
    web_xml = str(box / 'conf' / 'web.xml')
    made.stage(web_xml, b'<web-app>changed</web-app>\n')
    with pytest.raises(StarfaceError) as caught:
        made.restart_and_verify()
    assert caught.value.field == 'activation'
    assert 'Tomcat reads %s only when it starts' % web_xml in caught.value.msg
    with open(web_xml) as handle:
        assert handle.read() == '<web-app/>\n'
    assert made.pending() is None


def test_a_keystore_tomcat_could_not_read_is_refused_before_activation(box, keystores):
    support, restarts = FakeSupport(), []
    made = transaction(box, 'reload', support, restarts)
    made.stage(str(box / 'ssl' / 'tomcat.keystore'), keystores[1][:-30] + b'\0' * 30)
    with pytest.raises(StarfaceError) as caught:
        made.restart_and_verify()
    assert caught.value.msg.startswith('The new keystore was not activated: the keystore %s of the connector on port '
                                       '8181 cannot be read as Tomcat reads it' % (box / 'ssl' / 'tomcat.keystore'))
    assert support.calls == [] and restarts == []
    with open(str(box / 'ssl' / 'tomcat.keystore'), 'rb') as handle:
        assert handle.read() == keystores[0]
    assert made.pending() is None


def test_a_failed_reload_puts_the_old_keystore_back_and_reloads_it(box, keystores):
    reason = 'java.lang.IllegalArgumentException: Error creating SSLContext'
    support, restarts = FakeSupport(answers=[(None, {8181: reason}, []), (None, {}, [])]), []
    made = transaction(box, 'reload', support, restarts)
    made.stage(str(box / 'ssl' / 'tomcat.keystore'), keystores[1])
    with pytest.raises(StarfaceError) as caught:
        made.restart_and_verify()
    assert caught.value.msg.startswith('Tomcat did not serve the new keystore after the reload: Tomcat did not take '
                                       'the keystore on port 8181: "%s".' % reason), caught.value.msg
    assert 'The previous configuration was restored and the web server reloaded;' in caught.value.msg
    assert caught.value.details['rolled_back'] is True
    assert support.calls == [[8181, 50081], [8181, 50081]] and restarts == []
    with open(str(box / 'ssl' / 'tomcat.keystore'), 'rb') as handle:
        assert handle.read() == keystores[0]


def test_when_reloading_the_old_keystore_fails_too_the_web_server_is_restarted(box, keystores):
    support, restarts = FakeSupport(answers=[(None, {8181: 'first'}, []), ("cannot reach Tomcat's JVM", {}, [])]), []
    made = transaction(box, 'reload', support, restarts)
    made.stage(str(box / 'ssl' / 'tomcat.keystore'), keystores[1])
    with pytest.raises(StarfaceError) as caught:
        made.restart_and_verify()
    assert "the web server restarted, as reloading it failed too (cannot reach Tomcat's JVM)" in caught.value.msg
    assert restarts == ['restart-tomcat']
    assert os.path.exists(made.journal_path) is False


def test_a_reload_that_cannot_reach_tomcat_restarts_with_auto_and_says_why(box, keystores):
    support, restarts = FakeSupport(answers=[("cannot reach Tomcat's JVM", {}, [])]), []
    made = transaction(box, 'auto', support, restarts)
    made.stage(str(box / 'ssl' / 'tomcat.keystore'), keystores[1])
    made.restart_and_verify()
    assert restarts == ['restart-tomcat']
    assert made.activation_result() == dict(restarted=True, reloaded=False, restart_reason="the reload did not reach "
                                            "Tomcat: cannot reach Tomcat's JVM")
    with open(str(box / 'ssl' / 'tomcat.keystore'), 'rb') as handle:
        assert handle.read() == keystores[1]


def test_a_reload_that_cannot_reach_tomcat_is_refused_with_reload_and_the_files_put_back(box, keystores):
    support, restarts = FakeSupport(answers=[("cannot reach Tomcat's JVM", {}, [])]), []
    made = transaction(box, 'reload', support, restarts)
    made.stage(str(box / 'ssl' / 'tomcat.keystore'), keystores[1])
    with pytest.raises(StarfaceError) as caught:
        made.restart_and_verify()
    assert str(caught.value) == ("activation: The new keystore was not activated: cannot reach Tomcat's JVM. Nothing "
                                 "was reloaded or restarted; the previous files were put back.")
    assert restarts == []
    with open(str(box / 'ssl' / 'tomcat.keystore'), 'rb') as handle:
        assert handle.read() == keystores[0]
    assert made.pending() is None


def test_what_the_client_could_not_clean_up_is_warned_about(box, keystores):
    support = FakeSupport(answers=[(None, {}, ['the JMX agent ... stays'])])
    made = transaction(box, 'reload', support)
    made.stage(str(box / 'ssl' / 'tomcat.keystore'), keystores[1])
    made.restart_and_verify()
    warnings = []
    assert made.activation_result(warnings.append)['reloaded'] is True
    assert warnings == ['the JMX agent ... stays']

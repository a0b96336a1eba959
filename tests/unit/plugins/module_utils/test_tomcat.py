# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests for _tomcat: server.xml connectors and web.xml forced HTTPS, edited byte-preserving."""

from __future__ import annotations

import os
import re
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

from ansible_collections.telephony.starface.plugins.module_utils._appliance.tomcat import (
    ServerXml, WebXml, _comment_out, _uncomment,
)
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'tomcat')
MARKER = '<!-- telephony.starface disabled: '
LINE_ENDINGS = [pytest.param(False, id='lf'), pytest.param(True, id='crlf')]

NO_KEYSTORE = dict(keystore_file=None, keystore_password=None, keystore_type=None, key_alias=None,
                   key_password=None, style=None)

EXPECTED_SETTINGS = {
    'tomcat10-server.xml': dict(
        http_enabled=True, http_port=8080, https_enabled=True, https_port=8443, bind_address=None,
        http_address=None, https_address=None, redirect_port=8443, keystore_file='conf/localhost-rsa.jks',
        keystore_password='s3cret-Pw', keystore_type='JKS', key_alias='tomcat', key_password=None, style='current'),
    'tomcat10-server-plain.xml': dict(
        NO_KEYSTORE, http_enabled=True, http_port=8080, https_enabled=False, https_port=None, bind_address=None,
        http_address=None, https_address=None, redirect_port=8443),
    'legacy-server.xml': dict(
        http_enabled=True, http_port=80, https_enabled=True, https_port=443, bind_address=None,
        http_address=None, https_address=None, redirect_port=443, keystore_file='/opt/tomcat/ssl/tomcat.keystore',
        keystore_password='changeit', keystore_type='JKS', key_alias='tomcat', key_password='changeit',
        style='legacy'),
    'starface-server.xml': dict(
        http_enabled=True, http_port=80, https_enabled=True, https_port=443, bind_address=None,
        http_address=None, https_address=None, redirect_port=443, keystore_file='/opt/tomcat/ssl/tomcat.keystore',
        keystore_password='changeit', keystore_type='JKS', key_alias='tomcat', key_password=None, style='current'),
    'quirky-server.xml': dict(
        http_enabled=True, http_port=8080, https_enabled=True, https_port=8443, bind_address='127.0.0.1',
        http_address='127.0.0.1', https_address='127.0.0.1', redirect_port=8443,
        keystore_file='ssl/tomcat.keystore', keystore_password='pa"ss&<word', keystore_type='PKCS12',
        key_alias=None, key_password=None, style='current'),
}
BOTH_CONNECTORS = ['tomcat10-server.xml', 'legacy-server.xml', 'starface-server.xml', 'quirky-server.xml']

HTTPS_ONLY = '''<?xml version="1.0" encoding="UTF-8"?>
<Server port="-1" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector port="8443" SSLEnabled="true" scheme="https" secure="true">
      <SSLHostConfig><Certificate certificateKeystoreFile="ssl/tomcat.keystore" type="RSA"/></SSLHostConfig>
    </Connector>
    <Engine name="Catalina" defaultHost="localhost"/>
  </Service>
</Server>
'''
NO_CONNECTOR = '''<?xml version="1.0" encoding="UTF-8"?>
<Server port="-1" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <!-- connectors go here -->
      <Engine name="Catalina" defaultHost="localhost"/>
  </Service>
</Server>
'''
NO_REDIRECT = '''<Server>
  <Service name="Catalina">
    <Connector port="80" protocol="HTTP/1.1"/>
    <Engine name="Catalina" defaultHost="localhost"/>
  </Service>
</Server>
'''
SPLIT_ADDRESSES = '''<Server>
  <Service name="Catalina">
    <Connector port="80" address="192.0.2.1"/>
    <Connector port="443" SSLEnabled="true" keystoreFile="ssl/tomcat.keystore"/>
    <Engine name="Catalina" defaultHost="localhost"/>
  </Service>
</Server>
'''

NEW_HTTPS = (
    '<Connector port="443" protocol="org.apache.coyote.http11.Http11NioProtocol" SSLEnabled="true"'
    ' maxThreads="150" scheme="https" secure="true">{nl}{indent}    <SSLHostConfig>{nl}{indent}        <Certificate'
    ' certificateKeystoreFile="ssl/tomcat.keystore" certificateKeystorePassword="changeit"'
    ' certificateKeyAlias="tomcat" certificateKeystoreType="JKS" type="RSA"/>{nl}{indent}    </SSLHostConfig>'
    '{nl}{indent}</Connector>')


def fixture(name, crlf=False):
    """Return a fixture file as text, with CRLF line endings if asked."""
    with open(os.path.join(FIXTURES, name), 'rb') as handle:
        text = handle.read().decode('utf-8').replace('\r\n', '\n')
    return text.replace('\n', '\r\n') if crlf else text


def replaced(text, old, new, count=1):
    """Return text with old replaced by new, checking old occurs exactly count times."""
    assert text.count(old) == count
    return text.replace(old, new)


def with_newlines(text, crlf):
    """Return a LF text with CRLF line endings if asked."""
    return text.replace('\n', '\r\n') if crlf else text


def expected_after(before, desired):
    """Return the settings a render of desired should lead to from before (connectors that exist)."""
    after = dict(before)
    for key, value in desired.items():
        if value is None:
            continue
        if key == 'bind_address':
            for kind in ('http', 'https'):
                if before[kind + '_port'] is not None:
                    after[kind + '_address'] = value or None
            after['bind_address'] = value or None
        else:
            after[key] = value
    return after


def live_ports(text):
    """Return the ports of the connectors of the first service as Python's XML parser sees them."""
    service = ElementTree.fromstring(text).find('Service')
    return sorted(int(connector.get('port')) for connector in service.findall('Connector'))


def comment_bodies(text):
    """Return the bodies of all XML comments."""
    return re.findall(r'<!--(.*?)-->', text, re.S)


@pytest.mark.parametrize('crlf', LINE_ENDINGS)
@pytest.mark.parametrize('name', sorted(EXPECTED_SETTINGS))
def test_settings(name, crlf):
    assert ServerXml(fixture(name, crlf)).settings() == EXPECTED_SETTINGS[name]


@pytest.mark.parametrize('crlf', LINE_ENDINGS)
@pytest.mark.parametrize('name', sorted(EXPECTED_SETTINGS))
def test_render_of_current_settings_changes_nothing(name, crlf):
    server = ServerXml(fixture(name, crlf))
    assert server.render(server.settings()) == server.text


def test_bytes_are_read_as_utf8():
    data = fixture('starface-server.xml').encode('utf-8')
    assert ServerXml(data).settings() == EXPECTED_SETTINGS['starface-server.xml']


@pytest.mark.parametrize('cls, field', [(ServerXml, 'server_xml'), (WebXml, 'web_xml')])
def test_bytes_not_utf8(cls, field):
    with pytest.raises(StarfaceError) as err:
        cls(b'<?xml version="1.0"?>\n<Server>\xff</Server>')
    assert err.value.field == field
    assert 'not UTF-8' in err.value.msg


@pytest.mark.parametrize('ignore_ports, http_port, https_port', [
    ((50080, 50081), 80, 443),
    ((), 50080, 50081),
    ((50080,), 80, 50081),
])
def test_ignore_ports(ignore_ports, http_port, https_port):
    found = ServerXml(fixture('starface-server.xml'), ignore_ports=ignore_ports).settings()
    assert (found['http_port'], found['https_port']) == (http_port, https_port)


@pytest.mark.parametrize('crlf', LINE_ENDINGS)
@pytest.mark.parametrize('name, desired, old, new', [
    ('tomcat10-server.xml', dict(http_port=80), '<Connector port="8080"', '<Connector port="80"'),
    ('tomcat10-server.xml', dict(https_port=443), '-->\n\n    <Connector port="8443"',
     '-->\n\n    <Connector port="443"'),
    ('legacy-server.xml', dict(https_port=8443), 'port="443" protocol="org', 'port="8443" protocol="org'),
    ('starface-server.xml', dict(http_port=8080), '<Connector port="80" ', '<Connector port="8080" '),
    ('starface-server.xml', dict(https_port=4443), '<Connector port="443" ', '<Connector port="4443" '),
    ('quirky-server.xml', dict(http_port=81), "port = '8080'", "port = '81'"),
    ('quirky-server.xml', dict(https_port=4443), "<Connector port='8443'", "<Connector port='4443'"),
    ('starface-server.xml', dict(http_enabled=True, http_port=80, https_enabled=True, https_port=443), '', ''),
])
def test_port_change_touches_only_that_value(name, desired, old, new, crlf):
    text = fixture(name, crlf)
    result = ServerXml(text).render(desired)
    assert result == (replaced(text, with_newlines(old, crlf), with_newlines(new, crlf)) if old else text)
    assert ServerXml(result).settings() == expected_after(EXPECTED_SETTINGS[name], desired)


@pytest.mark.parametrize('crlf', LINE_ENDINGS)
@pytest.mark.parametrize('kinds', [('http',), ('https',), ('http', 'https')])
@pytest.mark.parametrize('name', BOTH_CONNECTORS)
def test_disable_enable_round_trip(name, kinds, crlf):
    text = fixture(name, crlf)
    before = EXPECTED_SETTINGS[name]
    disabled = ServerXml(text).render(dict((kind + '_enabled', False) for kind in kinds))
    found = ServerXml(disabled).settings()
    assert found == dict(before, **dict((kind + '_enabled', False) for kind in kinds))
    assert disabled.count(MARKER) == len(kinds)
    for kind in kinds:
        assert before[kind + '_port'] not in live_ports(disabled)
    assert all('--' not in body and not body.endswith('-') for body in comment_bodies(disabled))
    assert ServerXml(disabled).render(found) == disabled
    assert ServerXml(disabled).render(dict((kind + '_enabled', True) for kind in kinds)) == text


def test_disabled_marker_format():
    text = fixture('starface-server.xml')
    disabled = ServerXml(text).render(dict(http_enabled=False))
    line = ('<Connector port="80" protocol="HTTP/1.1" connectionTimeout="20000" redirectPort="443" '
            'URIEncoding="UTF-8"/>')
    assert disabled == replaced(text, '    ' + line, '    <!-- telephony.starface disabled: %s -->' % line)


def test_double_hyphen_in_connector_is_escaped():
    text = fixture('quirky-server.xml')
    disabled = ServerXml(text).render(dict(http_enabled=False, https_enabled=False))
    assert "server='Apache -&#45; &apos;PBX&apos; &#38;#38; more'/> -->" in disabled
    assert '<!-&#45; HTTP/2 for the web UI -&#45;>' in disabled
    assert live_ports(disabled) == [8082]
    assert ServerXml(disabled).render(dict(http_enabled=True, https_enabled=True)) == text


@given(st.text(alphabet='-&#;3458<>a \n'))
def test_marker_escaping_is_reversible(inner):
    text = '<' + inner + '>'
    body = _comment_out(text)[len('<!--'):-len('-->')]
    assert '--' not in body
    assert not body.endswith('-')
    assert _uncomment(body) == text


def test_other_comments_are_not_markers():
    assert _uncomment(' <Connector port="80"/> ') is None


HAND_MARKER = '<!--telephony.starface disabled:<Connector port="81" protocol="HTTP/1.1"/>-->'
HAND_MARKED = ('<Server><Service>\n  %s\n  <Connector port="443" SSLEnabled="true" keystoreFile="k"/>\n'
               '  <Engine name="e"/></Service></Server>' % HAND_MARKER)


def test_marker_in_other_spacing_is_read_and_kept():
    server = ServerXml(HAND_MARKED)
    found = server.settings()
    assert (found['http_enabled'], found['http_port'], found['https_port']) == (False, 81, 443)
    assert server.render(dict(http_enabled=False, https_port=8443)) == replaced(HAND_MARKED, '"443"', '"8443"')
    assert server.render(dict(http_enabled=True)) == replaced(HAND_MARKED, HAND_MARKER,
                                                              '<Connector port="81" protocol="HTTP/1.1"/>')


def test_live_connector_wins_over_disabled_one():
    text = replaced(HAND_MARKED, '<Connector port="443"', '<Connector port="8080"/>\n  <Connector port="443"')
    found = ServerXml(text).settings()
    assert (found['http_enabled'], found['http_port']) == (True, 8080)
    assert ServerXml(text).render(dict(http_port=80)) == replaced(text, '"8080"', '"80"')


@pytest.mark.parametrize('crlf', LINE_ENDINGS)
@pytest.mark.parametrize('name, kind, old, new', [
    ('tomcat10-server.xml', 'http', '<Connector port="8080"', '<Connector port="81"'),
    ('legacy-server.xml', 'https', 'port="443" protocol="org', 'port="4443" protocol="org'),
    ('quirky-server.xml', 'http', "port = '8080'", "port = '81'"),
])
def test_port_of_disabled_connector(name, kind, old, new, crlf):
    text = fixture(name, crlf)
    port = int(re.search(r'[0-9]+', new).group(0))
    disabled = ServerXml(text).render({kind + '_enabled': False})
    moved = ServerXml(disabled).render({kind + '_port': port})
    assert ServerXml(moved).settings()[kind + '_port'] == port
    assert ServerXml(moved).settings()[kind + '_enabled'] is False
    assert ServerXml(moved).render({kind + '_enabled': True}) == replaced(text, old, new)
    assert ServerXml(disabled).render({kind + '_enabled': True, kind + '_port': port}) == replaced(text, old, new)


@pytest.mark.parametrize('crlf', LINE_ENDINGS)
def test_enable_missing_https_connector(crlf):
    text = fixture('tomcat10-server-plain.xml', crlf)
    newline = '\r\n' if crlf else '\n'
    anchor = with_newlines('maxParameterCount="1000"\n               />\n    <!-- A "Connector" using', crlf)
    position = text.index(anchor) + len(with_newlines('maxParameterCount="1000"\n               />', crlf))
    result = ServerXml(text).render(dict(https_enabled=True))
    assert result == text[:position] + newline + '    ' + NEW_HTTPS.format(nl=newline, indent='    ') + text[position:]
    expected = dict(EXPECTED_SETTINGS['tomcat10-server-plain.xml'], https_enabled=True, https_port=443,
                    keystore_file='ssl/tomcat.keystore', keystore_password='changeit', keystore_type='JKS',
                    key_alias='tomcat', style='current')
    assert ServerXml(result).settings() == expected
    assert live_ports(result) == [443, 8080]


@pytest.mark.parametrize('constructor_keystore, render_keystore, expected', [
    (None, None, dict(keystore_file='ssl/tomcat.keystore', keystore_password='changeit', key_alias='tomcat',
                      keystore_type='JKS', key_password=None)),
    (dict(keystore_file='/opt/tomcat/ssl/tomcat.keystore'), dict(keystore_password='pw"<&\'', key_alias='pbx'),
     dict(keystore_file='/opt/tomcat/ssl/tomcat.keystore', keystore_password='pw"<&\'', key_alias='pbx',
          keystore_type='JKS', key_password=None)),
    (dict(keystore_type='PKCS12'), dict(key_password='keypw'),
     dict(keystore_file='ssl/tomcat.keystore', keystore_password='changeit', key_alias='tomcat',
          keystore_type='PKCS12', key_password='keypw')),
])
def test_new_https_connector_keystore(constructor_keystore, render_keystore, expected):
    server = ServerXml(fixture('tomcat10-server-plain.xml'), keystore=constructor_keystore)
    result = server.render(dict(https_enabled=True, https_port=8443, bind_address='127.0.0.1'),
                           keystore=render_keystore)
    found = ServerXml(result).settings()
    assert dict((key, found[key]) for key in expected) == expected
    assert (found['https_port'], found['https_address'], found['http_address']) == (8443, '127.0.0.1', '127.0.0.1')


@pytest.mark.parametrize('crlf', LINE_ENDINGS)
@pytest.mark.parametrize('desired, redirect', [
    (dict(http_enabled=True), '8443'),
    (dict(http_enabled=True, https_port=4443), '4443'),
    (dict(http_enabled=True, redirect_port=443, http_port=8080), '443'),
])
def test_enable_missing_http_connector(desired, redirect, crlf):
    text = with_newlines(HTTPS_ONLY, crlf)
    newline = '\r\n' if crlf else '\n'
    position = text.index('</Connector>') + len('</Connector>')
    result = ServerXml(text).render(desired)
    added = '<Connector port="%s" protocol="HTTP/1.1" connectionTimeout="20000" redirectPort="%s"/>' % (
        desired.get('http_port', 80), redirect)
    if 'https_port' in desired:
        text = replaced(text, 'port="8443"', 'port="%s"' % desired['https_port'])
    assert result == text[:position] + newline + '    ' + added + text[position:]
    found = ServerXml(result).settings()
    assert (found['http_enabled'], found['http_port'], found['redirect_port']) == (
        True, desired.get('http_port', 80), int(redirect))


@pytest.mark.parametrize('crlf', LINE_ENDINGS)
def test_enable_both_without_any_connector(crlf):
    text = with_newlines(NO_CONNECTOR, crlf)
    newline = '\r\n' if crlf else '\n'
    indent = '      '
    result = ServerXml(text).render(dict(http_enabled=True, https_enabled=True))
    http = '<Connector port="80" protocol="HTTP/1.1" connectionTimeout="20000" redirectPort="443"/>'
    https = NEW_HTTPS.format(nl=newline, indent=indent)
    assert result == replaced(text, indent + '<Engine', indent + http + newline + indent + https + newline
                              + indent + '<Engine')
    found = ServerXml(result).settings()
    assert (found['http_port'], found['https_port'], found['redirect_port']) == (80, 443, 443)


@pytest.mark.parametrize('name, desired', [
    ('tomcat10-server-plain.xml', dict(https_enabled=False, https_port=443)),
    ('tomcat10-server-plain.xml', dict(https_port=443)),
    ('tomcat10-server-plain.xml', dict(https_enabled=None)),
])
def test_missing_connector_not_enabled_is_not_created(name, desired):
    text = fixture(name)
    assert ServerXml(text).render(desired) == text


def test_enabling_a_disabled_connector_does_not_create_another():
    text = fixture('tomcat10-server.xml')
    disabled = ServerXml(text).render(dict(https_enabled=False))
    result = ServerXml(disabled).render(dict(https_enabled=True, https_port=443))
    assert result == replaced(text, '\n\n    <Connector port="8443"', '\n\n    <Connector port="443"')


@pytest.mark.parametrize('crlf', LINE_ENDINGS)
@pytest.mark.parametrize('text, desired, old, new', [
    (fixture('tomcat10-server.xml'), dict(redirect_port=443),
     'redirectPort="8443"\n               maxParameterCount="1000"\n               />\n    <!-- A "Connector" using',
     'redirectPort="443"\n               maxParameterCount="1000"\n               />\n    <!-- A "Connector" using'),
    (fixture('quirky-server.xml'), dict(redirect_port=443), "redirectPort='8443'", "redirectPort='443'"),
    (NO_REDIRECT, dict(redirect_port=443), '<Connector port="80" protocol="HTTP/1.1"/>',
     '<Connector port="80" protocol="HTTP/1.1" redirectPort="443"/>'),
    (HTTPS_ONLY, dict(redirect_port=443), '', ''),
])
def test_redirect_port(text, desired, old, new, crlf):
    text = with_newlines(text, crlf)
    result = ServerXml(text).render(desired)
    assert result == (replaced(text, with_newlines(old, crlf), with_newlines(new, crlf)) if old else text)
    if old:
        assert ServerXml(result).settings()['redirect_port'] == desired['redirect_port']


def test_redirect_port_of_disabled_http_connector():
    text = fixture('legacy-server.xml')
    disabled = ServerXml(text).render(dict(http_enabled=False))
    changed = ServerXml(disabled).render(dict(redirect_port=8443))
    assert ServerXml(changed).settings()['redirect_port'] == 8443
    assert ServerXml(changed).render(dict(http_enabled=True)) == replaced(
        text, 'redirectPort="443" />\n    <Connector port="443"', 'redirectPort="8443" />\n    <Connector port="443"')


@pytest.mark.parametrize('crlf', LINE_ENDINGS)
@pytest.mark.parametrize('name, address, edits', [
    ('tomcat10-server.xml', '192.0.2.10', [('\n               address="192.0.2.10"', '', 2)]),
    ('legacy-server.xml', '::1', [('\n               address="::1"', '', 1), (' address="::1"', '', 1)]),
    ('starface-server.xml', '192.0.2.10', [(' address="192.0.2.10"', '', 2)]),
    ('quirky-server.xml', '::1', [("address='::1'", "address='127.0.0.1'", 2)]),
    ('quirky-server.xml', '127.0.0.1', []),
    ('tomcat10-server.xml', '', []),
])
def test_bind_address(name, address, edits, crlf):
    """The diff is exactly the address attributes: undoing them by hand gives the original."""
    text = fixture(name, crlf)
    result = ServerXml(text).render(dict(bind_address=address))
    undone = result
    for old, new, count in edits:
        undone = replaced(undone, with_newlines(old, crlf), new, count)
    assert undone == text
    assert (result == text) == (not edits)
    assert ServerXml(result).settings() == expected_after(EXPECTED_SETTINGS[name], dict(bind_address=address))


@pytest.mark.parametrize('crlf', LINE_ENDINGS)
def test_bind_address_removed(crlf):
    text = fixture('quirky-server.xml', crlf)
    result = ServerXml(text).render(dict(bind_address=''))
    assert result == replaced(text, with_newlines("\n\t\t\taddress='127.0.0.1'", crlf), '', 2)
    found = ServerXml(result).settings()
    assert (found['bind_address'], found['http_address'], found['https_address']) == (None, None, None)


@pytest.mark.parametrize('name', ['tomcat10-server.xml', 'starface-server.xml', 'legacy-server.xml'])
def test_bind_address_added_then_removed_is_byte_exact(name):
    text = fixture(name)
    added = ServerXml(text).render(dict(bind_address='192.0.2.10', http_enabled=False))
    assert ServerXml(added).render(dict(bind_address='', http_enabled=True)) == text


def test_bind_address_differs():
    found = ServerXml(SPLIT_ADDRESSES).settings()
    assert (found['bind_address'], found['http_address'], found['https_address']) == (None, '192.0.2.1', None)
    joined = ServerXml(SPLIT_ADDRESSES).render(dict(bind_address='192.0.2.1'))
    assert ServerXml(joined).settings()['bind_address'] == '192.0.2.1'


@pytest.mark.parametrize('crlf', LINE_ENDINGS)
@pytest.mark.parametrize('name, keystore, edits', [
    ('tomcat10-server.xml',
     dict(keystore_file='ssl/tomcat.keystore', keystore_password='changeit', key_alias='tomcat',
          keystore_type='PKCS12'),
     [('certificateKeystoreFile="conf/localhost-rsa.jks"\n                         '
       'certificateKeystorePassword="s3cret-Pw"',
       'certificateKeystoreFile="ssl/tomcat.keystore"\n                         '
       'certificateKeystorePassword="changeit"'),
      ('type="RSA" />\n        </SSLHostConfig>\n    </Connector>\n\n    <!-- Define an AJP',
       'type="RSA" certificateKeystoreType="PKCS12" />\n        </SSLHostConfig>\n    </Connector>\n\n'
       '    <!-- Define an AJP')]),
    ('legacy-server.xml', dict(keystore_password='n3w&pw', key_password='n3w&pw', key_alias='tomcat'),
     [('keystorePass="changeit"', 'keystorePass="n3w&amp;pw"'), ('keyPass="changeit"', 'keyPass="n3w&amp;pw"')]),
    ('legacy-server.xml', dict(keystore_type='PKCS12', keystore_file='/opt/tomcat/ssl/tomcat.p12'),
     [('keystoreFile="/opt/tomcat/ssl/tomcat.keystore"', 'keystoreFile="/opt/tomcat/ssl/tomcat.p12"'),
      ('keystoreType="JKS"', 'keystoreType="PKCS12"')]),
    ('quirky-server.xml', dict(keystore_password="it's", key_alias='tomcat'),
     [("certificateKeystorePassword='pa\"ss&amp;&lt;word'", "certificateKeystorePassword='it&apos;s'"),
      ("certificateKeystoreType='PKCS12'\n\t\t\t\t\ttype='RSA'/>",
       "certificateKeystoreType='PKCS12'\n\t\t\t\t\ttype='RSA'\n\t\t\t\t\tcertificateKeyAlias=\"tomcat\"/>")]),
    ('starface-server.xml', dict(key_alias='pbx'), [('certificateKeyAlias="tomcat"', 'certificateKeyAlias="pbx"')]),
    ('starface-server.xml', dict(keystore_password='changeit', keystore_type='JKS'), []),
])
def test_set_keystore(name, keystore, edits, crlf):
    text = fixture(name, crlf)
    result = ServerXml(text).set_keystore(**keystore)
    expected = text
    for old, new in edits:
        expected = replaced(expected, with_newlines(old, crlf), with_newlines(new, crlf))
    assert result == expected
    found = ServerXml(result).settings()
    assert dict((key, found[key]) for key in keystore) == keystore
    assert found['style'] == EXPECTED_SETTINGS[name]['style']


def test_set_keystore_of_disabled_connector():
    text = fixture('starface-server.xml')
    disabled = ServerXml(text).render(dict(https_enabled=False))
    changed = ServerXml(disabled).set_keystore(key_alias='pbx')
    assert ServerXml(changed).settings()['https_enabled'] is False
    assert ServerXml(changed).render(dict(https_enabled=True)) == replaced(
        text, 'certificateKeyAlias="tomcat"', 'certificateKeyAlias="pbx"')


def test_set_keystore_without_https():
    with pytest.raises(StarfaceError) as err:
        ServerXml(fixture('tomcat10-server-plain.xml')).set_keystore(key_alias='tomcat')
    assert err.value.field == 'server_xml'
    assert 'no HTTPS connector' in err.value.msg


SECRET = 'TopSecret-4711'


@pytest.mark.parametrize('cls, text, field, position', [
    (ServerXml, '<Server>\n  <Service>\n</Server>\n', 'server_xml', 'line 3, column 3'),
    (ServerXml, '<Server>\n  <Connector port="80" keystorePass="%s>\n</Server>' % SECRET, 'server_xml',
     'line 3, column 1'),
    (ServerXml, '', 'server_xml', 'line 1, column 1'),
    (WebXml, '<web-app>\n  <a>&nbsp;%s</a>\n</web-app>' % SECRET, 'web_xml', 'line 2, column 6'),
    (WebXml, '<web-app><a></b></web-app>', 'web_xml', 'line 1, column 15'),
])
def test_invalid_xml(cls, text, field, position):
    with pytest.raises(StarfaceError) as err:
        cls(text)
    assert err.value.field == field
    assert 'is not valid XML (%s)' % position in err.value.msg
    assert SECRET not in str(err.value)


@pytest.mark.parametrize('text, field, message', [
    ('<Server><Listener className="x"/></Server>', 'server_xml', 'has no <Service> element'),
    ('<Server>\n<Service>\n<!-- telephony.starface disabled: <Connector port="80"> -->\n</Service></Server>',
     'server_xml', 'line 3: the comment "telephony.starface disabled:" no longer holds one <Connector>'),
    ('<Server><Service><!-- telephony.starface disabled: <Engine/> --></Service></Server>', 'server_xml',
     'no longer holds one <Connector>'),
])
def test_server_xml_refused(text, field, message):
    with pytest.raises(StarfaceError) as err:
        ServerXml(text)
    assert err.value.field == field
    assert message in err.value.msg


@pytest.mark.parametrize('attribute, field', [
    ('port="${http.port}"', 'http_port'),
    ('port="80" redirectPort="https"', 'redirect_port'),
])
def test_port_that_is_not_a_number(attribute, field):
    text = '<Server><Service><Connector %s/><Engine name="e"/></Service></Server>' % attribute
    with pytest.raises(StarfaceError) as err:
        ServerXml(text).settings()
    assert err.value.field == field
    fixed = ServerXml(text).render(dict(http_port=80, redirect_port=443))
    assert (ServerXml(fixed).settings()['http_port'], ServerXml(fixed).settings()['redirect_port']) == (80, 443)


FINAL_KEYS = ('http_enabled', 'http_port', 'https_enabled', 'https_port', 'redirect_port')


def desired_states(original):
    """Return a strategy of desired states whose every change can be undone exactly."""
    addresses = [None, '127.0.0.1', '::1'] + ([''] if original['bind_address'] is None else [])
    return st.fixed_dictionaries(dict(
        http_enabled=st.sampled_from([None, True, False]),
        https_enabled=st.sampled_from([None, True, False]),
        http_port=st.sampled_from([None, 80, 81, 8080]),
        https_port=st.sampled_from([None, 443, 4443, 8443]),
        redirect_port=st.sampled_from([None, 443, 8443]),
        bind_address=st.sampled_from(addresses),
    ))


@pytest.mark.parametrize('crlf', LINE_ENDINGS)
@pytest.mark.parametrize('name', BOTH_CONNECTORS)
@hypothesis_settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_random_states_back_to_the_original(name, crlf, data):
    text = fixture(name, crlf)
    original = EXPECTED_SETTINGS[name]
    current = text
    for desired in data.draw(st.lists(desired_states(original), max_size=5)):
        before = ServerXml(current).settings()
        current = ServerXml(current).render(desired)
        server = ServerXml(current)
        assert server.settings() == expected_after(before, desired)
        assert server.render(server.settings()) == current
    final = dict((key, original[key]) for key in FINAL_KEYS)
    final['bind_address'] = original['bind_address'] or ''
    assert ServerXml(current).render(final) == text


# web.xml

BLOCK = '''{i}<!-- BEGIN telephony.starface force_https -->
{i}<security-constraint>
{i}{i}<web-resource-collection>
{i}{i}{i}<web-resource-name>telephony.starface: HTTPS only</web-resource-name>
{i}{i}{i}<url-pattern>/*</url-pattern>
{i}{i}</web-resource-collection>
{i}{i}<user-data-constraint>
{i}{i}{i}<transport-guarantee>CONFIDENTIAL</transport-guarantee>
{i}{i}</user-data-constraint>
{i}</security-constraint>
{i}<security-constraint>
{i}{i}<web-resource-collection>
{i}{i}{i}<web-resource-name>telephony.starface: ACME http-01 challenges also over HTTP</web-resource-name>
{i}{i}{i}<url-pattern>/.well-known/acme-challenge/*</url-pattern>
{i}{i}</web-resource-collection>
{i}{i}<user-data-constraint>
{i}{i}{i}<transport-guarantee>NONE</transport-guarantee>
{i}{i}</user-data-constraint>
{i}</security-constraint>
{i}<!-- END telephony.starface force_https -->
'''
TAB_WEB_XML = '<?xml version="1.0"?>\n<web-app version="4.0">\n\t<welcome-file-list/>\n\t</web-app>\n'
ONE_LINE_WEB_XML = '<web-app><welcome-file-list><welcome-file>index.html</welcome-file></welcome-file-list></web-app>'
FOREIGN = '''<?xml version="1.0"?>
<web-app>
  <!-- <security-constraint> in a comment does not count -->
  <security-constraint>
    <web-resource-collection>
      <web-resource-name>all</web-resource-name>
      <url-pattern>/*</url-pattern>
    </web-resource-collection>
    <user-data-constraint>
      <transport-guarantee>%s</transport-guarantee>
    </user-data-constraint>
  </security-constraint>
</web-app>
'''
COMMENTED_OUT = '''<web-app>
  <!--
  <security-constraint>
    <web-resource-collection><url-pattern>/*</url-pattern></web-resource-collection>
    <user-data-constraint><transport-guarantee>CONFIDENTIAL</transport-guarantee></user-data-constraint>
  </security-constraint>
  -->
  <security-constraint>
    <web-resource-collection><url-pattern>/admin/*</url-pattern></web-resource-collection>
    <user-data-constraint><transport-guarantee>CONFIDENTIAL</transport-guarantee></user-data-constraint>
  </security-constraint>
</web-app>
'''


def web_cases():
    """Return pytest params (text, expected text with our block) for the web.xml variants."""
    debian = fixture('tomcat10-web.xml')
    cases = []
    for crlf in (False, True):
        text = with_newlines(debian, crlf)
        block = with_newlines(BLOCK.format(i='    '), crlf)
        cases.append(pytest.param(text, replaced(text, '</web-app>', block + '</web-app>'),
                                  id='debian-' + ('crlf' if crlf else 'lf')))
    for text, before, indent, name in ((TAB_WEB_XML, '\t</web-app>', '\t', 'tabs'),
                                       (COMMENTED_OUT, '</web-app>', '  ', 'commented-out')):
        cases.append(pytest.param(text, replaced(text, before, BLOCK.format(i=indent) + before), id=name))
    inline = BLOCK.format(i='    ')[len('    '):]
    cases.append(pytest.param(ONE_LINE_WEB_XML, replaced(ONE_LINE_WEB_XML, '</web-app>', inline + '</web-app>'),
                              id='one-line'))
    return cases


def confidential_patterns(text):
    """Return the url-patterns Python's XML parser finds under CONFIDENTIAL constraints."""
    root = ElementTree.fromstring(text)
    found = []
    for constraint in root.iter():
        if not constraint.tag.endswith('security-constraint'):
            continue
        guarantees = [node.text for node in constraint.iter() if node.tag.endswith('transport-guarantee')]
        if 'CONFIDENTIAL' in guarantees:
            found.extend(node.text for node in constraint.iter() if node.tag.endswith('url-pattern'))
    return found


@pytest.mark.parametrize('text, forced', web_cases())
def test_force_https_round_trip(text, forced):
    web = WebXml(text)
    assert web.force_https() is False
    assert web.render(False) == text
    assert web.render(True) == forced
    assert '/*' in confidential_patterns(forced)
    assert WebXml(forced).force_https() is True
    assert WebXml(forced).render(True) == forced
    assert WebXml(forced).render(False) == text


@pytest.mark.parametrize('guarantee, forced', [('CONFIDENTIAL', True), ('INTEGRAL', True), ('NONE', False)])
def test_foreign_constraint(guarantee, forced):
    text = FOREIGN % guarantee
    web = WebXml(text)
    assert web.force_https() is forced
    if not forced:
        assert web.render(False) == text
        return
    assert web.render(True) == text
    with pytest.raises(StarfaceError) as err:
        web.render(False)
    assert err.value.field == 'force_https'
    assert 'conf/web.xml line 4 has a <security-constraint>' in err.value.msg
    assert 'not added by this collection' in err.value.msg


def test_foreign_constraint_next_to_ours():
    foreign = ('\t<security-constraint><web-resource-collection><url-pattern>/*</url-pattern>'
               '</web-resource-collection><user-data-constraint><transport-guarantee>CONFIDENTIAL'
               '</transport-guarantee></user-data-constraint></security-constraint>\n')
    ours = WebXml(TAB_WEB_XML).render(True)
    both = replaced(ours, '\t</web-app>', foreign + '\t</web-app>')
    assert WebXml(both).force_https() is True
    assert WebXml(both).render(True) == both
    with pytest.raises(StarfaceError) as err:
        WebXml(both).render(False)
    assert 'conf/web.xml line %d has a <security-constraint>' % ours.count('\n') in err.value.msg


def test_our_block_tampered_is_replaced():
    forced = WebXml(TAB_WEB_XML).render(True)
    tampered = replaced(forced, '>CONFIDENTIAL<', '>NONE<')
    web = WebXml(tampered)
    assert web.force_https() is False
    assert web.render(True) == forced
    assert web.render(False) == TAB_WEB_XML


@pytest.mark.parametrize('text, message', [
    ('<web-app>\n<!-- BEGIN telephony.starface force_https -->\n</web-app>', 'line 2: the markers'),
    ('<web-app>\n<!-- END telephony.starface force_https -->\n<!-- BEGIN telephony.starface force_https -->\n'
     '</web-app>', 'line 2: the markers'),
    ('<?xml version="1.0"?>\n<Server/>', 'has <Server> as its root element'),
])
def test_web_xml_refused(text, message):
    with pytest.raises(StarfaceError) as err:
        WebXml(text)
    assert err.value.field == 'web_xml'
    assert message in err.value.msg


AUDITED_HOST = '''<?xml version="1.0" encoding="UTF-8"?>
<Server port="8005" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector port="8080" protocol="HTTP/1.1" redirectPort="443"/>
    <Engine name="Catalina" defaultHost="localhost">
      <Host name="other" appBase="elsewhere"/>
      <Host name="localhost" appBase="webapps/localhost" unpackWARs="false" autoDeploy="false">
        <Context path="/manager" docBase="/usr/share/tomcat/manager"/>
        <Context path="" docBase="starface" reloadable="false"/>
      </Host>
    </Engine>
  </Service>
</Server>
'''


@pytest.mark.parametrize('text, expected', [
    (AUDITED_HOST, 'webapps/localhost/starface'),
    (AUDITED_HOST.replace('docBase="starface"', 'docBase="/srv/starface"'), '/srv/starface'),
    (AUDITED_HOST.replace('<Context path="" docBase="starface" reloadable="false"/>', ''), 'webapps/localhost/ROOT'),
    (AUDITED_HOST.replace(' appBase="webapps/localhost"', ''), 'webapps/starface'),
    (AUDITED_HOST.replace('defaultHost="localhost"', 'defaultHost="nowhere"'), 'elsewhere/ROOT'),
], ids=['root-context', 'absolute-docbase', 'no-root-context', 'default-appbase', 'first-host'])
def test_web_root_is_the_folder_the_default_host_serves_at_slash(text, expected):
    assert ServerXml(text).web_root() == expected


def test_web_root_of_the_tomcat10_fixture_is_webapps_root():
    with open(os.path.join(FIXTURES, 'starface-server.xml'), 'rb') as stream:
        assert ServerXml(stream.read()).web_root() == 'webapps/ROOT'

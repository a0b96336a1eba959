# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Forced HTTPS for the web UI alone: the rewrite valve in server.xml and our rules in rewrite.config.

What Tomcat does with them (phones on 50080 not redirected, exempted paths and ACME
challenges on plain HTTP) is checked on lab boxes in tests/integration/test_nat_box.py.
"""

from __future__ import annotations

import os
import re

import pytest

from ansible_collections.telephony.starface.plugins.module_utils._appliance.rewrite import (
    ForcedHttps, RewriteConfig, check_exempt_paths, rules)
from ansible_collections.telephony.starface.plugins.module_utils._appliance.tomcat import REWRITE_VALVE, ServerXml, WebXml
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'tomcat')
SERVER_FIXTURES = ['tomcat10-server.xml', 'legacy-server.xml', 'starface-server.xml', 'quirky-server.xml']
WEB_XML = '<?xml version="1.0"?>\n<web-app>\n    <display-name>x</display-name>\n</web-app>\n'


def fixture(name, crlf=False):
    """Return a fixture file as text, with CRLF line endings if asked."""
    with open(os.path.join(FIXTURES, name), 'rb') as handle:
        text = handle.read().decode('utf-8').replace('\r\n', '\n')
    return text.replace('\n', '\r\n') if crlf else text


@pytest.mark.parametrize('crlf', [False, True], ids=['lf', 'crlf'])
@pytest.mark.parametrize('name', SERVER_FIXTURES)
def test_rewrite_valve_is_added_to_the_default_host_and_removed_exactly(name, crlf):
    text = fixture(name, crlf)
    server = ServerXml(text)
    assert server.rewrite_valve() is None
    forced = server.with_rewrite_valve(True)
    again = ServerXml(forced)
    assert again.rewrite_valve() == 'ours'
    assert again.with_rewrite_valve(True) == forced
    assert again.with_rewrite_valve(False) == text
    assert again.settings() == server.settings()
    # The valve sits inside the default Host, in the file's line endings.
    host = re.search(r'<Host\b.*?</Host>', forced, re.S).group(0)
    assert 'className="%s"' % REWRITE_VALVE in host
    if crlf:
        assert '\n' not in forced.replace('\r\n', '')
    else:
        assert '\r\n' not in forced


def test_host_config_dir_names_engine_and_host():
    text = ('<Server><Service name="S"><Connector port="80"/><Engine name="Pbx" defaultHost="b">'
            '<Host name="a" appBase="x"></Host><Host name="b" appBase="y"></Host></Engine></Service></Server>')
    server = ServerXml(text)
    assert server.host_config_dir() == os.path.join('conf', 'Pbx', 'b')
    forced = server.with_rewrite_valve(True)
    assert forced.index(REWRITE_VALVE) > forced.index('<Host name="b"')


def test_a_rewrite_valve_someone_else_wrote_serves_our_rules_and_stays():
    text = fixture('tomcat10-server.xml').replace(
        '</Host>', '  <Valve className="%s" />\n      </Host>' % REWRITE_VALVE, 1)
    server = ServerXml(text)
    assert server.rewrite_valve() == 'foreign'
    assert server.with_rewrite_valve(True) == text
    assert server.with_rewrite_valve(False) == text


@pytest.mark.parametrize('tag', ['<Host name="localhost" appBase="webapps"/>', '<Host name="localhost"\n  appBase="x" />'])
def test_an_empty_host_element_is_opened_for_the_valve_and_closed_again(tag):
    text = ('<Server><Service><Connector port="80"/><Engine name="Catalina" defaultHost="localhost">\n'
            '    %s\n</Engine></Service></Server>' % tag)
    forced = ServerXml(text).with_rewrite_valve(True)
    assert ServerXml(forced).rewrite_valve() == 'ours'
    assert ServerXml(forced).with_rewrite_valve(False) == text


@pytest.mark.parametrize('paths', [['/addressbook/'], ['/a.b/', '/x(y)+z'], ["/all-of_(*+$!',;=:@%~-)/"], []])
def test_rules_redirect_the_ui_port_only_and_read_back(paths):
    lines = rules(8080, 443, paths)
    assert 'RewriteCond %{SERVER_PORT} ^8080$' in lines
    # The HTTPS connector is never caught, whatever its port.
    assert 'RewriteCond %{HTTPS} off' in lines
    # The exemptions are in the rule's pattern, matched against the normalized path.
    assert lines[-1].startswith('RewriteRule ^/(?!\\.well-known/acme-challenge/')
    assert lines[-1].endswith(')(.*)$ https://%1/$1 [R=302,L]')
    config = RewriteConfig(None).render(lines)
    read = RewriteConfig(config)
    assert read.forces() and read.block_rules() == lines
    assert read.exempt_paths() == paths
    assert read.https_port() == 443
    assert RewriteConfig(config).render(None) is None  # a file made for it goes with it


def test_rules_name_a_public_https_port_other_than_443():
    lines = rules(8080, 8443, [])
    assert lines[-1] == 'RewriteRule ^/(?!\\.well-known/acme-challenge/)(.*)$ https://%1:8443/$1 [R=302,L]'
    assert RewriteConfig(RewriteConfig(None).render(lines)).https_port() == 8443


@pytest.mark.parametrize('newline', ['\n', '\r\n'])
def test_block_in_a_file_someone_else_wrote_goes_first_and_comes_out_exactly(newline):
    theirs = newline.join(['# their rules', 'RewriteRule ^/old$ /new [R=301]', ''])
    lines = rules(80, 443, ['/phonebook/'])
    ours = RewriteConfig(theirs).render(lines)
    assert ours.endswith(theirs) and ours.index('telephony.starface') < ours.index('their rules')
    assert (newline == '\r\n') is ('\r\n' in ours)
    changed = RewriteConfig(ours).render(rules(80, 8443, []))
    assert RewriteConfig(changed).https_port() == 8443 and changed.endswith(theirs)
    assert RewriteConfig(changed).render(None) == theirs


def test_damaged_markers_are_refused():
    with pytest.raises(StarfaceError) as caught:
        RewriteConfig('# BEGIN telephony.starface force_https\nRewriteRule x y\n')
    assert 'damaged' in caught.value.msg and caught.value.field == 'force_https'


@pytest.mark.parametrize('path', ['addressbook', '/a b', '/x?y=1', '/x#y', 7])
def test_exempt_paths_must_be_url_paths(path):
    with pytest.raises(StarfaceError) as caught:
        check_exempt_paths([path])
    assert caught.value.field == 'force_https_exempt_paths'
    assert 'is not a URL path' in caught.value.msg and 'Nothing was changed' in caught.value.msg


DESIRED = dict(force_https=True, force_https_exempt_paths=['/addressbook/'], http_enabled=True, http_port=80,
               http_connector_port=8080, https_port=443)


def test_forced_https_files_on_and_off(tmp_path):
    server = ServerXml(fixture('starface-server.xml'))
    forced = ForcedHttps(str(tmp_path), server, WebXml(WEB_XML))
    assert forced.path == os.path.join(str(tmp_path), 'conf', 'Catalina', 'localhost', 'rewrite.config')
    assert not forced.forced()
    server_text, files = forced.changes(server.text, DESIRED)
    assert [path for path, dummy in files] == [forced.path]
    assert 'RewriteCond %{SERVER_PORT} ^8080$' in files[0][1]
    os.makedirs(os.path.dirname(forced.path))
    with open(forced.path, 'w', encoding='utf-8') as handle:
        handle.write(files[0][1])
    now = ForcedHttps(str(tmp_path), ServerXml(server_text), WebXml(WEB_XML))
    assert now.forced() and now.exempt_paths() == ['/addressbook/'] and now.https_port() == 443
    assert now.changes(server_text, DESIRED) == (server_text, [])
    back, files = now.changes(server_text, dict(DESIRED, force_https=False))
    assert back == server.text and files == [(now.path, None)]


def test_the_web_xml_block_of_earlier_versions_is_replaced(tmp_path):
    legacy = WebXml(WEB_XML).render(True)
    server = ServerXml(fixture('starface-server.xml'))
    forced = ForcedHttps(str(tmp_path), server, WebXml(legacy))
    assert forced.forced() and not forced.foreign_constraint()
    dummy, files = forced.changes(server.text, DESIRED)
    assert (None, WEB_XML) in files and any(path == forced.path for path, dummy in files)


def test_a_constraint_someone_else_wrote_stays_when_on_and_is_refused_when_off(tmp_path):
    theirs = WEB_XML.replace('</web-app>', '<security-constraint><web-resource-collection><url-pattern>/*</url-pattern>'
                             '</web-resource-collection><user-data-constraint><transport-guarantee>CONFIDENTIAL'
                             '</transport-guarantee></user-data-constraint></security-constraint>\n</web-app>')
    server = ServerXml(fixture('starface-server.xml'))
    forced = ForcedHttps(str(tmp_path), server, WebXml(theirs))
    assert forced.forced() and forced.foreign_constraint()
    dummy, files = forced.changes(server.text, DESIRED)
    assert [path for path, dummy in files] == [forced.path]
    with pytest.raises(StarfaceError) as caught:
        forced.changes(server.text, dict(DESIRED, force_https=False))
    assert 'was not added by this collection' in caught.value.msg


def test_host_names_count_in_lower_case_as_in_tomcat():
    text = ('<Server><Service><Connector port="80"/><Engine name="Catalina" defaultHost="LocalHost">'
            '<Host name="other" appBase="x"></Host><Host name="Localhost" appBase="y"></Host></Engine></Service></Server>')
    server = ServerXml(text)
    assert server.host_config_dir() == os.path.join('conf', 'Catalina', 'localhost')
    assert server.web_root() == os.path.join('y', 'ROOT')


def test_an_opened_host_that_got_other_children_is_not_closed_over_them():
    text = ('<Server><Service><Connector port="80"/><Engine name="Catalina" defaultHost="localhost">\n'
            '    <Host name="localhost" appBase="webapps"/>\n</Engine></Service></Server>')
    forced = ServerXml(text).with_rewrite_valve(True)
    theirs = forced.replace('</Host>', '    <Valve className="org.apache.catalina.valves.AccessLogValve"/>\n    </Host>')
    back = ServerXml(theirs).with_rewrite_valve(False)
    assert 'AccessLogValve' in back and REWRITE_VALVE not in back and 'telephony.starface' not in back


def test_our_markers_without_our_valve_get_a_whole_block_again():
    text = fixture('tomcat10-server.xml')
    forced = ServerXml(text).with_rewrite_valve(True)
    broken = forced.replace('<Valve className="%s"/>' % REWRITE_VALVE, '')
    assert ServerXml(broken).rewrite_valve() is None
    mended = ServerXml(broken).with_rewrite_valve(True)
    assert mended == forced
    assert ServerXml(mended).with_rewrite_valve(False) == text


def test_rules_someone_else_left_are_noticed_before_the_valve_wakes_them(tmp_path):
    server = ServerXml(fixture('starface-server.xml'))
    forced = ForcedHttps(str(tmp_path), server, WebXml(WEB_XML))
    assert not forced.wakes_other_rules()
    os.makedirs(os.path.dirname(forced.path))
    with open(forced.path, 'w', encoding='utf-8') as handle:
        handle.write('# old\nRewriteRule ^/a$ /b [R=301]\n')
    assert ForcedHttps(str(tmp_path), server, WebXml(WEB_XML)).wakes_other_rules()
    with_valve = ServerXml(server.with_rewrite_valve(True))
    assert not ForcedHttps(str(tmp_path), with_valve, WebXml(WEB_XML)).wakes_other_rules()

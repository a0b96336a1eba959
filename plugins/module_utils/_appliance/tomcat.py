# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Read and edit Tomcat's conf/server.xml and conf/web.xml as text, keeping every byte not changed."""

from __future__ import annotations

import functools
import os
import re
from xml.etree import ElementTree
from xml.parsers import expat

from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError


PROVISIONING_PORTS = (50080, 50081)
DISABLED_MARKER = 'telephony.starface disabled:'
FORCE_HTTPS_BEGIN = 'BEGIN telephony.starface force_https'
FORCE_HTTPS_END = 'END telephony.starface force_https'
# Added to the BEGIN marker in a <Host .../> that had to be opened for our valve.
EMPTY_HOST = ' (the Host was empty)'

# Tomcat's own defaults when an attribute is absent.
TOMCAT_KEYSTORE_PASSWORD = 'changeit'
TOMCAT_KEYSTORE_TYPE = 'JKS'

# What a new HTTPS connector points at unless told otherwise (the STARFACE layout).
DEFAULT_KEYSTORE = dict(keystore_file='ssl/tomcat.keystore', keystore_password='changeit',
                        key_alias='tomcat', keystore_type='JKS')

KEYSTORE_ATTRIBUTES = {
    'current': dict(keystore_file='certificateKeystoreFile', keystore_password='certificateKeystorePassword',
                    key_alias='certificateKeyAlias', keystore_type='certificateKeystoreType',
                    key_password='certificateKeyPassword'),
    'legacy': dict(keystore_file='keystoreFile', keystore_password='keystorePass', key_alias='keyAlias',
                   keystore_type='keystoreType', key_password='keyPass'),
}

NEW_HTTPS_PROTOCOL = 'org.apache.coyote.http11.Http11NioProtocol'

# Forced HTTPS for the web UI alone: Tomcat's rewrite valve in the default Host, whose rules
# (conf/<Engine>/<Host>/rewrite.config, see _rewrite.py) match the UI's HTTP port only.
REWRITE_VALVE = 'org.apache.catalina.valves.rewrite.RewriteValve'

_TOKEN = re.compile(r'''
    <!--(?P<comment>.*?)-->
  | <!\[CDATA\[.*?\]\]>
  | <\?.*?\?>
  | <!DOCTYPE(?:[^\[>]|\[.*?\])*>
  | </(?P<end>[^\s>]+)\s*>
  | <(?P<start>[^\s/>!?]+)(?:\s+[^\s=]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*(?P<empty>/?)>
''', re.S | re.X)
_ATTRIBUTE = re.compile(r'''(?P<space>\s+)(?P<name>[^\s=]+)\s*=\s*(?P<quote>["'])(?P<value>.*?)(?P=quote)''', re.S)
_REFERENCE = re.compile(r'&(#x[0-9A-Fa-f]+|#[0-9]+|[A-Za-z]+);')
_NAMED_REFERENCES = dict(amp='&', lt='<', gt='>', quot='"', apos="'")


class _Node:
    """An element or a comment of an XML text, by its position in that text."""

    def __init__(self, name, start, end, comment=None):
        self.name = name
        self.start = start
        self.head_end = end
        self.inner_end = end
        self.end = end
        self.comment = comment
        self.children = []

    @property
    def local_name(self):
        """Return the element name without a namespace prefix."""
        return self.name.split(':')[-1]


class _Attribute:
    """One attribute of a start tag: its value and where its parts are."""

    def __init__(self, match):
        self.value = _attribute_value(match.group('value'))
        self.quote = match.group('quote')
        self.space = match.group('space')
        self.start = match.start()
        self.value_start = match.start('value')
        self.value_end = match.end('value')
        self.end = match.end()


def _decode(data, field, name):
    """Return data as text; bytes must be UTF-8."""
    if isinstance(data, bytes):
        try:
            return data.decode('utf-8')
        except UnicodeDecodeError as exc:
            raise StarfaceError('%s is not UTF-8 text (byte %d): save it as UTF-8 or restore it from a backup'
                                % (name, exc.start), field=field)
    return data


# A module run reads server.xml and web.xml several times over (the plan rehearses several
# reconcilers, each reading the box); Tomcat's default web.xml alone is 4,700 lines. Parsing is a
# pure function of the text and nothing changes a parsed node afterwards, so the results for the
# last whole files (_well_formed, _root) are kept. Under Mitogen, where modules share an
# interpreter, the cache holds a few files' trees.
@functools.lru_cache(maxsize=8)
def _well_formed(text):
    """Return None for well-formed XML text; raise ElementTree.ParseError otherwise (not cached)."""
    ElementTree.fromstring(text)


def _check_well_formed(text, field, name):
    """Raise StarfaceError with line and column when text is not well-formed XML (never quoting the text)."""
    try:
        _well_formed(text)
    except ElementTree.ParseError as exc:
        line, column = exc.position
        raise StarfaceError('%s is not valid XML (line %d, column %d): %s. Fix the file by hand or restore it '
                            'from a backup.' % (name, line, column + 1, expat.ErrorString(exc.code)), field=field)


def _parse(text):
    """Return the top-level nodes (elements and comments) of well-formed XML text."""
    top = _Node(None, 0, 0)
    stack = [top]
    for match in _TOKEN.finditer(text):
        if match.group('comment') is not None:
            stack[-1].children.append(_Node(None, match.start(), match.end(), comment=match.group('comment')))
        elif match.group('start'):
            node = _Node(match.group('start'), match.start(), match.end())
            stack[-1].children.append(node)
            if not match.group('empty'):
                stack.append(node)
        elif match.group('end'):
            node = stack.pop()
            node.inner_end, node.end = match.start(), match.end()
    return top.children


@functools.lru_cache(maxsize=8)
def _root(text):
    """Return the document element of well-formed XML text (a whole file; shared: never change it)."""
    return [node for node in _parse(text) if node.comment is None][0]


def _elements(node, name):
    """Return the child elements of node with the given local name."""
    return [child for child in node.children if child.comment is None and child.local_name == name]


def _resolve_reference(match):
    """Return the character an entity or character reference stands for."""
    ref = match.group(1)
    if ref.startswith('#x'):
        return chr(int(ref[2:], 16))
    if ref.startswith('#'):
        return chr(int(ref[1:]))
    return _NAMED_REFERENCES.get(ref, match.group(0))


def _attribute_value(raw):
    """Return an attribute value as an XML parser reads it (whitespace normalized, references resolved)."""
    return _REFERENCE.sub(_resolve_reference, re.sub(r'\r\n|[\r\n\t]', ' ', raw))


def _element_text(text, node):
    """Return the stripped text content of a leaf element."""
    return _REFERENCE.sub(_resolve_reference, text[node.head_end:node.inner_end]).strip()


def _escape(value, quote):
    """Return value escaped for an attribute delimited by quote."""
    value = value.replace('&', '&amp;').replace('<', '&lt;')
    value = value.replace(quote, '&quot;' if quote == '"' else '&apos;')
    return value.replace('\t', '&#9;').replace('\n', '&#10;').replace('\r', '&#13;')


def _attributes(text, node):
    """Return the attributes of the start tag of node, by name, in document order."""
    result = {}
    match = _ATTRIBUTE.match(text, node.start + 1 + len(node.name))
    while match:
        result[match.group('name')] = _Attribute(match)
        match = _ATTRIBUTE.match(text, match.end())
    return result


def _attribute_values(text, node):
    """Return the attribute values of the start tag of node, by name."""
    return {name: attribute.value for name, attribute in _attributes(text, node).items()}


def _apply(text, edits):
    """Return text with the (start, end, replacement) edits applied; edits must not overlap."""
    for start, end, replacement in sorted(edits, key=lambda edit: (edit[0], edit[1]), reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _set_attributes(text, node, changes):
    """Return text with the start tag of node changed: changes maps names to values, None removes.

    An existing value is replaced in place (same quotes); a new attribute goes after the
    last one, with the same spacing that precedes the last one (so a removal undoes it).
    """
    attributes = _attributes(text, node)
    edits = []
    added = []
    for name, value in changes.items():
        attribute = attributes.get(name)
        if attribute is None:
            if value is not None:
                added.append((name, value))
        elif value is None:
            edits.append((attribute.start, attribute.end, ''))
        else:
            edits.append((attribute.value_start, attribute.value_end, _escape(value, attribute.quote)))
    if added:
        last = list(attributes.values())[-1] if attributes else None
        position = last.end if last else node.start + 1 + len(node.name)
        space = last.space if last else ' '
        edits.append((position, position, ''.join('%s%s="%s"' % (space, name, _escape(value, '"'))
                                                  for name, value in added)))
    return _apply(text, edits)


def _line(text, position):
    """Return the 1-based line number of a position."""
    return text.count('\n', 0, position) + 1


def _indentation(text, position):
    """Return the whitespace from the start of the line to position, or None if other text comes first."""
    line_start = max(text.rfind('\n', 0, position), text.rfind('\r', 0, position)) + 1
    head = text[line_start:position]
    return None if head.strip() else head


def _newline(text):
    """Return the line ending the text uses."""
    return '\r\n' if '\r\n' in text else '\n'


def _comment_out(text):
    """Return text inside our disabled marker comment, escaped reversibly so it holds no '--'."""
    return '<!-- %s %s -->' % (DISABLED_MARKER, text.replace('&#', '&#38;#').replace('--', '-&#45;'))


def _uncomment(body):
    """Return the text kept in our disabled marker comment body, or None for any other comment."""
    body = body.strip()
    if not body.startswith(DISABLED_MARKER):
        return None
    return body[len(DISABLED_MARKER):].strip().replace('-&#45;', '--').replace('&#38;#', '&#')


def _port_number(value, field, what, name):
    """Return a port attribute value as int (None when absent); refuse what is not a number."""
    if value is None:
        return None
    if not re.match(r'\s*[0-9]+\s*$', value):
        raise StarfaceError('%s sets the %s to %r, which is not a port number; this collection manages only '
                            'numeric ports: write the number into the file' % (name, what, value), field=field)
    return int(value)


class _Connector:
    """A <Connector> of the service, live or kept in our disabled marker, and where it sits in the file."""

    def __init__(self, text, start, end, enabled):
        self.text = text
        self.start = start
        self.end = end
        self.enabled = enabled
        self.node = _parse(text)[0]

    def attributes(self, node=None):
        """Return the attribute values of the connector (or of one of its descendants)."""
        return _attribute_values(self.text, node or self.node)

    def ssl_host_config(self):
        """Return the default <SSLHostConfig> of the connector, or None."""
        configs = _elements(self.node, 'SSLHostConfig')
        default = self.attributes().get('defaultSSLHostConfigName', '_default_')
        for config in configs:
            if self.attributes(config).get('hostName', '_default_') == default:
                return config
        return configs[0] if configs else None

    def kind(self, ignore_ports):
        """Return 'http', 'https' or None (AJP, provisioning port, TLS terminated elsewhere)."""
        attributes = self.attributes()
        port = attributes.get('port', '').strip()
        if 'AJP' in attributes.get('protocol', '').upper() or port in [str(p) for p in ignore_ports]:
            return None
        if (attributes.get('SSLEnabled', '').lower() == 'true' or 'keystoreFile' in attributes
                or self.ssl_host_config() is not None):
            return 'https'
        if attributes.get('scheme', '').lower() == 'https' or attributes.get('secure', '').lower() == 'true':
            return None
        return 'http'

    def keystore_node(self):
        """Return (node holding the keystore attributes, 'current' or 'legacy')."""
        config = self.ssl_host_config()
        if config is None:
            return self.node, 'legacy'
        certificates = _elements(config, 'Certificate')
        return (certificates[0] if certificates else config), 'current'

    def keystore(self):
        """Return the keystore settings of this HTTPS connector, with Tomcat's defaults applied."""
        node, style = self.keystore_node()
        names = KEYSTORE_ATTRIBUTES[style]
        values = self.attributes(node)
        return dict(
            keystore_file=values.get(names['keystore_file']),
            keystore_password=values.get(names['keystore_password'], TOMCAT_KEYSTORE_PASSWORD),
            keystore_type=values.get(names['keystore_type'], TOMCAT_KEYSTORE_TYPE),
            key_alias=values.get(names['key_alias']),
            key_password=values.get(names['key_password']),
            style=style,
        )


class ServerXml:
    """The web UI's HTTP and HTTPS connectors of conf/server.xml: read them, edit them byte-preserving.

    Only the first <Service> counts. Connectors that speak AJP, listen on ``ignore_ports``
    (STARFACE provisions phones on 50080/50081) or are marked secure without doing TLS
    themselves are left alone. A connector disabled by this collection stays in the file
    inside ``<!-- telephony.starface disabled: ... -->`` and is restored from there.
    """

    def __init__(self, text, ignore_ports=PROVISIONING_PORTS, keystore=None, name='conf/server.xml'):
        self.name = name
        self.text = _decode(text, 'server_xml', name)
        self.ignore_ports = tuple(ignore_ports)
        self.keystore = dict(DEFAULT_KEYSTORE)
        self.keystore.update(keystore or {})
        _check_well_formed(self.text, 'server_xml', name)
        services = _elements(_root(self.text), 'Service')
        if not services:
            raise StarfaceError('%s has no <Service> element: it is not a Tomcat server configuration this '
                                'collection can manage' % name, field='server_xml')
        self._service = services[0]
        connectors = [connector for connector in map(self._connector, self._service.children) if connector]
        self._anchor = connectors[-1] if connectors else None
        self._connectors = connectors
        found = dict(http=[], https=[])
        for connector in connectors:
            kind = connector.kind(self.ignore_ports)
            if kind:
                found[kind].append(connector)
        self._http = self._pick(found['http'])
        self._https = self._pick(found['https'])

    def _connector(self, child):
        """Return the connector a child node of the service is (live or in our marker), else None."""
        if child.comment is None and child.local_name == 'Connector':
            return _Connector(self.text[child.start:child.end], child.start, child.end, True)
        if child.comment is not None and _uncomment(child.comment) is not None:
            return _Connector(self._marker_text(child), child.start, child.end, False)
        return None

    def _marker_text(self, node):
        """Return the connector text kept in our marker comment, checked to be one <Connector>."""
        text = _uncomment(node.comment)
        try:
            element = ElementTree.fromstring(text)
        except ElementTree.ParseError:
            element = None
        if element is None or element.tag != 'Connector':
            raise StarfaceError('%s line %d: the comment "%s" no longer holds one <Connector> element. Restore '
                                'the connector it held by hand, or remove the comment'
                                % (self.name, _line(self.text, node.start), DISABLED_MARKER), field='server_xml')
        return text

    def web_root(self):
        """Return the folder the default Host serves at ``/``, as server.xml says (relative to CATALINA_BASE or absolute).

        The Host is the Engine's ``defaultHost`` (else the first Host); a ``<Context>`` in it
        with path "" or "/" gives the folder by its ``docBase`` (relative to the Host's
        ``appBase``); without one, Tomcat serves ``<appBase>/ROOT``. Context files in
        conf/Catalina/<host>/ are not read.
        """
        engine, host = self._default_host()
        if host is None:
            return None
        app_base = _attribute_values(self.text, host).get('appBase') or 'webapps'
        for context in _elements(host, 'Context'):
            values = _attribute_values(self.text, context)
            if values.get('path', '') in ('', '/') and values.get('docBase'):
                return os.path.join(app_base, values['docBase'])
        return os.path.join(app_base, 'ROOT')

    def _default_host(self):
        """Return (Engine, its default Host) of the service; None for what is missing."""
        engines = _elements(self._service, 'Engine')
        if not engines:
            return None, None
        engine = engines[0]
        hosts = _elements(engine, 'Host')
        if not hosts:
            return engine, None
        # Tomcat lower-cases Host names and defaultHost.
        default = (_attribute_values(self.text, engine).get('defaultHost') or '').lower()
        return engine, next((node for node in hosts
                             if (_attribute_values(self.text, node).get('name') or '').lower() == default), hosts[0])

    def host_config_dir(self):
        """Return the default Host's configuration folder, relative to CATALINA_BASE (conf/<Engine>/<Host>), or None.

        Tomcat's rewrite valve in that Host reads its rules from rewrite.config there.
        """
        engine, host = self._default_host()
        if host is None:
            return None
        engine_name = _attribute_values(self.text, engine).get('name') or 'Catalina'
        host_name = (_attribute_values(self.text, host).get('name') or 'localhost').lower()
        return os.path.join('conf', engine_name, host_name)

    def _rewrite_valves(self):
        """Return the default Host's rewrite valves as (node, ours) pairs."""
        dummy, host = self._default_host()
        if host is None:
            return []
        block = _marked_block(host, FORCE_HTTPS_BEGIN, FORCE_HTTPS_END, self.name, 'server_xml', self.text)
        return [(node, bool(block) and block[0].end <= node.start < block[1].start)
                for node in _elements(host, 'Valve')
                if _attribute_values(self.text, node).get('className', '').strip() == REWRITE_VALVE]

    def rewrite_valve(self):
        """Return 'ours' (in our marked block), 'foreign' (another rewrite valve) or None: the default Host's."""
        valves = self._rewrite_valves()
        if any(not ours for dummy, ours in valves):
            return 'foreign'
        return 'ours' if valves else None

    def with_rewrite_valve(self, wanted):
        """Return the text with our rewrite valve block added to the default Host (or removed: exactly undone).

        A rewrite valve someone else put there serves our rules as well: nothing is added then.
        """
        engine, host = self._default_host()
        if host is None:
            raise StarfaceError('%s has no <Host> in its <Engine>: forced HTTPS needs the Host that serves the web '
                                'UI' % self.name, field='server_xml')
        block = _marked_block(host, FORCE_HTTPS_BEGIN, FORCE_HTTPS_END, self.name, 'server_xml', self.text)
        if not wanted:
            if not block:
                return self.text
            inside = self.text[host.head_end:host.inner_end]
            alone = not (inside[:block[0].start - host.head_end] + inside[block[1].end - host.head_end:]).strip()
            if block[0].comment.strip() == FORCE_HTTPS_BEGIN + EMPTY_HOST and alone:
                # The Host was <Host .../> before, and holds nothing else now: it is again.
                start_tag = self.text[host.start:host.head_end]
                return self.text[:host.start] + start_tag[:-1] + '/>' + self.text[host.end:]
            return _without(self.text, block)
        if block and self.rewrite_valve() != 'ours':
            # Our markers without our valve (edited by hand): the block is written anew.
            return ServerXml(_without(self.text, block), self.ignore_ports, name=self.name).with_rewrite_valve(True)
        if self.rewrite_valve():
            return self.text
        lines = ['<!-- The web UI\'s HTTP port redirects to HTTPS by the rules in %s/rewrite.config -->'
                 % self.host_config_dir(),
                 '<Valve className="%s"/>' % REWRITE_VALVE,
                 '<!-- %s -->' % FORCE_HTTPS_END]
        if host.inner_end == host.end:
            # <Host .../> has no room for a valve: it becomes <Host ...>our block</Host>.
            newline = _newline(self.text)
            indent = _indentation(self.text, host.start) or ''
            inner = indent + ('\t' if '\t' in indent else '    ')
            tag = self.text[host.start:host.end]
            body = ''.join(inner + line + newline for line in ['<!-- %s -->' % (FORCE_HTTPS_BEGIN + EMPTY_HOST)] + lines)
            return self.text[:host.start] + tag[:-2] + '>' + newline + body + indent + '</Host>' + self.text[host.end:]
        return _with_lines_at_end(self.text, host, ['<!-- %s -->' % FORCE_HTTPS_BEGIN] + lines)

    @staticmethod
    def _pick(connectors):
        """Return the first live connector, else the first disabled one, else None."""
        live = [connector for connector in connectors if connector.enabled]
        return (live or connectors or [None])[0]

    def tls_connectors(self):
        """Return the live connectors that do TLS themselves (phone provisioning included): port and keystore settings."""
        found = []
        for connector in self._connectors:
            if connector.enabled and connector.kind(()) == 'https':
                port = _port_number(connector.attributes().get('port'), 'server_xml', 'port of a connector', self.name)
                found.append(dict(connector.keystore(), port=port))
        return found

    def settings(self):
        """Return the connector settings found (ports as int, keystore values with Tomcat's defaults).

        ``bind_address`` is the ``address`` both managed connectors share (None when absent
        or when they differ: see ``http_address``/``https_address``). A disabled connector
        still reports its port and address (what it gets when enabled again).
        """
        http, https = self._http, self._https
        http_values = http.attributes() if http else {}
        https_values = https.attributes() if https else {}
        addresses = [connector.attributes().get('address') for connector in (http, https) if connector]
        result = dict(
            http_enabled=bool(http and http.enabled),
            http_port=_port_number(http_values.get('port'), 'http_port', 'port of the HTTP connector', self.name),
            https_enabled=bool(https and https.enabled),
            https_port=_port_number(https_values.get('port'), 'https_port', 'port of the HTTPS connector',
                                    self.name),
            http_address=http_values.get('address'),
            https_address=https_values.get('address'),
            bind_address=addresses[0] if addresses and len(set(addresses)) == 1 else None,
            redirect_port=_port_number(http_values.get('redirectPort'), 'redirect_port',
                                       'redirectPort of the HTTP connector', self.name),
            keystore_file=None, keystore_password=None, keystore_type=None, key_alias=None, key_password=None,
            style=None,
        )
        if https:
            result.update(https.keystore())
        return result

    def render(self, desired, keystore=None):
        """Return the text with the desired settings applied; only keys present (and not None) count.

        Keys: http_enabled, http_port, https_enabled, https_port, bind_address ('' removes
        the address attribute), redirect_port. ``keystore`` (keystore_file,
        keystore_password, key_alias, keystore_type, key_password) is used only when an
        HTTPS connector has to be created. Checking that the result makes sense (not both
        disabled, distinct ports) is the caller's job.
        """
        edits = []
        created = []
        for kind, connector in (('http', self._http), ('https', self._https)):
            enabled = desired.get(kind + '_enabled')
            if connector is None:
                if enabled:
                    created.append(kind)
                continue
            text = _set_attributes(connector.text, connector.node, self._changes(kind, connector, desired))
            self._replace(edits, connector, text, connector.enabled if enabled is None else bool(enabled))
        if created:
            edits.append(self._insertion(created, desired, keystore))
        return _apply(self.text, edits)

    def set_keystore(self, keystore_file=None, keystore_password=None, key_alias=None, keystore_type=None,
                     key_password=None):
        """Return the text with the HTTPS connector's keystore attributes set (only those given), in its style."""
        connector = self._https
        if connector is None:
            raise StarfaceError('%s has no HTTPS connector to point at the keystore: enable HTTPS first'
                                % self.name, field='server_xml')
        given = dict(keystore_file=keystore_file, keystore_password=keystore_password, key_alias=key_alias,
                     keystore_type=keystore_type, key_password=key_password)
        current = connector.keystore()
        node, style = connector.keystore_node()
        changes = {KEYSTORE_ATTRIBUTES[style][key]: value for key, value in given.items()
                   if value is not None and value != current[key]}
        edits = []
        self._replace(edits, connector, _set_attributes(connector.text, node, changes), connector.enabled)
        return _apply(self.text, edits)

    @staticmethod
    def _changes(kind, connector, desired):
        """Return the attribute changes the desired settings need on this connector."""
        values = connector.attributes()
        changes = {}
        wanted = [('port', desired.get(kind + '_port'))]
        if kind == 'http':
            wanted.append(('redirectPort', desired.get('redirect_port')))
        for name, port in wanted:
            if port is not None and values.get(name, '').strip() != str(port):
                changes[name] = str(port)
        address = desired.get('bind_address')
        if address is not None and values.get('address') != (address or None):
            changes['address'] = address or None
        return changes

    @staticmethod
    def _replace(edits, connector, text, enabled):
        """Add the edit that puts text (live or in our marker) where the connector is, if anything changes."""
        if text != connector.text or enabled != connector.enabled:
            edits.append((connector.start, connector.end, text if enabled else _comment_out(text)))

    def _insertion(self, kinds, desired, keystore):
        """Return the edit that adds new connectors after the last connector, or else before the <Engine>."""
        newline = _newline(self.text)
        if self._anchor is not None:
            indent = _indentation(self.text, self._anchor.start) or ''
            texts = [self._new_connector(kind, desired, keystore, indent, newline) for kind in kinds]
            return self._anchor.end, self._anchor.end, ''.join(newline + indent + text for text in texts)
        engines = _elements(self._service, 'Engine')
        position = engines[0].start if engines else self._service.inner_end
        indent = _indentation(self.text, position) or ''
        texts = [self._new_connector(kind, desired, keystore, indent, newline) for kind in kinds]
        return position, position, ''.join(text + newline + indent for text in texts)

    def _new_connector(self, kind, desired, keystore, indent, newline):
        """Return the text of a new connector of the given kind."""
        address = [('address', desired['bind_address'])] if desired.get('bind_address') else []
        if kind == 'http':
            https_port = self._https.attributes().get('port') if self._https else None
            redirect = desired.get('redirect_port') or desired.get('https_port') or https_port or 443
            attributes = [('port', desired.get('http_port') or 80), ('protocol', 'HTTP/1.1'),
                          ('connectionTimeout', '20000'), ('redirectPort', redirect)] + address
            return '<Connector %s/>' % _attribute_list(attributes)
        store = dict(self.keystore)
        store.update(keystore or {})
        names = KEYSTORE_ATTRIBUTES['current']
        certificate = [(names[key], store[key]) for key in ('keystore_file', 'keystore_password', 'key_alias',
                                                            'keystore_type', 'key_password') if store.get(key)]
        attributes = [('port', desired.get('https_port') or 443), ('protocol', NEW_HTTPS_PROTOCOL),
                      ('SSLEnabled', 'true'), ('maxThreads', '150'), ('scheme', 'https'),
                      ('secure', 'true')] + address
        unit = '\t' if '\t' in indent else '    '
        lines = ['<Connector %s>' % _attribute_list(attributes),
                 unit + '<SSLHostConfig>',
                 unit * 2 + '<Certificate %s/>' % _attribute_list(certificate + [('type', 'RSA')]),
                 unit + '</SSLHostConfig>',
                 '</Connector>']
        return (newline + indent).join(lines)


def _attribute_list(attributes):
    """Return name="value" pairs for a new start tag."""
    return ' '.join('%s="%s"' % (name, _escape(str(value), '"')) for name, value in attributes)


class WebXml:
    """Forced HTTPS in conf/web.xml: a CONFIDENTIAL <security-constraint> on /*.

    This collection adds and removes only its own block between the markers
    ``<!-- BEGIN telephony.starface force_https -->`` and ``<!-- END ... -->``; a
    constraint someone else wrote is reported, never edited. INTEGRAL counts as
    CONFIDENTIAL (Tomcat treats both alike).
    """

    def __init__(self, text, name='conf/web.xml'):
        self.name = name
        self.text = _decode(text, 'web_xml', name)
        _check_well_formed(self.text, 'web_xml', name)
        self._root = _root(self.text)
        if self._root.local_name != 'web-app':
            raise StarfaceError('%s has <%s> as its root element, not <web-app>: it is not a web application '
                                'descriptor' % (name, self._root.name), field='web_xml')
        self._block = self._find_block()
        self._constraints = [node for node in _elements(self._root, 'security-constraint') if self._forces(node)]

    def _find_block(self):
        """Return (BEGIN comment, END comment) of our block, or None."""
        return _marked_block(self._root, FORCE_HTTPS_BEGIN, FORCE_HTTPS_END, self.name, 'web_xml', self.text)

    def _forces(self, node):
        """Return True if a <security-constraint> requires HTTPS on /*."""
        patterns = [_element_text(self.text, pattern) for collection in _elements(node, 'web-resource-collection')
                    for pattern in _elements(collection, 'url-pattern')]
        guarantees = [_element_text(self.text, guarantee).upper()
                      for constraint in _elements(node, 'user-data-constraint')
                      for guarantee in _elements(constraint, 'transport-guarantee')]
        return '/*' in patterns and bool(set(guarantees) & {'CONFIDENTIAL', 'INTEGRAL'})

    def _ours(self, node):
        """Return True if the node lies inside our marked block."""
        return bool(self._block) and self._block[0].end <= node.start < self._block[1].start

    def force_https(self):
        """Return True if a security-constraint (ours or not) forces HTTPS on /*."""
        return bool(self._constraints)

    def ours_only(self):
        """Return True if every constraint forcing HTTPS on /* lies in our block (True when there is none)."""
        return all(self._ours(node) for node in self._constraints)

    def render(self, force_https):
        """Return the text with our force_https block added or removed (exactly: removal undoes the addition)."""
        if force_https:
            if self._constraints:
                return self.text
            if self._block:
                return WebXml(self._without_block(), self.name).render(True)
            return self._with_block()
        foreign = [node for node in self._constraints if not self._ours(node)]
        if foreign:
            raise StarfaceError('%s line %d has a <security-constraint> that forces HTTPS (transport-guarantee '
                                'CONFIDENTIAL on /*) and was not added by this collection. Remove it by hand to '
                                'allow plain HTTP; this collection does not edit what it did not write'
                                % (self.name, _line(self.text, foreign[0].start)), field='force_https')
        return self._without_block() if self._block else self.text

    def _without_block(self):
        """Return the text without our block: its indentation and line ending go too."""
        return _without(self.text, self._block)

    def _with_block(self):
        """Return the text with our block just before </web-app>, indented like the other children."""
        children = [child for child in self._root.children if child.comment is None]
        indent = (_indentation(self.text, children[-1].start) if children else None) or '    '
        return _with_lines_at_end(self.text, self._root, _block_lines(indent), indent)


def _marked_block(parent, begin_text, end_text, name, field, text):
    """Return (BEGIN comment, END comment) among parent's children, or None; damaged markers raise."""
    comments = [child for child in parent.children if child.comment is not None]
    begins = [node for node in comments if node.comment.strip() in (begin_text, begin_text + EMPTY_HOST)]
    ends = [node for node in comments if node.comment.strip() == end_text]
    if not begins and not ends:
        return None
    if len(begins) != 1 or len(ends) != 1 or ends[0].start < begins[0].end:
        first = min(begins + ends, key=lambda node: node.start)
        raise StarfaceError('%s line %d: the markers "%s" and "%s" around the block this collection adds are '
                            'damaged (one BEGIN followed by one END expected). Remove the block by hand'
                            % (name, _line(text, first.start), begin_text, end_text), field=field)
    return begins[0], ends[0]


def _without(text, block):
    """Return text without the marked block (BEGIN, END): its indentation and line ending go too."""
    begin, end = block
    start = begin.start - len(_indentation(text, begin.start) or '')
    stop = end.end
    for newline in ('\r\n', '\n'):
        if text.startswith(newline, stop):
            stop += len(newline)
            break
    return text[:start] + text[stop:]


def _with_lines_at_end(text, parent, lines, indent=None):
    """Return text with lines added as parent's last children, indented like its children (removal undoes it).

    Lines given without indentation get the children's indentation (``indent``, else that of
    the last child, else the parent's plus four spaces).
    """
    newline = _newline(text)
    if indent is None:
        children = [child for child in parent.children if child.comment is None]
        indent = (_indentation(text, children[-1].start) if children else None)
        if indent is None:
            indent = (_indentation(text, parent.start) or '') + '    '
        lines = [indent + line for line in lines]
    block = ''.join(line + newline for line in lines)
    position = parent.inner_end
    before = _indentation(text, position)
    if before is None:
        return text[:position] + block[len(indent):] + text[position:]
    position -= len(before)
    return text[:position] + block + text[position:]


def _block_lines(indent):
    """Return the lines of our force_https block."""
    lines = ['<!-- %s -->' % FORCE_HTTPS_BEGIN]
    for name, pattern, guarantee in (
            ('telephony.starface: HTTPS only', '/*', 'CONFIDENTIAL'),
            ('telephony.starface: ACME http-01 challenges also over HTTP', '/.well-known/acme-challenge/*', 'NONE')):
        lines.extend([
            '<security-constraint>',
            indent + '<web-resource-collection>',
            indent * 2 + '<web-resource-name>%s</web-resource-name>' % name,
            indent * 2 + '<url-pattern>%s</url-pattern>' % pattern,
            indent + '</web-resource-collection>',
            indent + '<user-data-constraint>',
            indent * 2 + '<transport-guarantee>%s</transport-guarantee>' % guarantee,
            indent + '</user-data-constraint>',
            '</security-constraint>',
        ])
    lines.append('<!-- %s -->' % FORCE_HTTPS_END)
    return [indent + line for line in lines]

# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Forced HTTPS for the web UI alone: our block of rules in the Host's rewrite.config.

Tomcat's rewrite valve (in the default Host of server.xml, see _tomcat.ServerXml) reads
``conf/<Engine>/<Host>/rewrite.config`` when it starts. Our block redirects a request to
HTTPS only when it came in on the web UI's HTTP port, so that the phones' provisioning
connector (50080) and the paths an admin exempts (the SIP phones' address book) stay on
plain HTTP, and ACME http-01 challenges always do. The block sits between marker lines;
removing it gives back the file as it was, and a file made for it is removed with it.
"""

from __future__ import annotations

import os
import re

from ansible_collections.telephony.starface.plugins.module_utils._appliance.tomcat import ServerXml
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError

BEGIN = '# BEGIN telephony.starface force_https'
NEW_FILE = ' (file made for it)'
END = '# END telephony.starface force_https'
ACME_CHALLENGES = '/.well-known/acme-challenge/'
_PATH = re.compile(r'/[A-Za-z0-9._~!$&\'()*+,;=:@%/-]*\Z')
_TARGET = re.compile(r'RewriteRule \S+ https://%1(?::(?P<port>[0-9]+))?/')
# The exempt paths, escaped and without their leading /, are the alternatives of the rule's (?!...).
_EXEMPT = re.compile(r'RewriteRule \^/\(\?!(.*?)\)\(\.\*\)\$ ')


def check_exempt_paths(paths, field='force_https_exempt_paths'):
    """Return the paths, refusing any that is not an absolute URL path without spaces or query."""
    for path in paths or []:
        if not isinstance(path, str) or not _PATH.match(path):
            raise StarfaceError('%r is not a URL path: give paths such as /addressbook/ (starting with /, no spaces, '
                                'no ? or #). Nothing was changed.' % (path,), field=field)
    return list(paths or [])


def _java_regex_literal(text):
    """Return text escaped for a Java regular expression."""
    return re.sub(r'([\\.^$|?*+()\[\]{}])', r'\\\1', text)


def rules(port, https_port, exempt_paths):
    """Return the lines of our block's rules (without the markers).

    ``port``: the web UI's HTTP connector port (Tomcat's SERVER_PORT is the port the request
    came in on, the connector's, also behind NAT). ``https_port``: the public HTTPS port
    browsers are sent to. The exemptions sit in the rule's own pattern, which Tomcat matches
    against the normalized path: a raw path such as /.well-known/acme-challenge/..;/ cannot
    pass for one.
    """
    # %1: the host the browser asked for, from its Host header without the port. An IPv6
    # literal ([...]) is left out: Tomcat would escape its brackets in the Location.
    target = 'https://%1' + ('' if https_port == 443 else ':%d' % https_port) + '/$1'
    exempt = [ACME_CHALLENGES] + [path for path in exempt_paths if path != ACME_CHALLENGES]
    kept = '|'.join(_java_regex_literal(path[1:]) for path in exempt)
    return ['# The web UI answers only over HTTPS: a request on its HTTP connector (port %d) is redirected,' % port,
            '# except the paths the rule leaves out. Other connectors (phone provisioning) are not touched.',
            'RewriteCond %%{SERVER_PORT} ^%d$' % port,
            'RewriteCond %{HTTPS} off',
            r'RewriteCond %{HTTP_HOST} ^([^:\[\]]+)(:[0-9]+)?$',
            'RewriteRule ^/(?!%s)(.*)$ %s [R=302,L]' % (kept, target)]


class RewriteConfig:
    """A Host's rewrite.config, as found (``text`` None: there is none)."""

    def __init__(self, text, name='rewrite.config'):
        self.name = name
        self.text = text
        self._block = self._find_block() if text is not None else None

    def _find_block(self):
        """Return (start line, end line index, made the file) of our block, or None."""
        lines = self.text.splitlines()
        begins = [number for number, line in enumerate(lines) if line.strip().startswith(BEGIN)]
        ends = [number for number, line in enumerate(lines) if line.strip() == END]
        if not begins and not ends:
            return None
        if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
            raise StarfaceError('%s: the lines "%s" and "%s" around the rules this collection adds are damaged (one '
                                'BEGIN followed by one END expected). Remove the block by hand'
                                % (self.name, BEGIN, END), field='force_https')
        return begins[0], ends[0], lines[begins[0]].strip().endswith(NEW_FILE)

    def forces(self):
        """Return True if our block is in the file."""
        return self._block is not None

    def block_rules(self):
        """Return the rule lines of our block (None when there is none)."""
        if self._block is None:
            return None
        start, end, dummy = self._block
        return [line.rstrip('\r') for line in self.text.splitlines()[start + 1:end]]

    def exempt_paths(self):
        """Return the paths our block exempts, besides the ACME challenges ([] without a block)."""
        for line in self.block_rules() or []:
            match = _EXEMPT.match(line)
            if match:
                paths = ['/' + re.sub(r'\\(.)', r'\1', item) for item in match.group(1).split('|')]
                return [path for path in paths if path != ACME_CHALLENGES]
        return []

    def https_port(self):
        """Return the HTTPS port our block sends browsers to, or None without a block."""
        for line in self.block_rules() or []:
            match = _TARGET.match(line)
            if match:
                return int(match.group('port') or 443)
        return None

    def render(self, wanted_rules):
        """Return the file's new text with our block holding ``wanted_rules`` (None: removed; None text: no file).

        A new block goes first, so that its rules come before any others.
        """
        if wanted_rules is None:
            if self._block is None:
                return self.text
            start, end, made = self._block
            lines = self.text.splitlines(True)
            text = ''.join(lines[:start] + lines[end + 1:])
            return None if made and not text else text
        if self.text is None:
            return '\n'.join([BEGIN + NEW_FILE] + list(wanted_rules) + [END]) + '\n'
        newline = '\r\n' if '\r\n' in self.text else '\n'
        lines = self.text.splitlines(True)
        if self._block is None:
            return newline.join([BEGIN] + list(wanted_rules) + [END]) + newline + self.text
        start, end, dummy = self._block
        inner = ''.join(line + newline for line in wanted_rules)
        return ''.join(lines[:start + 1]) + inner + ''.join(lines[end:])


def read_optional(path, field):
    """Return the UTF-8 text of path, or None when it does not exist."""
    try:
        with open(path, 'rb') as handle:
            data = handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StarfaceError('cannot read %s: %s' % (path, exc.strerror or exc), field=field)
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError:
        raise StarfaceError('%s is not UTF-8 text' % path, field=field)


class ForcedHttps:
    """Forced HTTPS as the box has it, and the file changes that set it.

    Ours: the rewrite valve in server.xml's default Host and our block in its rewrite.config.
    Also counted as forced: a CONFIDENTIAL constraint on /* in conf/web.xml (someone else's,
    which catches every connector, or the block earlier versions of this collection wrote,
    which is replaced by the rewrite rules at the next change).
    """

    def __init__(self, tomcat_base, server, web):
        self.server = server
        self.web = web
        folder = server.host_config_dir()
        self.path = os.path.join(tomcat_base, folder, 'rewrite.config') if folder else None
        self.rewrite = RewriteConfig(read_optional(self.path, 'force_https') if self.path else None,
                                     self.path or 'rewrite.config')

    def forced(self):
        """Return True when HTTP requests to the web UI are sent to HTTPS."""
        return (self.rewrite.forces() and self.server.rewrite_valve() is not None) or self.web.force_https()

    def exempt_paths(self):
        """Return the paths our rules keep on plain HTTP (besides ACME challenges)."""
        return self.rewrite.exempt_paths()

    def https_port(self):
        """Return the HTTPS port forced requests are sent to: our rules', else None (Tomcat's redirectPort)."""
        return self.rewrite.https_port()

    def wakes_other_rules(self):
        """Return True when adding our valve would make Tomcat apply rules someone else left in rewrite.config."""
        if self.server.rewrite_valve() is not None or not self.rewrite.text:
            return False
        rest = self.rewrite.render(None) or ''
        return any(line.strip() and not line.strip().startswith('#') for line in rest.splitlines())

    def foreign_constraint(self):
        """Return True when conf/web.xml holds a CONFIDENTIAL constraint this collection did not write."""
        return self.web.force_https() and not self.web.ours_only()

    def changes(self, server_text, desired):
        """Return (server.xml text, [(path, text or None to remove)]) that give the desired forced HTTPS.

        ``server_text`` is server.xml after the connector changes; desired holds force_https,
        force_https_exempt_paths, http_enabled, http_port, http_connector_port and https_port
        (public ports, connector ports).
        """
        wanted = desired['force_https']
        files = []
        if wanted:
            port = desired.get('http_connector_port') or desired.get('http_port') or 80
            rules_text = rules(port, desired['https_port'], desired.get('force_https_exempt_paths') or [])
            if self.path is None:
                raise StarfaceError('%s has no <Host> in its <Engine>: forced HTTPS needs the Host that serves the web '
                                    'UI' % self.server.name, field='server_xml')
            if self.rewrite.block_rules() != rules_text:
                files.append((self.path, self.rewrite.render(rules_text)))
        elif self.rewrite.forces():
            files.append((self.path, self.rewrite.render(None)))
        # Any earlier block of ours in web.xml goes; someone else's constraint stays (refused below when off).
        web_text = self.web.render(False) if (not wanted or self.web.ours_only()) else self.web.text
        if web_text != self.web.text:
            files.append((None, web_text))
        server_text = ServerXml(server_text, ignore_ports=self.server.ignore_ports,
                                name=self.server.name).with_rewrite_valve(wanted)
        return server_text, files

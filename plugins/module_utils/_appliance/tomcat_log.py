# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What Tomcat writes while it starts: read from a restart on, so a run stops waiting as soon as Tomcat says why."""

from __future__ import annotations

import os
import re

# Tomcat's one-line log format: "02-Dec-2026 15:10:03.246 SEVERE [main] logger.method message".
RECORD_RE = re.compile(r'^\d{2}-\w{3}-\d{4} \d{2}:\d{2}:\d{2}(?:\.\d+)? (?P<level>[A-Z]+) \[[^\]]*\] \S+ (?P<text>.*)$')
# SEVERE records after which Tomcat will not serve what was configured: a connector (port or
# keystore) or the whole server failed to come up. A web application's own errors are not here:
# the check of /rest/login reports those.
STARTUP_FAILURE_RE = re.compile(r'Failed to (?:initialize|start) component \[(?:Connector|StandardServer|StandardService)'
                                r'|Failed to (?:initialize|start) connector'
                                r'|Error running command|required Server component failed to start'
                                r'|Protocol handler (?:initialization|start) failed')
# The port at the end of a connector's name: Connector["https-jsse-nio-127.0.0.1-8443"], Connector[HTTP/1.1-8080].
CONNECTOR_PORT_RE = re.compile(r'Connector\s*\[\s*"?[^\]"]*?-(\d+)"?\s*\]')
# The JVM itself did not start.
JVM_FAILURE_RE = re.compile(r'^(?:Error: Could not find or load main class .*|Error occurred during initialization '
                            r'of VM.*|Error: A JNI error has occurred.*)$')
CAUSE_RE = re.compile(r'^\s*Caused by: (?P<cause>.+)$')
EXCEPTION_RE = re.compile(r'^\s*(?P<cause>[\w$.]+(?:Exception|Error)(?::\s.*)?)$')
# Hints for a connector that could not bind its port (a BindException among the causes).
BIND_HINTS = (
    ('Address already in use', 'another program holds the port'),
    ('Permission denied', "Tomcat's user may not bind a port this low (below net.ipv4.ip_unprivileged_port_start)"),
)
# How much of the log one check reads at most (a start writes a few kilobytes).
READ_LIMIT = 4 * 1024 * 1024
QUOTE_LIMIT = 300
CAUSES_QUOTED = 2


def quoted(text):
    """Return text in quotes, shortened to a readable length."""
    text = text.strip()
    if len(text) > QUOTE_LIMIT:
        text = text[:QUOTE_LIMIT - 3] + '...'
    return '"%s"' % text


def startup_failure(text, ports=None):
    """Return why Tomcat did not start, quoting its log ``text``, or None when it names no such failure.

    With ``ports``, a connector's failure counts only when it is on one of them: a box may
    have connectors of its own that fail on every start (an AJP connector without its
    secret, say) while the ports that matter serve.
    """
    lines = text.splitlines()
    for number, line in enumerate(lines):
        record = RECORD_RE.match(line)
        if record and record.group('level') == 'SEVERE' and STARTUP_FAILURE_RE.search(record.group('text')):
            connector = CONNECTOR_PORT_RE.search(record.group('text'))
            if ports is not None and connector and int(connector.group(1)) not in ports:
                continue
            return what_tomcat_said(record.group('text'), causes(lines[number + 1:]))
        if JVM_FAILURE_RE.match(line.strip()):
            return what_tomcat_said(line, [])
    return None


def causes(following):
    """Return the causes in the stack trace that follows a SEVERE record, outermost first."""
    found = []
    for line in following:
        if RECORD_RE.match(line):
            break
        match = CAUSE_RE.match(line) or (None if found else EXCEPTION_RE.match(line))
        if match:
            found.append(match.group('cause').strip())
    return found


def what_tomcat_said(text, found):
    """Return the sentence that quotes Tomcat's record and its two innermost causes, with a hint where one helps."""
    innermost = [cause for cause in found[-CAUSES_QUOTED:] if cause not in text]
    said = quoted(text)
    if innermost:
        said += ', caused by %s' % ' and '.join(quoted(cause) for cause in innermost)
    bind_errors = [cause for cause in [text] + found if 'BindException' in cause]
    for words, hint in BIND_HINTS:
        if any(words in cause for cause in bind_errors):
            said += ' (%s)' % hint
            break
    return said


class TomcatLog:
    """Tomcat's console log (catalina.out), read from a mark on.

    ``mark()`` before a restart; ``failure()`` then returns Tomcat's own words when it logged
    that a connector or the server failed to start, or None. A log that is missing or
    unreadable tells nothing; one that was rotated or truncated since the mark is read from
    its start.
    """

    def __init__(self, path):
        self.path = path
        self.inode = None
        self.offset = 0

    def mark(self):
        """Remember where the log ends now: only what Tomcat writes from here on counts."""
        try:
            info = os.stat(self.path)
        except OSError:
            self.inode, self.offset = None, 0
            return
        self.inode, self.offset = info.st_ino, info.st_size

    def since_mark(self):
        """Return what was written to the log after the mark ('' when it cannot be read)."""
        try:
            with open(self.path, 'rb') as handle:
                info = os.fstat(handle.fileno())
                offset = self.offset if info.st_ino == self.inode and info.st_size >= self.offset else 0
                handle.seek(offset)
                return handle.read(READ_LIMIT).decode('utf-8', 'replace')
        except OSError:
            return ''

    def failure(self, ports=None):
        """Return why Tomcat did not start (on one of ``ports``, see startup_failure), in its words, or None."""
        said = startup_failure(self.since_mark(), ports)
        if said is None:
            return None
        return 'Tomcat logged in %s: %s' % (self.path, said)

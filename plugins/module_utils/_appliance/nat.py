# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""NAT redirects: the netfilter rules that send the public ports (80, 443) to Tomcat's connectors.

A box like the audited STARFACE runs Tomcat as an unprivileged user on 8080/8181; the kernel
redirects 80 and 443 there with rules in the ``nat`` table's PREROUTING chain, loaded at boot
from a file in iptables-save format (on EL ``/etc/sysconfig/iptables``). This module reads
those rules (``iptables-save -t nat``), edits the rules file as text, and changes one live rule
at a time with ``iptables``. A rule is kept as its iptables-save line, for example
``-A PREROUTING -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 8080``.
"""

from __future__ import annotations

import collections
import os
import shlex

from ansible_collections.telephony.starface.plugins.module_utils._appliance.command import run_with_deadline
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError


CHAIN = 'PREROUTING'
COMMAND_TIMEOUT = 30
# Where iptables lives on EL and Debian; a module's PATH (over SSH, from cron) may lack them.
SBIN = ['/usr/sbin', '/sbin', '/usr/local/sbin']

# public_port: the port browsers and phones use; connector_port: Tomcat's; line: the rule as
# iptables-save prints it; position: its place in the chain (1 is the first rule).
Redirect = collections.namedtuple('Redirect', 'public_port connector_port line position')


def parse_redirect(line, position=0):
    """Return the Redirect a PREROUTING rule line describes, or None when it is no single-port TCP redirect."""
    try:
        words = shlex.split(line)
    except ValueError:
        return None
    if words[:2] != ['-A', CHAIN]:
        return None
    options = {}
    for index, word in enumerate(words[:-1]):
        if word.startswith('-') and word not in options:
            options[word] = words[index + 1]
    if options.get('-p') != 'tcp' or '!' in words:
        return None
    public = options.get('--dport', '')
    if options.get('-j') == 'REDIRECT':
        target = options.get('--to-ports', '')
    elif options.get('-j') == 'DNAT':
        target = options.get('--to-destination', '').rpartition(':')[2]
    else:
        return None
    if not (public.isdigit() and target.isdigit()):
        return None  # port ranges and multiport rules are not ours to change
    return Redirect(int(public), int(target), line.strip(), position)


def nat_lines(text):
    """Return the rule lines of the ``*nat`` table in iptables-save text."""
    lines, inside = [], False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith('*'):
            inside = stripped == '*nat'
        elif stripped == 'COMMIT':
            inside = False
        elif inside and stripped.startswith('-A '):
            lines.append(stripped)
    return lines


def redirects_in(text):
    """Return the Redirects of the nat table's PREROUTING chain in iptables-save text, in chain order."""
    found, position = [], 0
    for line in nat_lines(text):
        if line.split()[1:2] == [CHAIN]:
            position += 1
            redirect = parse_redirect(line, position)
            if redirect:
                found.append(redirect)
    return found


def spec(line):
    """Return the words of a rule line after ``-A PREROUTING``, as iptables takes them."""
    return shlex.split(line)[2:]


def redirect_line(template, public_port, connector_port):
    """Return template's rule line with its public port and connector port replaced."""
    words = shlex.split(template.line)
    for index, word in enumerate(words[:-1]):
        if word == '--dport':
            words[index + 1] = str(public_port)
        elif word == '--to-ports':
            words[index + 1] = str(connector_port)
        elif word == '--to-destination':
            host = words[index + 1].rpartition(':')[0]
            words[index + 1] = '%s:%d' % (host, connector_port)
    return ' '.join(shlex.quote(word) for word in words)


def new_redirect_line(public_port, connector_port):
    """Return the rule line of a new redirect, written as STARFACE's rules are."""
    return '-A %s -p tcp -m tcp --dport %d -j REDIRECT --to-ports %d' % (CHAIN, public_port, connector_port)


def render_rules_file(text, changes, ahead_of=None):
    """Return the rules file text with each (before, after) rule line change made; after None removes the rule.

    A new rule (before None) goes before the line ``ahead_of`` where the file has it, else
    after the last PREROUTING rule of the ``*nat`` table. Raises
    StarfaceError when the file has no ``*nat`` table to hold it or no line to change.
    """
    newline = '\r\n' if '\r\n' in text else '\n'
    lines = text.splitlines()
    for before, after in changes:
        if before is not None:
            index = find_line(lines, before)
            if index is None:
                raise StarfaceError('the rules file has no line %r to change' % before, field='nat_rules_file')
            if after is None:
                del lines[index]
            else:
                lines[index] = after
            continue
        ahead = find_line(lines, ahead_of) if ahead_of else None
        lines.insert(insertion_point(lines) if ahead is None else ahead, after)
    return newline.join(lines) + (newline if text.endswith(('\n', '\r')) or not text else '')


def find_line(lines, rule):
    """Return the index of the nat table line equal to rule (words compared), or None."""
    inside, wanted = False, shlex.split(rule)
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith('*'):
            inside = stripped == '*nat'
        elif inside and stripped.startswith('-A ') and shlex.split(stripped) == wanted:
            return index
    return None


def insertion_point(lines):
    """Return where a new PREROUTING rule goes in the nat table of lines."""
    inside, point = False, None
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith('*'):
            inside = stripped == '*nat'
            if inside:
                point = index + 1
        elif inside and (stripped.startswith(':') or stripped.split()[:2] == ['-A', CHAIN]):
            point = index + 1
        elif inside and stripped == 'COMMIT':
            break
    if point is None:
        raise StarfaceError('the rules file has no *nat table for the redirect', field='nat_rules_file')
    return point


def find_program(name):
    """Return the absolute path of an executable (searched in PATH and the sbin folders), or None."""
    if os.path.isabs(name):
        return name if os.access(name, os.X_OK) else None
    folders = os.environ.get('PATH', '').split(os.pathsep) + SBIN
    for folder in folders:
        path = os.path.join(folder, name)
        if folder and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


class NatRules:
    """The box's live NAT rules and the file it loads them from at boot."""

    def __init__(self, box, run_command=None):
        self.box = box
        self.run_command = run_command or run_with_deadline
        self._live = None

    def run(self, argv, field):
        """Run an iptables program; return its output or raise StarfaceError with its words."""
        command = ' '.join(shlex.quote(word) for word in argv)
        try:
            rc, out, err = self.run_command(command, COMMAND_TIMEOUT)
        except OSError as exc:
            raise StarfaceError('cannot run `%s`: %s' % (command, exc.strerror or exc), field=field)
        if rc != 0:
            said = (err or out or '').strip().splitlines()
            raise StarfaceError('`%s` failed (exit code %s)%s' % (command, rc, (': %s' % said[-1]) if said else ''),
                                field=field)
        return out

    def available(self):
        """Return the iptables-save argv, or None: no such program, or the option is empty (no NAT to read)."""
        argv = shlex.split(self.box.iptables_save_command or '')
        if not argv:
            return None
        found = find_program(argv[0])
        return [found] + argv[1:] if found else None

    def live_text(self):
        """Return the live nat table as iptables-save prints it ('' when there is no iptables-save to run)."""
        if self._live is None:
            argv = self.available()
            self._live = self.run(argv + ['-t', 'nat'], 'iptables_save_command') if argv else ''
        return self._live

    def live(self):
        """Return the live PREROUTING redirects."""
        return redirects_in(self.live_text())

    def forget(self):
        """Read the live rules again at the next call (after a change)."""
        self._live = None

    def file_text(self):
        """Return the rules file's text, or None when it does not exist."""
        path = self.box.nat_rules_file
        if not path:
            return None
        try:
            with open(path, 'rb') as handle:
                return handle.read().decode('utf-8')
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StarfaceError('cannot read %s: %s' % (path, exc.strerror or exc), field='nat_rules_file')
        except UnicodeDecodeError:
            raise StarfaceError('%s is not UTF-8 text' % path, field='nat_rules_file')

    def saved(self):
        """Return the redirects of the rules file ([] when it does not exist)."""
        text = self.file_text()
        return redirects_in(text) if text is not None else []

    def drift(self):
        """Return the redirects that differ between the live rules and the file: dict(live_only, file_only)."""
        live = set(redirect.line for redirect in self.live())
        text = self.file_text()
        if text is None:
            return dict(live_only=sorted(live), file_only=[], file_missing=True)
        saved = set(redirect.line for redirect in redirects_in(text))
        return dict(live_only=sorted(live - saved), file_only=sorted(saved - live), file_missing=False)

    # Changing one live rule

    def iptables(self, *words):
        """Run the box's iptables command on the nat table with these words."""
        argv = shlex.split(self.box.iptables_command or '')
        found = find_program(argv[0]) if argv else None
        if not found:
            raise StarfaceError('cannot change the NAT rules: iptables_command %r is not a program on this box'
                                % (self.box.iptables_command or ''), field='iptables_command')
        return self.run([found] + argv[1:] + ['-t', 'nat'] + list(words), 'iptables_command')

    def position(self, line):
        """Return the live position of the rule line in PREROUTING, or None."""
        wanted = shlex.split(line)
        position = 0
        for live in nat_lines(self.live_text()):
            if live.split()[1:2] == [CHAIN]:
                position += 1
                if shlex.split(live) == wanted:
                    return position
        return None

    def apply(self, before, after, position=None):
        """Make the live chain hold rule ``after`` instead of ``before`` (either may be None); idempotent.

        A rule that is replaced keeps its place (``iptables -R``, no moment without a redirect);
        a new one goes to ``position`` (default: the end of the chain).
        """
        if before == after:
            return
        self.forget()
        where_before = self.position(before) if before else None
        where_after = self.position(after) if after else None
        try:
            if after and where_after is None and where_before is not None:
                self.iptables('-R', CHAIN, str(where_before), *spec(after))
            elif after and where_after is None:
                count = sum(1 for live in nat_lines(self.live_text()) if live.split()[1:2] == [CHAIN])
                place = position if position and position <= count + 1 else count + 1
                self.iptables('-I', CHAIN, str(place), *spec(after))
            elif before and where_before is not None:
                self.iptables('-D', CHAIN, *spec(before))
        finally:
            self.forget()

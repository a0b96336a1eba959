# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Order and verify a certificate chain: leaf, then intermediates, then root."""

from __future__ import annotations

from collections import namedtuple

from ansible_collections.telephony.starface.plugins.module_utils._crypto.x509 import (
    as_utc,
    basic_constraints,
    is_ca,
    is_self_signed,
    is_signed_by,
    iso_time,
    key_identifiers,
    may_sign_certificates,
    not_after,
    not_before,
    public_key_info,
    signature_hash_name,
    utc_now,
)
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError

_WEAK_HASHES = {'md5': 'MD5', 'sha1': 'SHA-1'}
_ROOT, _SELF_SIGNED, _OPEN = 'root', 'self-signed', 'open'


class Chain(namedtuple('Chain', ['leaf', 'intermediates', 'root', 'complete', 'unused'], defaults=(True, ()))):
    """A chain ordered leaf -> intermediates -> root.

    ``root`` is None when the chain ends at an intermediate whose issuer was not given
    (then ``complete`` is False) or when the leaf is self-signed. ``unused`` lists given
    certificates that belong to no chain (ignored extras).
    """

    __slots__ = ()

    @property
    def certificates(self) -> list:
        """Return the whole chain as one list, leaf first, root (when known) last."""
        return self.leaf_to_root(include_root=True)

    def leaf_to_root(self, include_root: bool = False) -> list:
        """Return the leaf and intermediates, and the root (when known) if ``include_root``."""
        root = [self.root] if include_root and self.root is not None else []
        return [self.leaf] + list(self.intermediates) + root


def _describe(cert) -> str:
    """Name a certificate in a message by its subject."""
    return "'%s'" % (cert.subject.rfc4514_string() or 'empty subject, serial %X' % cert.serial_number)


class _Graph:
    """Who issued whom among the given certificates and the optional root (signatures verified, cached)."""

    def __init__(self, certificates: list, root):
        self.certificates = certificates
        self.root = root
        self.loops = []
        self._issued = {}

    def issues(self, issuer, cert) -> bool:
        """Tell whether ``issuer`` issued ``cert``: names or key identifiers link them and the signature verifies."""
        if issuer == cert:
            return False
        if (issuer, cert) not in self._issued:
            self._issued[(issuer, cert)] = _linked(issuer, cert) and is_signed_by(cert, issuer)
        return self._issued[(issuer, cert)]

    def issuers(self, cert) -> list:
        """Return the given certificates that issued ``cert``, in input order."""
        return [candidate for candidate in self.certificates if self.issues(candidate, cert)]

    def paths(self, path: list):
        """Yield (path, end) for every way up from ``path[-1]``; paths that run into a loop are recorded."""
        cert = path[-1]
        if is_self_signed(cert):
            yield path, _SELF_SIGNED
            return
        by_root = self.root is not None and self.issues(self.root, cert)
        if by_root:
            yield path + [self.root], _ROOT
        issuers = self.issuers(cert)
        for issuer in issuers:
            if issuer in path:
                self.loops.append(path[path.index(issuer):] + [issuer])
            else:
                yield from self.paths(path + [issuer])
        if not issuers and not by_root:
            yield path, _OPEN


def _linked(issuer, cert) -> bool:
    """Tell whether ``issuer`` may have issued ``cert`` by name or key identifier (no conflicting identifiers)."""
    subject_key_id = key_identifiers(issuer)[0]
    authority_key_id = key_identifiers(cert)[1]
    if subject_key_id and authority_key_id:
        return subject_key_id == authority_key_id
    return issuer.subject == cert.issuer


def build_chain(certificates, root=None, now=None, allow_sha1=False, min_rsa_bits=2048, field=None) -> Chain:
    """Order ``certificates`` leaf -> intermediates -> root and check it; raise StarfaceError saying what is wrong."""
    now = as_utc(now) if now else utc_now()
    pool = _unique(certificates)
    if not pool:
        raise StarfaceError('no certificate given.', field=field)
    if root is not None and root in pool:
        pool.remove(root)
        if not pool:
            pool, root = [root], None
    graph = _Graph(pool, root)
    leaf = _find_leaf(graph, field)
    path, end = _choose_path(graph, leaf, now, field)
    unused = tuple(cert for cert in pool if cert not in path)
    if end == _OPEN and root is None and any(is_ca(cert) or is_self_signed(cert) for cert in unused):
        raise StarfaceError(_open_end_message(graph, path[-1]), field=field)
    anchored = end != _OPEN and len(path) > 1
    problems = _problems(path, anchored, now, allow_sha1, min_rsa_bits)
    if problems:
        raise StarfaceError('; '.join(problem.rstrip('.') for problem in problems) + '.', field=field,
                            details={'problems': problems})
    if not anchored:
        return Chain(leaf, path[1:], None, end != _OPEN, unused)
    return Chain(leaf, path[1:-1], path[-1], True, unused)


def _unique(certificates) -> list:
    """Return the certificates without repeats, in input order."""
    unique = []
    for cert in certificates:
        if cert not in unique:
            unique.append(cert)
    return unique


def _find_leaf(graph: _Graph, field):
    """Return the one certificate that issued none of the others and is not a CA."""
    pool = graph.certificates
    issuers = set(issuer for cert in pool for issuer in graph.issuers(cert))
    candidates = [cert for cert in pool if cert not in issuers]
    if not candidates:
        raise StarfaceError('the certificates form a loop (each one issued another), so none of them is the '
                            'server certificate: %s.' % ', '.join(_describe(cert) for cert in pool), field=field)
    leaves = [cert for cert in candidates if not is_ca(cert)]
    if len(leaves) > 1:
        raise StarfaceError('%d server certificates given: %s. Give only the one for this server, with its '
                            'intermediate certificates.'
                            % (len(leaves), ' and '.join('%s (valid until %s)' % (_describe(cert),
                                                                                  iso_time(not_after(cert)))
                                                         for cert in leaves)), field=field)
    if leaves:
        return leaves[0]
    if len(pool) == 1 and is_self_signed(pool[0]):
        return pool[0]
    raise StarfaceError('no server certificate given: %s %s a CA certificate (CA:TRUE). Give the certificate '
                        'the CA issued for this server, with its intermediate certificates.'
                        % (' and '.join(_describe(cert) for cert in candidates),
                           'is' if len(candidates) == 1 else 'are each'), field=field)


def _choose_path(graph: _Graph, leaf, now, field) -> tuple:
    """Return the best (path, end) from the leaf: to the given root, else to a self-signed root, else open."""
    wanted = (_ROOT,) if graph.root is not None else (_SELF_SIGNED, _OPEN)
    found = list(graph.paths([leaf]))
    good = [(path, end) for path, end in found if end in wanted]
    if good:
        return min(good, key=lambda item: (wanted.index(item[1]), not _all_valid(item[0], now), len(item[0])))
    if not found:
        loop = graph.loops[0]
        raise StarfaceError('the certificates form a loop: %s (each issued by the next), so the chain never reaches '
                            'a root. Remove the certificate that does not belong, or give the root.'
                            % ' -> '.join(_describe(cert) for cert in loop), field=field)
    path, end = found[0]
    if end == _SELF_SIGNED:
        ends, given = _describe(path[-1]), _describe(graph.root)
        raise StarfaceError('wrong root: the chain ends at %s, but the given root is %s. Give %s as root, or the '
                            'certificates that lead to %s.' % (ends, given, ends, given), field=field)
    raise StarfaceError(_open_end_message(graph, path[-1]), field=field)


def _all_valid(path: list, now) -> bool:
    """Tell whether every certificate of ``path`` is valid at ``now``."""
    return all(not_before(cert) <= now <= not_after(cert) for cert in path)


def _open_end_message(graph: _Graph, last) -> str:
    """Explain why the chain stops at ``last``: an issuer with the right name but another key, or a missing one."""
    same_name = [cert for cert in graph.certificates + [graph.root] if cert is not None and cert != last
                 and cert.subject == last.issuer]
    if same_name:
        return ('the signature of %s does not verify with the key of %s, the certificate given with the name of its '
                'issuer: they do not belong together (an old or re-keyed certificate of the same name?). Get the '
                'matching certificate from your CA.' % (_describe(last), _describe(same_name[0])))
    issuer = "'%s'" % last.issuer.rfc4514_string()
    if graph.root is not None:
        return ('the chain ends at %s, issued by %s, which is not among the certificates, and the given root %s did '
                'not issue it. Add the missing intermediate certificate %s from your CA (or give it as root if it is '
                'the root).' % (_describe(last), issuer, _describe(graph.root), issuer))
    return ('an intermediate certificate is missing: %s, the issuer of %s, is not among the certificates. Add the '
            'intermediate certificate %s from your CA.' % (issuer, _describe(last), issuer))


def _problems(path: list, anchored: bool, now, allow_sha1: bool, min_rsa_bits: int) -> list:
    """Return every problem of the ordered chain as one sentence each."""
    problems = []
    for position, cert in enumerate(path):
        is_anchor = anchored and position == len(path) - 1
        name = 'the %s %s' % (_role(position, is_anchor), _describe(cert))
        problems.extend(_date_problems(cert, name, now))
        problems.extend(_key_problems(cert, name, min_rsa_bits))
        if not is_anchor:
            problems.extend(_hash_problems(cert, name, allow_sha1))
        if position > 0:
            problems.extend(_ca_problems(cert, name, path[position - 1], position - 1, is_anchor))
    return problems


def _role(position: int, is_anchor: bool) -> str:
    """Name a certificate's place in the chain."""
    if position == 0:
        return 'server certificate'
    return 'root certificate' if is_anchor else 'intermediate certificate'


def _date_problems(cert, name: str, now) -> list:
    """Say when the certificate is not valid at ``now``."""
    if now < not_before(cert):
        return ['%s is not valid yet: it is valid from %s to %s.'
                % (name, iso_time(not_before(cert)), iso_time(not_after(cert)))]
    if now > not_after(cert):
        return ['%s expired on %s.' % (name, iso_time(not_after(cert)))]
    return []


def _key_problems(cert, name: str, min_rsa_bits: int) -> list:
    """Say when the certificate's RSA (or DSA) key is shorter than ``min_rsa_bits``."""
    key_type, key_size = public_key_info(cert.public_key())
    if key_type in ('RSA', 'DSA') and key_size < min_rsa_bits:
        return ['%s has a weak %s key of %d bits: at least %d bits are needed.'
                % (name, key_type, key_size, min_rsa_bits)]
    return []


def _hash_problems(cert, name: str, allow_sha1: bool) -> list:
    """Say when the certificate is signed with SHA-1 (unless allowed) or MD5."""
    hash_name = signature_hash_name(cert)
    if hash_name not in _WEAK_HASHES or (hash_name == 'sha1' and allow_sha1):
        return []
    return ['%s is signed with %s, which clients refuse: get it signed with SHA-256.'
            % (name, _WEAK_HASHES[hash_name])]


def _ca_problems(cert, name: str, child, below: int, is_anchor: bool) -> list:
    """Say when the certificate may not issue ``child``: no CA, path length exceeded, no keyCertSign."""
    problems = []
    constraints = basic_constraints(cert)
    if constraints is None:
        if not is_anchor:
            problems.append('%s is not marked as a CA (no basicConstraints CA:TRUE), so it may not issue %s.'
                            % (name, _describe(child)))
    elif not constraints[0]:
        problems.append('%s is not a CA certificate (CA:FALSE), so it may not issue %s.' % (name, _describe(child)))
    elif constraints[1] is not None and below > constraints[1]:
        problems.append('%s allows %d intermediate certificate(s) below it (pathlen:%d), but the chain has %d.'
                        % (name, constraints[1], constraints[1], below))
    if not may_sign_certificates(cert):
        problems.append('%s may not sign certificates (its keyUsage lacks keyCertSign), so it may not issue %s.'
                        % (name, _describe(child)))
    return problems

# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reconcilers for the HTTPS certificate: provisional certificate, certificate request, import."""

from __future__ import annotations

import datetime
import os

from ansible_collections.telephony.starface.plugins.module_utils._appliance.box import Box, change_argument_spec
from ansible_collections.telephony.starface.plugins.module_utils._change.files import reason, write_atomic
from ansible_collections.telephony.starface.plugins.module_utils._change.transaction import Transaction
from ansible_collections.telephony.starface.plugins.module_utils._crypto import chain as _chain
from ansible_collections.telephony.starface.plugins.module_utils._crypto import keystore as _keystore
from ansible_collections.telephony.starface.plugins.module_utils._crypto import x509 as _x509
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError
from ansible_collections.telephony.starface.plugins.module_utils._reconcile.webserver import read_settings


PENDING_KEY = 'pending-key.pem'
PENDING_CSR = 'pending-csr.pem'
CHAIN_FACTS = ('subject', 'issuer', 'not_after', 'fingerprint_sha256')


def certificate_argument_spec(**extra):
    """Return the options of a module that changes the box plus the certificate module's own ``extra``."""
    spec = change_argument_spec()
    spec.update(extra)
    return spec


def certificate_options():
    """Return starface_csr's options for the names, lifetime and key (starface_plan's O(certificate) has them too)."""
    return dict(
        server_name=dict(type='str', required=True),
        subject_alt_names=dict(type='list', elements='str', default=[]),
        valid_days=dict(type='int', default=365),
        renew_before_days=dict(type='int', default=30),
        renew_before_percent=dict(type='int'),
        force=dict(type='bool', default=False),
        key_type=dict(type='str', choices=['RSA', 'EC'], default='RSA', no_log=False),
        key_size=dict(type='int', choices=[2048, 3072, 4096], default=2048, no_log=False),
        curve=dict(type='str', choices=['P-256', 'P-384'], default='P-256'),
    )


def utcnow():
    """Return the current time, timezone-aware UTC."""
    return datetime.datetime.now(datetime.timezone.utc)


def chain_facts(chain):
    """Return the short facts of each certificate of a chain, leaf first."""
    facts = []
    for cert in chain:
        full = _x509.certificate_facts(cert)
        facts.append(dict((key, full[key]) for key in CHAIN_FACTS))
    return facts


def wanted_names(server_name, subject_alt_names):
    """Return the sorted SAN strings (``DNS:x``, ``IP:x``) a certificate for these names carries."""
    _x509.check_server_name(server_name, 'server_name')
    items = [server_name] + [name for name in (subject_alt_names or []) if name]
    names = _x509.parse_subject_alt_names(items, 'subject_alt_names')
    return sorted(set(_x509.general_name_string(name) for name in names))


def check_common_name(server_name):
    """Refuse a server name too long for a certificate's common name (64 characters)."""
    if len(server_name) > 64:
        raise StarfaceError('is %d characters long, more than the 64 a certificate\'s common name can hold: use a '
                            'shorter name here and put the long one into subject_alt_names.' % len(server_name),
                            field='server_name')


def check_lifetime_options(params):
    """Refuse validity and renewal options out of range, before anything is decided or written."""
    valid_days = params.get('valid_days')
    if valid_days is not None and not 1 <= valid_days <= 36500:
        raise StarfaceError('%s is not a number of days from 1 to 36500.' % valid_days, field='valid_days')
    before_days = params.get('renew_before_days')
    if before_days is not None and before_days < 0:
        raise StarfaceError('%s is negative: give how many days before expiry to renew (0 or more).' % before_days,
                            field='renew_before_days')
    if valid_days is not None and before_days is not None and before_days >= valid_days:
        raise StarfaceError('%s is not less than valid_days (%s): every run would make a new certificate and '
                            'restart the web server.' % (before_days, valid_days), field='renew_before_days')
    percent = params.get('renew_before_percent')
    if percent is not None and not 0 <= percent <= 99:
        raise StarfaceError('%s is not a percentage from 0 to 99 (100 or more would renew on every run).' % percent,
                            field='renew_before_percent')


def check_request_path(path):
    """Refuse a request file path that cannot be a file, before any key is made."""
    if os.path.isdir(path):
        raise StarfaceError('%s is a directory: give the path of a file to write the request to.' % path,
                            field='path')
    parent = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise StarfaceError('%s is not a directory, so the request cannot be written to %s.' % (parent, path),
                            field='path')


def write_private(path, data, what, field='state_dir'):
    """Write bytes to an owner-only file atomically (pending keys and requests); raise StarfaceError naming it.

    On failure the file is as it was and no temporary file is left.
    """
    directory = os.path.dirname(os.path.abspath(path))
    try:
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o700)
        write_atomic(path, data, 0o600)
    except OSError as exc:
        raise StarfaceError('cannot write %s %s: %s.' % (what, path, reason(exc)), field=field)


class Keystore:
    """The keystore the HTTPS connector serves, as found on the box."""

    def __init__(self, box, settings):
        self.path, self.password, self.alias, self.key_password = box.resolve_keystore(settings)
        self.declared_type = (settings.get('keystore_type') or 'JKS').upper()
        self.data = None
        self.entry = None
        self.error = None
        if not os.path.exists(self.path):
            return
        with open(self.path, 'rb') as handle:
            self.data = handle.read()
        try:
            self.entry = _keystore.load_key_entry(self.data, self.password, self.alias, self.key_password)
        except StarfaceError as err:
            self.error = err

    @property
    def format(self):
        """Return the format to write: the one found in the file, else the one server.xml declares."""
        if self.data:
            try:
                return _keystore.detect_format(self.data)
            except StarfaceError:
                pass
        return 'PKCS12' if self.declared_type == 'PKCS12' else 'JKS'

    def require_entry(self, field='keystore_path'):
        """Return the key entry, or raise a StarfaceError explaining why it cannot be read."""
        if self.entry is not None:
            return self.entry
        if self.error is not None:
            raise StarfaceError('%s (keystore %s)' % (self.error.msg, self.path), field=field)
        raise StarfaceError('the keystore %s does not exist' % self.path, field=field)

    def fingerprints(self):
        """Return the SHA-256 fingerprints of the served chain, leaf first ([] when unreadable)."""
        if self.entry is None:
            return []
        return [_x509.fingerprint(cert) for cert in self.entry.chain]

    def facts(self):
        """Return facts of the leaf and chain (empty dict when unreadable)."""
        if self.entry is None:
            return {}
        facts = _x509.certificate_facts(self.entry.chain[0])
        facts['chain'] = chain_facts(self.entry.chain)
        return facts

    def aliases(self):
        """Return the keystore's entries as dicts of alias and kind ([] when it cannot be read)."""
        if self.entry is None:
            return []
        return [dict(alias=alias, kind=kind) for alias, kind in _keystore.list_aliases(self.data, self.password)]

    def render(self, private_key, chain):
        """Return (keystore bytes, aliases kept in step): this key and chain under the alias, in the box's format.

        The other entries stay (see _keystore.replace_key_entry); a keystore that cannot be read
        (replaced by force) holds the new entry alone.
        """
        entry = _keystore.KeyEntry(self.alias, private_key, list(chain))
        if self.entry is None:
            return _keystore.dump_key_entry(entry, self.password, self.format, key_password=self.key_password), []
        return _keystore.replace_key_entry(self.data, entry, self.password, self.format, key_password=self.key_password)


def names_match(facts, server_name, names):
    """Return whether certificate or request facts carry these names (a missing common name is fine)."""
    common_name = facts.get('common_name')
    if common_name is not None and common_name != server_name:
        return False
    return sorted(facts['subject_alt_names']) == names


def renewal_reasons(keystore, params, names, now, want_self_signed):
    """Return the named reasons the keystore's certificate must be replaced, in order (empty: keep it).

    ``params`` holds server_name, renew_before_days and renew_before_percent; ``names`` the
    wanted SAN strings (see wanted_names). A damaged keystore raises: only ``force`` replaces it.
    """
    if keystore.data is None:
        return ['keystore_missing']
    leaf = keystore.require_entry().chain[0]
    facts = _x509.certificate_facts(leaf, now=now)
    reasons = []
    if want_self_signed and not facts['self_signed']:
        reasons.append('not_self_signed')
    if not want_self_signed and facts['self_signed']:
        reasons.append('self_signed')
    if not names_match(facts, params['server_name'], names):
        reasons.append('names_differ')
    if facts['days_remaining'] < params['renew_before_days']:
        reasons.append('expires_soon')
    percent = params.get('renew_before_percent')
    if percent is not None and _x509.lifetime_left_percent(leaf, now) < percent:
        reasons.append('lifetime_below_percent')
    return reasons


class CertificateBase:
    """What the certificate reconcilers share: the box, its keystore and the transaction."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.box = Box(module.params)
        self.transaction = Transaction(self.box)
        dummy, dummy, self.settings = read_settings(self.box, self.params.get('ignore_ports'), with_nat=False)
        self.keystore = Keystore(self.box, self.settings)

    @property
    def pending_key_path(self):
        """Return where a pending key waits for the CA's answer."""
        return os.path.join(self.box.state_dir, PENDING_KEY)

    @property
    def pending_csr_path(self):
        """Return where the request made from the pending key is kept."""
        return os.path.join(self.box.state_dir, PENDING_CSR)

    def pending_key(self):
        """Return the pending private key, or None."""
        if not os.path.exists(self.pending_key_path):
            return None
        with open(self.pending_key_path, 'rb') as handle:
            return _x509.load_private_key(handle.read())

    def install(self, result, private_key, chain, consumes_pending=False):
        """Stage the new keystore (and key PEM), then restart and verify unless told not to.

        With ``consumes_pending`` the pending key and request are removed in the same transaction:
        gone once the change commits, back if it is rolled back (also by a later starface_restart).
        """
        self.box.check_keystore_password(self.settings)
        data, in_step = self.keystore.render(private_key, chain)
        result['aliases_in_step'] = in_step
        files = [(self.keystore.path, data)]
        if os.path.exists(self.box.key_pem_path):
            files.append((self.box.key_pem_path, _x509.private_key_pem(private_key)))
        if self.params['backup']:
            result['backup_files'] = self.transaction.backup_copies([path for path, dummy in files])
        for path, data in files:
            self.transaction.stage(path, data, mode=0o600)
        if consumes_pending:
            for path in (self.pending_key_path, self.pending_csr_path):
                if os.path.exists(path):
                    self.transaction.stage(path, None)
        if self.params['restart']:
            # Nothing to restart when this run only put back what a pending change had altered.
            self.transaction.restart_and_verify()
            result.update(self.transaction.activation_result(self.module.warn))
        else:
            result['restart_required'] = True

    def finish_pending(self, result):
        """Restart and verify a change an earlier run left pending, when restarting is allowed."""
        if self.params['restart'] and not self.module.check_mode:
            if self.transaction.restart_and_verify():
                result.update(changed=True, **self.transaction.activation_result(self.module.warn))
        elif self.transaction.changed_files():
            result['restart_required'] = True

    def drop_consumed_pending_key(self):
        """Remove the pending key and request when the keystore already serves that key (left by older versions)."""
        pending = self.pending_key()
        entry = self.keystore.entry
        if pending is None or entry is None or not _x509.key_matches(entry.chain[0], pending):
            return False
        for path in (self.pending_key_path, self.pending_csr_path):
            if os.path.exists(path):
                os.remove(path)
        return True


class SelfSigned(CertificateBase):
    """The "new provisional certificate" button: a new key and a self-signed certificate."""

    def regeneration_reasons(self, names, now):
        """Return the named reasons the provisional certificate must be made again (empty: keep it)."""
        if self.params['force']:
            return ['forced']
        return renewal_reasons(self.keystore, self.params, names, now, want_self_signed=True)

    def ca_signed_to_keep(self, reasons, now):
        """Return why the keystore's certificate is kept although ``reasons`` name a change, or None.

        A CA-signed certificate valid now is not replaced by a self-signed one unless forced:
        since STARFACE 8 the phones refuse self-signed certificates for encrypted connections.
        """
        if self.params['force'] or self.keystore.entry is None:
            return None
        leaf = self.keystore.entry.chain[0]
        facts = _x509.certificate_facts(leaf, now=now)
        if facts['self_signed'] or not _x509.not_before(leaf) <= now < _x509.not_after(leaf):
            return None
        return dict(reason='ca_signed', would_replace_for=[reason for reason in reasons if reason != 'not_self_signed'],
                    message='Kept the CA-signed certificate of %s (issued by %s, valid until %s): a provisional '
                            'self-signed certificate would replace it only with force: true. Since STARFACE 8 the '
                            'phones refuse self-signed certificates for encrypted connections.'
                            % (facts['subject'], facts['issuer'], facts['not_after']))

    def run(self):
        """Reconcile and return the module result."""
        params = self.params
        now = utcnow()
        check_lifetime_options(params)
        names = wanted_names(params['server_name'], params['subject_alt_names'])
        check_common_name(params['server_name'])
        reasons = self.regeneration_reasons(names, now)
        before = self.keystore.facts()
        result = dict(changed=False, restart_required=False, reasons=reasons, certificate=before)
        kept = self.ca_signed_to_keep(reasons, now) if reasons else None
        if kept:
            self.module.warn(kept['message'])
            result.update(reasons=[], kept=kept)
        if not reasons or kept:
            self.finish_pending(result)
            return result
        key = _x509.generate_private_key(params['key_type'], params['key_size'], params['curve'])
        cert = _x509.create_self_signed(key, params['server_name'], names, params['valid_days'], now=now)
        after = _x509.certificate_facts(cert, now=now)
        after['chain'] = chain_facts([cert])
        result.update(changed=True, certificate=after, diff=dict(before=before, after=after))
        if not self.module.check_mode:
            self.install(result, key, [cert])
        return result


class Request(CertificateBase):
    """The "Certificate Request" button: a CSR from the current key or from a new pending key."""

    def signing_key(self, names, result):
        """Return the key the request is made from, making a pending key when needed."""
        params = self.params
        if params['key'] == 'current':
            return self.keystore.require_entry().private_key
        dropped = self.drop_consumed_pending_key()
        if dropped:
            result['changed'] = True
        pending = self.pending_key()
        if pending is not None and not params['force'] and self.key_fits(pending):
            return pending
        result.update(changed=True, new_key=True)
        key = _x509.generate_private_key(params['key_type'], params['key_size'], params['curve'])
        if not self.module.check_mode:
            try:
                write_private(self.pending_key_path, _x509.private_key_pem(key), 'the pending key')
            except StarfaceError as err:
                err.msg += (' The pending key of the certificate now served was removed before it.' if dropped
                            else ' Nothing was changed.')
                raise
            if os.path.exists(self.pending_csr_path):
                os.remove(self.pending_csr_path)
        return key

    def key_fits(self, key):
        """Return whether an existing pending key has the requested type and size."""
        facts = _x509.private_key_facts(key)
        if facts['key_type'] != self.params['key_type']:
            return False
        if facts['key_type'] == 'RSA':
            return facts['key_size'] == self.params['key_size']
        return facts.get('curve') == self.params['curve']

    def run(self):
        """Reconcile and return the module result."""
        params = self.params
        names = wanted_names(params['server_name'], params['subject_alt_names'])
        check_common_name(params['server_name'])
        if params['path']:
            check_request_path(params['path'])
        result = dict(changed=False, key_source=params['key'])
        key = self.signing_key(names, result)
        csr = self.existing_request(key, names)
        if csr is None:
            csr = _x509.create_csr(key, params['server_name'], names)
            result['changed'] = True
            if params['key'] == 'new' and not self.module.check_mode:
                self.write_pending_request(csr, result)
        pem = _x509.csr_pem(csr)
        if params['path']:
            result['path'] = params['path']
            if self.path_differs(pem):
                result['changed'] = True
                if not self.module.check_mode:
                    self.write_request(pem)
        result.update(csr=pem, request=_x509.csr_facts(csr))
        return result

    def write_pending_request(self, csr, result):
        """Keep the request made from the pending key; on failure say what this run did write."""
        try:
            write_private(self.pending_csr_path, _x509.csr_pem(csr).encode('ascii'), 'the pending request')
        except StarfaceError as err:
            if result.get('new_key'):
                err.msg += (' The new pending key %s was written before it; the next run makes its request.'
                            % self.pending_key_path)
            else:
                err.msg += ' Nothing was changed.'
            raise

    def write_request(self, pem):
        """Write the request to the file the user asked for, or raise StarfaceError naming the option."""
        path = self.params['path']
        write_private(path, pem.encode('ascii'), 'the request to', field='path')

    def existing_request(self, key, names):
        """Return the kept pending request when it is for this key and these names, else None."""
        if self.params['key'] != 'new' or not os.path.exists(self.pending_csr_path):
            return None
        with open(self.pending_csr_path, 'rb') as handle:
            csr = _x509.load_csr(handle.read(), 'pending request')
        facts = _x509.csr_facts(csr)
        if not _x509.key_matches(csr, key):
            return None
        if facts['common_name'] != self.params['server_name'] or sorted(facts['subject_alt_names']) != names:
            return None
        return csr

    def path_differs(self, pem):
        """Return whether the request file on the box is missing or holds another request."""
        path = self.params['path']
        if not os.path.exists(path):
            return True
        with open(path, 'rb') as handle:
            return handle.read() != pem.encode('ascii')


class Import(CertificateBase):
    """The "Import Certificate Response" dialog: the CA's reply and root into the keystore."""

    def text_option(self, name):
        """Return the text of an option given inline or as a path on the box (None when neither)."""
        text = self.params.get(name)
        path = self.params.get(name + '_path')
        if text is not None:
            return text
        if path is None:
            return None
        try:
            with open(path, 'rb') as handle:
                data = handle.read()
        except (IOError, OSError) as exc:
            raise StarfaceError('cannot read %s: %s' % (path, exc.strerror or exc), field=name + '_path')
        if not data.strip():
            raise StarfaceError('the file %s is empty: put the certificate in it as PEM or DER, or check the path'
                                % path, field=name + '_path')
        return data

    def new_chain(self, now):
        """Return the verified chain (leaf first) from the CA's reply and root."""
        params = self.params
        certificates = _x509.load_certificates(self.text_option('certificate'), 'certificate')
        root_text = self.text_option('root_certificate')
        root = None
        if root_text is not None and root_text.strip():
            roots = _x509.load_certificates(root_text, 'root_certificate')
            if len(roots) != 1:
                raise StarfaceError('expected one CA root certificate, found %d' % len(roots),
                                    field='root_certificate')
            root = roots[0]
            if not _x509.is_ca(root):
                raise StarfaceError("'%s' is not a CA certificate: give the CA's root certificate here"
                                    % _x509.certificate_facts(root)['subject'], field='root_certificate')
            facts = _x509.certificate_facts(root)
            if not facts['self_signed']:
                raise StarfaceError("'%s' is not a root certificate: it was issued by '%s'. Give the CA's root "
                                    "certificate (issued by itself) here; intermediates belong in certificate"
                                    % (facts['subject'], facts['issuer']), field='root_certificate')
        else:
            self.module.warn('No CA root certificate was given: the chain was verified as far as it goes, '
                             'not up to a root you trust.')
        chain = _chain.build_chain(certificates, root=root, now=now, allow_sha1=params['allow_sha1'],
                                   min_rsa_bits=params['min_rsa_bits'], field='certificate')
        if _x509.is_ca(chain.leaf):
            raise StarfaceError("only CA certificates were given ('%s'): the server certificate the CA issued "
                                "for this box is missing" % _x509.certificate_facts(chain.leaf)['subject'],
                                field='certificate')
        if params['server_name'] and not _x509.covers_name(chain.leaf, params['server_name']):
            raise StarfaceError('the certificate (%s) does not cover the server name %s'
                                % (', '.join(_x509.certificate_facts(chain.leaf)['subject_alt_names']) or
                                   _x509.certificate_facts(chain.leaf)['subject'], params['server_name']),
                                field='server_name')
        return chain

    def matching_key(self, leaf):
        """Return (key, source) for the leaf: the pending key or the key serving now."""
        pending = self.pending_key()
        if pending is not None and _x509.key_matches(leaf, pending):
            return pending, 'pending'
        entry = self.keystore.entry
        if entry is not None and _x509.key_matches(leaf, entry.private_key):
            return entry.private_key, 'current'
        hint = ''
        if os.path.exists(self.pending_csr_path):
            with open(self.pending_csr_path, 'rb') as handle:
                facts = _x509.csr_facts(_x509.load_csr(handle.read(), 'pending request'))
            hint = ' The pending request on the box is for %s.' % facts['subject']
        elif pending is None:
            hint = ' There is no pending request on the box.'
        if entry is None and self.keystore.error is not None:
            hint += ' The keystore could not be read: %s.' % self.keystore.error.msg
        raise StarfaceError('the certificate does not belong to a key on this box: its public key matches '
                            'neither the pending request nor the key serving now, so it was issued for another '
                            'certificate request.%s' % hint, field='certificate')

    def run(self):
        """Reconcile and return the module result."""
        now = utcnow()
        chain = self.new_chain(now)
        served = chain.leaf_to_root(include_root=self.params['include_root'])
        before = self.keystore.facts()
        after = _x509.certificate_facts(chain.leaf, now=now)
        after['chain'] = chain_facts(served)
        result = dict(changed=False, restart_required=False, certificate=after)
        if [_x509.fingerprint(cert) for cert in served] == self.keystore.fingerprints():
            if not self.module.check_mode:
                self.drop_consumed_pending_key()
            self.finish_pending(result)
            return result
        key, source = self.matching_key(chain.leaf)
        result.update(changed=True, key_source=source, diff=dict(before=before, after=after))
        if self.module.check_mode:
            return result
        self.install(result, key, served, consumes_pending=source == 'pending')
        return result

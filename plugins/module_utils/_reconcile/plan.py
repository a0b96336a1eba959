# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a run would change, in one read: the reconcilers rehearsed in check mode, plus the box's state.

The plan is no second opinion: it runs the same WebServer and SelfSigned code that starface_webserver
and starface_csr run, in check mode. For a CA-signed certificate it says only whether one is needed
(read_info's renewal reasons); the request and the import check their own input when they run.
"""

from __future__ import annotations

from ansible_collections.telephony.starface.plugins.module_utils._appliance.box import Box
from ansible_collections.telephony.starface.plugins.module_utils._change.transaction import Transaction
from ansible_collections.telephony.starface.plugins.module_utils._reconcile.certificate import SelfSigned
from ansible_collections.telephony.starface.plugins.module_utils._reconcile.info import read_info
from ansible_collections.telephony.starface.plugins.module_utils._reconcile.webserver import WebServer

CERTIFICATE_SOURCES = ('selfsigned', 'ca')


class Rehearsal:
    """A module as a reconciler sees it: these params, check mode, and warnings kept for the plan."""

    check_mode = True

    def __init__(self, params):
        self.params = params
        self.warnings = []

    def warn(self, msg):
        """Keep a warning; the plan gives it only when nothing changes (see plan())."""
        self.warnings.append(msg)


def box_params(params):
    """Return the box options (and ignore_ports) of the plan's params, without its own options."""
    return dict((name, value) for name, value in params.items() if name not in ('settings', 'certificate', 'probe'))


def plan_settings(params):
    """Return what starface_webserver would do with params['settings']: changed, restart_required, warnings."""
    module = Rehearsal(dict(box_params(params), restart=False, backup=False, **params['settings']))
    result = WebServer(module).run()
    return dict(changed=result['changed'], restart_required=result['restart_required'],
                settings=result['settings'], warnings=module.warnings)


def plan_certificate(params, renewal):
    """Return what the certificate source would do: a new provisional certificate, or a CA-signed one.

    ``selfsigned`` rehearses starface_csr state=selfsigned; ``ca`` (the role's sources ownca, acme and
    files) needs a new certificate when ``renewal`` (read_info's) says so or when forced.
    """
    options = dict(params['certificate'])
    source = options.pop('source')
    if source == 'ca':
        reasons = (['forced'] if options['force'] else []) + renewal['reasons']
        return dict(source=source, changed=bool(reasons), reasons=reasons, kept=None, warnings=[])
    module = Rehearsal(dict(box_params(params), restart=False, backup=False, **options))
    result = SelfSigned(module).run()
    return dict(source=source, changed=result['changed'], reasons=result['reasons'], kept=result.get('kept'),
                warnings=module.warnings)


def info_params(params):
    """Return read_info's params: the box, probe, and for a CA source the names and window of renewal."""
    info = dict(box_params(params), probe=params['probe'], server_name=None)
    certificate = params.get('certificate')
    if certificate and certificate['source'] == 'ca':
        info.update((name, certificate[name]) for name in
                    ('server_name', 'subject_alt_names', 'renew_before_days', 'renew_before_percent'))
    return info


def plan(module):
    """Return read_info's state of the box with ``plan``: what starface_restart, _webserver and the certificate would change.

    ``pending`` is any journal of a change waiting for its restart (files or NAT rules), ``leftovers``
    the temporary files a killed run left, which starface_restart removes under the box's lock.
    When nothing changes, the plan gives the warnings the modules would give (no module runs
    after it to give them); otherwise the modules that run give them.
    """
    params = module.params
    result = read_info(Rehearsal(info_params(params)))
    transaction = Transaction(Box(box_params(params)))
    pending = transaction.pending() is not None
    leftovers = transaction.leftovers()
    settings = plan_settings(params) if params.get('settings') is not None else None
    certificate = plan_certificate(params, result.get('renewal')) if params.get('certificate') else None
    changes = pending or bool(leftovers) or any(part['changed'] for part in (settings, certificate) if part)
    if not changes:
        for part in (settings, certificate):
            for warning in (part or {}).get('warnings', []):
                module.warn(warning)
    result.update(changed=False, plan=dict(changes=changes, pending=pending, leftovers=leftovers, settings=settings,
                                           certificate=certificate))
    return result

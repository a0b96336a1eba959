# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a run would change, in one read: the reconcilers rehearsed in check mode, plus the box's state.

The plan is no second opinion: it runs the same WebServer and SelfSigned code that starface_webserver
and starface_csr run, in check mode, so it cannot disagree with them about what changes.
"""

from __future__ import annotations

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
        """Keep a warning; the plan says it only for a part that does not change (see plan())."""
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

    A part that does not change says its warnings here (no module run later would say them); a part
    that changes leaves them to the module that makes the change.
    """
    params = module.params
    result = read_info(Rehearsal(info_params(params)))
    pending = bool(result['pending_files'])
    settings = plan_settings(params) if params.get('settings') is not None else None
    certificate = plan_certificate(params, result.get('renewal')) if params.get('certificate') else None
    for part in (settings, certificate):
        if part and not part['changed']:
            for warning in part['warnings']:
                module.warn(warning)
    changes = pending or any(part['changed'] for part in (settings, certificate) if part)
    result.update(changed=False, plan=dict(changes=changes, pending=pending, settings=settings, certificate=certificate))
    return result

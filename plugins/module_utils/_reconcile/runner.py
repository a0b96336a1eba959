# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What every module's main() does around its reconciler: requirements, the box's lock, errors."""

from __future__ import annotations

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.telephony.starface.plugins.module_utils._appliance.box import Box
from ansible_collections.telephony.starface.plugins.module_utils._change.lock import BoxLock
from ansible_collections.telephony.starface.plugins.module_utils._change.transaction import Transaction
from ansible_collections.telephony.starface.plugins.module_utils._crypto.library import CRYPTOGRAPHY_IMPORT_ERROR, HAS_CRYPTOGRAPHY
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError


def run_reconciler(module, name, run, changes_box=True, needs_cryptography=True):
    """Run ``run(module) -> result`` for module ``name`` and exit with its result, or fail with its StarfaceError.

    A module that changes the box (``changes_box``) runs holding the box's lock unless in check
    mode, and first removes the temporary files a killed run left; reading needs no lock, as
    every file the modules write is replaced atomically.
    """
    if needs_cryptography and not HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography'), exception=CRYPTOGRAPHY_IMPORT_ERROR)
    try:
        if changes_box and not module.check_mode:
            box = Box(module.params)
            # Without its own state_dir, the state directory lives in tomcat_base: a missing base is that option's fault.
            parent_field = 'state_dir' if module.params.get('state_dir') else 'tomcat_base'
            with BoxLock(box.state_dir, box.lock_timeout, name, parent_field=parent_field):
                removed = Transaction(box).remove_leftovers()
                if removed:
                    module.warn('Removed temporary files an interrupted run left behind: %s.' % ', '.join(removed))
                result = run(module)
        else:
            result = run(module)
    except StarfaceError as err:
        module.fail_json(msg=str(err), **err.details)
    module.exit_json(**result)

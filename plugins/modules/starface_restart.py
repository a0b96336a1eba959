#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Module starface_restart: restart the web server of a STARFACE box and commit or roll back pending changes."""

from __future__ import annotations

DOCUMENTATION = r'''
module: starface_restart
short_description: Restart the web server of a STARFACE box and verify pending changes
version_added: 0.1.0
description:
  - The other modules of this collection, run with C(restart=false), write their changes
    and record them as pending. This module then restarts the web server once. It waits
    until every enabled port answers as configured and the HTTPS port serves the
    keystore's certificate, then commits. If that fails, it restores the files as they
    were before the pending changes, restarts again and fails with a message that says
    what happened.
  - A change left pending by a run that was interrupted between writing and restarting is
    finished the same way.
  - With O(state=committed) (the default), nothing happens when nothing is pending.
  - A file the journal lists that is as it was before the change (a run killed before
    writing it) needs no restart; it is dropped from the journal and reported nowhere.
author:
  - telephony.starface maintainers (@telephony-starface)
extends_documentation_fragment:
  - telephony.starface.box
  - telephony.starface.attributes
  - ansible.builtin.action_common_attributes
attributes:
  diff_mode:
    support: none
  idempotent:
    details: Idempotent with O(state=committed) and O(state=rolled_back); O(state=restarted) always restarts.
options:
  state:
    description:
      - V(committed) restarts and verifies when changes are pending, and does nothing otherwise.
      - V(rolled_back) restores the files as they were before the pending changes, then
        restarts and verifies.
      - V(restarted) always restarts and verifies, and commits what is pending.
    type: str
    choices: [committed, rolled_back, restarted]
    default: committed
seealso:
  - module: telephony.starface.starface_webserver
  - module: telephony.starface.starface_cert_import
'''

EXAMPLES = r'''
- name: Restart STARFACE web server
  telephony.starface.starface_restart:

- name: Throw away changes that were written but not restarted yet
  telephony.starface.starface_restart:
    state: rolled_back
'''

RETURN = r'''
committed_files:
  description:
    - The files whose pending changes were verified and committed.
    - A file the journal lists but that is as it was before the change (a run stopped
      before writing it) is dropped from the journal and not listed here.
  returned: always
  type: list
  elements: str
  sample: [/opt/tomcat/conf/server.xml]
rolled_back_files:
  description:
    - The files restored to their state before the pending changes (only files that
      differed from their original).
  returned: when state is rolled_back
  type: list
  elements: str
  sample: []
restarted:
  description: Whether the web server was restarted and verified (in check mode, whether it would be).
  returned: always
  type: bool
  sample: true
reloaded:
  description:
    - Whether the running web server was asked to reload its keystore and serves the new
      certificate, without a restart (O(activation=reload) or O(activation=auto)).
  returned: always
  type: bool
  sample: false
restart_reason:
  description: With O(activation=auto), why the change was restarted and not reloaded.
  returned: when O(activation=auto) restarted the web server
  type: str
  sample: "Tomcat reads /opt/tomcat/conf/server.xml only when it starts"
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.telephony.starface.plugins.module_utils._appliance.box import Box, box_argument_spec
from ansible_collections.telephony.starface.plugins.module_utils._change.transaction import Transaction
from ansible_collections.telephony.starface.plugins.module_utils._reconcile.runner import run_reconciler


def run(module):
    """Restart, verify and commit or roll back what is pending; return what really happened."""
    transaction = Transaction(Box(module.params))
    state = module.params['state']
    if module.check_mode:
        # What the run would do.
        changed = transaction.changed_files()
        if state == 'rolled_back':
            return dict(changed=bool(changed), restarted=bool(changed), committed_files=[], rolled_back_files=changed)
        reloads = bool(changed) and state == 'committed' and \
            transaction.activation_method(transaction.pending())[0] == 'reload'
        restarted = (bool(changed) and not reloads) or state == 'restarted'
        return dict(changed=restarted or reloads, restarted=restarted, reloaded=reloads, committed_files=changed)
    if state == 'rolled_back':
        restored = transaction.rollback(restart=True)
        return dict(changed=bool(restored), restarted=bool(restored), committed_files=[], rolled_back_files=restored)
    committed = transaction.restart_and_verify(always=state == 'restarted')
    return dict(transaction.activation_result(module.warn), changed=bool(committed) or state == 'restarted',
                committed_files=committed)


def main():
    """Run the module."""
    spec = box_argument_spec()
    spec.update(state=dict(type='str', choices=['committed', 'rolled_back', 'restarted'], default='committed'))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    run_reconciler(module, 'starface_restart', run, needs_cryptography=False)


if __name__ == '__main__':
    main()

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
author:
  - telephony.starface maintainers (@telephony-starface)
extends_documentation_fragment:
  - telephony.starface.box
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  idempotent:
    description: Running the module again with the same options changes nothing.
    support: full
    details: Idempotent with O(state=committed) and O(state=rolled_back); O(state=restarted) always restarts.
  platform:
    platforms: posix
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
  description: The files whose pending changes were verified and committed.
  returned: always
  type: list
  elements: str
  sample: [/opt/tomcat/conf/server.xml]
rolled_back_files:
  description: The files restored to their state before the pending changes.
  returned: when state is rolled_back
  type: list
  elements: str
  sample: []
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.telephony.starface.plugins.module_utils._box import Box, box_argument_spec
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError
from ansible_collections.telephony.starface.plugins.module_utils._transaction import Transaction


def run(module):
    """Restart, verify and commit or roll back what is pending; return the result."""
    transaction = Transaction(Box(module.params))
    state = module.params['state']
    pending = transaction.pending_files()
    result = dict(changed=False, committed_files=[])
    if state == 'committed' and not pending:
        return result
    if state == 'rolled_back':
        result.update(rolled_back_files=pending, changed=bool(pending))
        if pending and not module.check_mode:
            transaction.rollback(restart=True)
        return result
    result['changed'] = True
    if not module.check_mode:
        transaction.restart_and_verify()
        result['committed_files'] = pending
    return result


def main():
    """Run the module."""
    spec = box_argument_spec()
    spec.update(state=dict(type='str', choices=['committed', 'rolled_back', 'restarted'], default='committed'))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    try:
        result = run(module)
    except StarfaceError as err:
        module.fail_json(msg=str(err), **err.details)
    module.exit_json(**result)


if __name__ == '__main__':
    main()

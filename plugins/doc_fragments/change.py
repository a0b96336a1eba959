# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Documentation of the options every module that changes the box has."""

from __future__ import annotations


class ModuleDocFragment:
    """How a change is activated and kept: restart now or later, backup copies."""

    DOCUMENTATION = r'''
options:
  restart:
    description:
      - Activate a change at once (restart the web server, or reload its keystore as
        O(activation) says) and verify what the box then serves.
      - With V(false) the files are written, the change is recorded as pending and
        RV(restart_required) is returned. A later M(telephony.starface.starface_restart)
        (the role's handler) restarts, verifies, and commits or rolls back.
    type: bool
    default: true
  backup:
    description:
      - Also keep a time-stamped copy C(<file>.<YYYY-mm-dd@HH:MM:SS>~) of each file before
        it is changed, next to it. The copy keeps the file's mode and owner; copies of
        keystores and keys are readable by their owner only.
    type: bool
    default: false
'''

    # The ports a module leaves alone: telephony.starface.change.ignore_ports (the info module reads with it too).
    IGNORE_PORTS = r'''
options:
  ignore_ports:
    description:
      - Connectors on these ports are never touched and are not the web interface's. They
        are STARFACE's phone provisioning ports, which the web server page does not manage.
    type: list
    elements: int
    default: [50080, 50081]
'''

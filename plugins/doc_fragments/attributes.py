# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The attributes every module of the collection has, unless the module says otherwise."""

from __future__ import annotations


class ModuleDocFragment:
    """Check mode, diff mode, idempotence and platform of the collection's modules (use with ansible.builtin.action_common_attributes)."""

    DOCUMENTATION = r'''
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    description: Running the module again with the same options changes nothing.
    support: full
  platform:
    platforms: posix
'''

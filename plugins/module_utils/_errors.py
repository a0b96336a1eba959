# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The collection's one error type. Private to telephony.starface: no API guarantee."""

from __future__ import annotations


class StarfaceError(Exception):
    """A failure a PBX admin can act on.

    ``msg`` is shown to the user as it is: it must never hold a secret (a keystore
    password, private key material). ``field`` names the module option the problem is
    in, when there is one. ``details`` is a dict of extra facts safe to return.
    """

    def __init__(self, msg, field=None, details=None):
        super().__init__(msg)
        self.msg = msg
        self.field = field
        self.details = details or {}

    def __str__(self):
        if self.field:
            return "%s: %s" % (self.field, self.msg)
        return self.msg

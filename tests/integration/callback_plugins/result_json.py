# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Test-only stdout callback: prints each task result as one JSON line (``RESULT {...}``)."""

from __future__ import annotations

DOCUMENTATION = r'''
name: result_json
type: stdout
short_description: One JSON line per task result, for the collection's tests
description:
  - Prints C(RESULT) followed by the task result as JSON, after the usual warnings.
author: telephony.starface contributors
'''

import json

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    """Print task results as JSON lines."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'result_json'

    def _emit(self, result, **extra):
        data = dict(result._result)
        data.update(extra)
        self._handle_warnings(data)
        self._display.display('RESULT ' + json.dumps(data, default=str, sort_keys=True))

    def v2_runner_on_ok(self, result):
        self._emit(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._emit(result, failed=True)

    def v2_runner_on_unreachable(self, result):
        self._emit(result, unreachable=True, failed=True)

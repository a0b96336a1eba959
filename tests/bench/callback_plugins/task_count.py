# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Bench-only callback: counts, per host, the tasks that ran or were skipped and the collection's module runs."""

from __future__ import annotations

DOCUMENTATION = r'''
name: task_count
type: aggregate
short_description: Tasks and module runs per host, for the collection's benchmark
description:
  - At the end of the run prints C(TASKCOUNT) followed by JSON, per host the tasks that
    ran (C(tasks)), those skipped (C(skipped)) and the runs of the collection's modules
    (C(modules), skipped ones not counted).
  - Then C(TASKTIME) followed by JSON, each task's name and the seconds from its start to
    the next task's start (or the end), in order.
author: telephony.starface contributors
'''

import json
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    """Count task results per host."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'task_count'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.hosts = {}
        self.tasks = []
        self.started = None

    def _close_task(self):
        if self.started is not None:
            self.tasks[-1][1] = round(time.monotonic() - self.started, 3)
        self.started = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close_task()
        self.tasks.append([task.get_name(), None])
        self.started = time.monotonic()

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def _count(self, result, skipped=False):
        counts = self.hosts.setdefault(result._host.get_name(), dict(tasks=0, skipped=0, modules=0))
        if skipped:
            counts['skipped'] += 1
            return
        counts['tasks'] += 1
        if result._task.action.startswith('telephony.starface.'):
            counts['modules'] += 1

    def v2_runner_on_ok(self, result):
        self._count(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._count(result)

    def v2_runner_on_skipped(self, result):
        self._count(result, skipped=True)

    def v2_playbook_on_stats(self, stats):
        self._close_task()
        self._display.display('TASKCOUNT ' + json.dumps(self.hosts, sort_keys=True))
        self._display.display('TASKTIME ' + json.dumps(self.tasks))

"""Settings of the task worker processes started by ``tests/test_task_workers.py``.

The test suite's settings, plus task mode on the database task backend, a short poll schedule,
and leases short enough that a killed worker's chain and claims are recovered within seconds.
"""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403
from tests.settings import LETSADS

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "sms"]}}

LETSADS = {
    **LETSADS,
    "USE_TASKS": True,
    "TASKS_QUEUE": "sms",
    "TASKS_ROUND_LIMIT": int(os.environ.get("LETSADS_TASKS_ROUND_LIMIT", "1000")),
    "TASKS_LEASE": float(os.environ.get("LETSADS_TASKS_LEASE", "8")),
    "TASKS_IDLE_DELAY": 1,
    "CONCURRENCY": 8,
    "POLL_SCHEDULE": [1, 2, 4],
    "POLL_RETRY_DELAY": 1,
}

"""Optional integration with Django's task framework (``django.tasks`` on Django 6, the
``django-tasks`` backport on 5.2).

When a campaign starts, :func:`enqueue_send` puts a send round on the task queue (after commit);
the management commands stay the default worker, so without a task framework these do nothing.
Set ``LETSADS["USE_TASKS"] = True`` to enqueue.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)


def _tasks_module() -> Any | None:
    try:
        from django import tasks as django_tasks  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # Django < 6
        try:
            import django_tasks  # type: ignore[import-not-found,no-redef,unused-ignore]
        except ImportError:
            return None
    return django_tasks


def _enabled() -> bool:
    return bool((getattr(settings, "LETSADS", None) or {}).get("USE_TASKS", False))


def _task(func: Any) -> Any:
    module = _tasks_module()
    return module.task(func) if module is not None else func


@_task
def send_round(limit: int | None = None) -> dict[str, int]:
    """One round of the send worker, as a task."""
    from django_letsads.worker import SendWorker

    worker = SendWorker(limit=limit)
    report = worker.run_once()
    # A task worker process runs many rounds: its row stays and goes stale when rounds stop.
    worker.heartbeat.beat(report)
    return report.as_dict()


@_task
def poll_round(limit: int | None = None) -> dict[str, int]:
    """One round of the status poller, as a task."""
    from django_letsads.worker import PollWorker

    worker = PollWorker(limit=limit)
    report = worker.run_once()
    worker.heartbeat.beat(report)
    return report.as_dict()


def on_work_queued(sender: Any, kind: str = "send", **kwargs: Any) -> None:
    """Receiver of ``signals.work_queued``: enqueue the round the work needs (if enabled)."""
    if kind == "poll":
        enqueue_poll()
    else:
        enqueue_send()


def enqueue_send() -> None:
    if _enabled() and hasattr(send_round, "enqueue"):
        send_round.enqueue()


def enqueue_poll() -> None:
    if _enabled() and hasattr(poll_round, "enqueue"):
        poll_round.enqueue()

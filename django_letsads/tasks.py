"""Optional integration with Django's task framework (``django.tasks`` on Django 6, the
``django-tasks`` backport on 5.2).

When a campaign starts, :func:`enqueue_send` puts a send round on the task queue (after commit);
the management commands stay the default worker, so without a task framework these do nothing.
Set ``LETSADS["USE_TASKS"] = True`` to enqueue.

A backend that runs tasks immediately (Django 6's default ``ImmediateBackend``) would run a whole
send round inside the web request that started the campaign, and in a test it would reach the
gateway. So nothing is enqueued onto such a backend: the round is left to the worker commands, a
warning is logged, and the system check ``django_letsads.W021`` says so at start-up.
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


#: Task backends that run a task in the process (and request) that enqueues it.
IMMEDIATE_BACKENDS = frozenset(
    {
        "django.tasks.backends.immediate.ImmediateBackend",
        "django_tasks.backends.immediate.ImmediateBackend",
    }
)


def immediate_backend(task: Any) -> str | None:
    """The alias of ``task``'s backend when that backend runs tasks immediately, else None."""
    get_backend = getattr(task, "get_backend", None)
    if get_backend is None:  # no task framework: the round is a plain function
        return None
    backend = get_backend()
    path = f"{type(backend).__module__}.{type(backend).__qualname__}"
    return str(task.backend) if path in IMMEDIATE_BACKENDS else None


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
    _enqueue(send_round, "letsads_send")


def enqueue_poll() -> None:
    _enqueue(poll_round, "letsads_poll")


def _enqueue(task: Any, command: str) -> None:
    if not _enabled() or not hasattr(task, "enqueue"):
        return
    alias = immediate_backend(task)
    if alias is not None:
        logger.warning(
            "LETSADS['USE_TASKS'] is on, but the task backend %r runs tasks immediately, inside "
            "this request; %s was not enqueued: `manage.py %s --loop` does it.",
            alias,
            task.name,
            command,
        )
        return
    task.enqueue()

"""Checks of how the work is run: task mode and its task backend, and when a worker counts as
stopped (E060, E090, W021)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from django_letsads.checks.reading import letsads_value


@register(Tags.compatibility)
def check_task_mode(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    if not letsads_value("USE_TASKS"):
        return []
    from django_letsads import tasks

    module = tasks._tasks_module()
    if module is None:
        return [
            Error(
                "LETSADS['USE_TASKS'] is on, but no task framework is installed.",
                hint="Use Django 6 (django.tasks), or pip install django-letsads[tasks] on 5.2.",
                id="django_letsads.E090",
            )
        ]
    try:
        tasks.send_step.using(
            backend=letsads_value("TASKS_BACKEND"),
            queue_name=letsads_value("TASKS_QUEUE"),
            priority=letsads_value("TASKS_PRIORITY"),
        )
    except Exception as exc:  # InvalidTaskBackend, InvalidTask … differ between the frameworks
        return [
            Error(
                f"LETSADS task mode cannot enqueue its rounds: {exc}",
                hint="Check LETSADS['TASKS_BACKEND'] (an alias of TASKS), LETSADS['TASKS_QUEUE'] "
                "(listed in that backend's QUEUES) and LETSADS['TASKS_PRIORITY'].",
                id="django_letsads.E090",
            )
        ]
    return []


@register(Tags.compatibility)
def check_worker_stale_after(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    value = letsads_value("WORKER_STALE_AFTER")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return []
    return [
        Error(
            f"LETSADS['WORKER_STALE_AFTER'] is {value!r}; it must be a positive whole number "
            "of seconds.",
            hint="Seconds after which a worker that has not been seen counts as stopped; keep "
            "it above the longest wait between rounds (the default 600 is twice the back-off).",
            id="django_letsads.E060",
        )
    ]


@register(Tags.compatibility)
def check_tasks_backend(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    if not letsads_value("USE_TASKS"):
        return []
    from django_letsads.tasks import immediate_backend

    try:
        alias = immediate_backend()
    except Exception:  # an unknown task backend: E090 (and Django's own task checks) report it
        return []
    if alias is None:
        return []
    return [
        Warning(
            f"LETSADS['USE_TASKS'] is on, but the task backend {alias!r} runs tasks immediately, "
            "inside the request that enqueues them: a whole send round would run in the admin's "
            "request. Send and poll rounds are therefore not enqueued.",
            hint="Configure a task backend with a worker in TASKS (e.g. a database backend), or "
            "set LETSADS['USE_TASKS'] = False and run letsads_send --loop and letsads_poll --loop.",
            id="django_letsads.W021",
        )
    ]

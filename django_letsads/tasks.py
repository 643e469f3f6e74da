"""Task mode: the send and poll rounds on Django's task framework instead of ``--loop`` commands.

``django.tasks`` on Django 6, the ``django-tasks`` backport on 5.2; with neither installed the
functions below are plain functions and nothing is enqueued. With ``LETSADS["USE_TASKS"] = True``,
work that appears (a campaign started, resumed or scheduled, an outbox message stored, "poll now")
starts a *chain* after its transaction commits: a task runs one bounded round
(``TASKS_ROUND_LIMIT`` messages), then enqueues the next while work remains, deferred
(``run_after``) to the moment the next work is due: the next poll, a scheduled start, the end of
a back-off. A send round that got messages accepted starts the poll chain.

At most one chain of each kind is alive; :mod:`django_letsads.chains` decides which in the
database, never the queue, so restarts or duplicate triggers cannot multiply chains. A task that
fails is retried by its chain with back-off; rounds claim before they send, so a retried round
never sends anything twice. A round renews its chain's lease while it runs; a task worker killed
mid-round stops renewing it, and when it runs out the chain's watchdog task starts a new chain.

Chains need a backend that can defer tasks (the database backend of ``django-tasks-db``, RQ…).
On one that cannot (Django's ``ImmediateBackend``), each trigger enqueues a single round
(:func:`send_round` / :func:`poll_round`), as before; schedule those yourself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import connections
from django.utils import timezone

from django_letsads import chains
from django_letsads.conf import letsads_settings
from django_letsads.worker import PollWorker, SendWorker
from django_letsads.worker.loop import MAX_BACKOFF
from django_letsads.worker.report import RoundReport

logger = logging.getLogger(__name__)

#: First retry delay after a failed round, doubled per attempt up to ``MAX_BACKOFF``.
RETRY_DELAY = 5.0


def _tasks_module() -> Any | None:
    try:
        from django import tasks as django_tasks  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # Django < 6
        try:
            import django_tasks  # type: ignore[import-not-found,no-redef,unused-ignore]
        except ImportError:
            return None
    return django_tasks


def _task(func: Any) -> Any:
    module = _tasks_module()
    return module.task(func) if module is not None else func


@_task
def send_round(limit: int | None = None) -> dict[str, int]:
    """One round of the send worker, as a task (no chain: for schedules you run yourself)."""
    return _round(chains.SEND, limit).as_dict()


@_task
def poll_round(limit: int | None = None) -> dict[str, int]:
    """One round of the status poller, as a task (no chain: for schedules you run yourself)."""
    return _round(chains.POLL, limit).as_dict()


@_task
def send_step(token: str, attempt: int = 0) -> dict[str, int]:
    """One link of the send chain ``token``: a bounded round, then the next link if work remains."""
    return _step(chains.SEND, token, attempt)


@_task
def poll_step(token: str, attempt: int = 0) -> dict[str, int]:
    """One link of the poll chain ``token``."""
    return _step(chains.POLL, token, attempt)


@_task
def watch_chain(kind: str, token: str) -> str:
    """Check, at the end of its lease, that the chain ``token`` is still alive.

    Alive (a link began and moved the lease on): look again at the new lease's end. Ended or
    replaced: nothing more to watch. Dead (the lease ran out: the worker running a link was
    killed): start a new chain, which has a watchdog of its own.
    """
    now = timezone.now()
    lease_until = chains.lease_of(kind, token)
    if lease_until is None:
        return "ended"
    if lease_until > now:
        _enqueue(watch_chain, kind, token, run_after=lease_until + timedelta(seconds=1))
        return "alive"
    logger.warning("The %s task chain stopped mid-way (was its worker killed?); restarting", kind)
    ensure_chain(kind)
    return "restarted"


_STEPS: dict[str, Any] = {chains.SEND: send_step, chains.POLL: poll_step}
_ROUNDS: dict[str, Any] = {chains.SEND: send_round, chains.POLL: poll_round}


def enqueue_send() -> None:
    """Make sure pending messages will be sent by task rounds (no-op unless ``USE_TASKS``)."""
    if letsads_settings.USE_TASKS:
        ensure_chain(chains.SEND)


def enqueue_poll() -> None:
    """Make sure due polls will be made by task rounds (no-op unless ``USE_TASKS``)."""
    if letsads_settings.USE_TASKS:
        ensure_chain(chains.POLL)


def ensure_chain(kind: str) -> bool:
    """Start a chain of ``kind`` unless a live one exists; True if something was enqueued."""
    backend = _backend()
    if backend is None:
        return False
    if not backend.supports_defer:
        _enqueue(_ROUNDS[kind])
        return True
    now = timezone.now()
    lease = letsads_settings.TASKS_LEASE
    if chains.is_live(kind, now=now):
        return False
    # The watchdog is queued before the chain exists: a process killed between the two steps
    # below leaves either a watchdog with nothing to watch, or a chain that will be replaced
    # when its lease runs out, never a live-looking chain that nobody watches.
    token = chains.new_token()
    _enqueue(watch_chain, kind, token, run_after=now + timedelta(seconds=lease))
    if not chains.start(kind, token, now=now, lease=lease):
        return False
    try:
        _enqueue(_STEPS[kind], token)
    except Exception:
        # A chain whose first link never got queued must not look alive until its lease ends.
        chains.end(kind, token)
        raise
    logger.info("Started a %s task chain", kind)
    return True


def _step(kind: str, token: str, attempt: int) -> dict[str, int]:
    now = timezone.now()
    lease = letsads_settings.TASKS_LEASE
    if not chains.renew(kind, token, until=now + timedelta(seconds=lease), now=now):
        logger.info("A %s task of a chain that ended or was replaced: nothing to do", kind)
        return {"stale": 1}
    try:
        with _lease_renewed(kind, token, lease):
            report = _round(kind, letsads_settings.TASKS_ROUND_LIMIT)
    except Exception:
        retry_at = timezone.now() + timedelta(seconds=_backoff(attempt))
        if chains.renew(kind, token, until=retry_at + timedelta(seconds=lease), now=now):
            _enqueue(_STEPS[kind], token, attempt + 1, run_after=retry_at)
        raise
    if kind == chains.SEND and report.counts.get("queued"):
        ensure_chain(chains.POLL)
    trouble = report.stop_error is not None or report.backoff
    now = timezone.now()
    due = chains.advance(
        kind, token, partial(_next_due, kind, report.idle, now), now=now, lease=lease
    )
    if due is not None:
        if trouble:
            due = max(due, now + timedelta(seconds=_backoff(attempt)))
            chains.renew(kind, token, until=due + timedelta(seconds=lease), now=now)
        _enqueue(_STEPS[kind], token, attempt + 1 if trouble else 0, run_after=due)
    return report.as_dict()


def _round(kind: str, limit: int | None) -> RoundReport:
    worker = (SendWorker if kind == chains.SEND else PollWorker)(limit=limit)
    report = worker.run_once()
    # A task worker process runs many rounds: its row stays, and goes stale when rounds stop.
    worker.heartbeat.beat(report)
    return report


@contextmanager
def _lease_renewed(kind: str, token: str, lease: float) -> Iterator[None]:
    """Renew the chain's lease every third of it while a round runs, so that a slow round is never
    taken for a dead one; a killed worker stops renewing, and its chain is replaced in time."""
    stop = threading.Event()

    def renew() -> None:
        try:
            while not stop.wait(lease / 3):
                now = timezone.now()
                chains.renew(kind, token, until=now + timedelta(seconds=lease), now=now)
        finally:
            connections.close_all()  # this thread's own connections

    thread = threading.Thread(target=renew, name="letsads-chain-lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _next_due(kind: str, idle: bool, now: datetime) -> datetime | None:
    delay = letsads_settings.TASKS_IDLE_DELAY
    if kind == chains.SEND:
        return chains.next_send_due(
            now=now, idle=idle, idle_delay=delay, claim_lease=letsads_settings.CLAIM_LEASE
        )
    return chains.next_poll_due(now=now, idle=idle, idle_delay=delay)


def _backoff(attempt: int) -> float:
    return min(RETRY_DELAY * 2.0 ** min(attempt, 16), MAX_BACKOFF)


def _backend() -> Any | None:
    module = _tasks_module()
    if module is None:
        return None
    return module.task_backends[letsads_settings.TASKS_BACKEND]


def _enqueue(task: Any, *args: Any, run_after: datetime | None = None) -> None:
    options: dict[str, Any] = {
        "backend": letsads_settings.TASKS_BACKEND,
        "queue_name": letsads_settings.TASKS_QUEUE,
        "priority": letsads_settings.TASKS_PRIORITY,
    }
    if run_after is not None and run_after > timezone.now():
        options["run_after"] = run_after
    task.using(**options).enqueue(*args)

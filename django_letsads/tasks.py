"""Task mode: the send and poll rounds on Django's task framework instead of ``--loop`` commands.

``django.tasks`` on Django 6, the ``django-tasks`` backport on 5.2; with neither installed the
functions below are plain functions and nothing is enqueued. With ``LETSADS["USE_TASKS"] = True``,
work that appears (a campaign started, resumed or scheduled, an outbox message stored, "poll now")
starts a *chain* after its transaction commits: a task runs one bounded round
(``TASKS_ROUND_LIMIT`` messages), then enqueues the next while work remains, deferred
(``run_after``) to the moment the next work is due: the next poll, a scheduled start, the end of
a back-off. Work announced while a chain waits for such a later time (a one-time code while a
campaign is scheduled for tomorrow, *poll now*) wakes it at once. A send round that got
messages accepted starts the poll chain.

At most one chain of each kind is alive; :mod:`django_letsads.chains` decides which in the
database, never the queue, so restarts or duplicate triggers cannot multiply chains. A task that
fails is retried by its chain with back-off; rounds claim before they send, so a retried round
never sends anything twice. A round renews its chain's lease while it runs; a task worker killed
mid-round stops renewing it, and when it runs out the chain's watchdog task starts a new chain.

Chains need a backend that can defer tasks (e.g. the database backend of ``django-tasks-db``).
On a queue that cannot, each trigger enqueues a single round (:func:`send_round` /
:func:`poll_round`), as before; schedule those yourself. A backend that runs tasks immediately
(Django 6's default ``ImmediateBackend``) would run a whole send round inside the web request
that started the campaign, and in a test it would reach the gateway: nothing is enqueued onto
it, a warning is logged, and the system check ``django_letsads.W021`` says so at start-up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
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


#: Task backends that run a task in the process (and request) that enqueues it.
IMMEDIATE_BACKENDS = frozenset(
    {
        "django.tasks.backends.immediate.ImmediateBackend",
        "django_tasks.backends.immediate.ImmediateBackend",
    }
)


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
def send_step(link: str, attempt: int = 0) -> dict[str, int]:
    """A link of the send chain: a bounded round, then the next link while work remains."""
    return _step(chains.SEND, link, attempt)


@_task
def poll_step(link: str, attempt: int = 0) -> dict[str, int]:
    """A link of the poll chain."""
    return _step(chains.POLL, link, attempt)


@_task
def watch_chain(kind: str, chain: str) -> str:
    """Check, at the end of its lease, that the chain ``chain`` is still alive.

    Alive (its links move the lease on): look again at the new lease's end. Ended or replaced:
    nothing more to watch. Dead (the lease ran out: the worker running a link was killed, or
    a link got lost): start a new chain, which has a watchdog of its own.
    """
    now = timezone.now()
    lease_until = chains.chain_lease(kind, chain)
    if lease_until is None:
        return "ended"
    if lease_until > now:
        _enqueue(watch_chain, kind, chain, run_after=lease_until + timedelta(seconds=1))
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
    """Work of ``kind`` appeared: start a chain, or wake a live one that waits for later.

    True if a task was enqueued.
    """
    backend = _backend()
    if backend is None:
        return False
    if _runs_immediately(backend):
        logger.warning(
            "LETSADS['USE_TASKS'] is on, but the task backend %r runs tasks immediately, inside "
            "this request; no %s round was enqueued: `manage.py letsads_%s --loop` does it.",
            letsads_settings.TASKS_BACKEND,
            kind,
            kind,
        )
        return False
    if not backend.supports_defer:
        _enqueue(_ROUNDS[kind])
        return True
    now = timezone.now()
    lease = letsads_settings.TASKS_LEASE
    if chains.is_live(kind, now=now):
        # A short wait (an idle delay, the next poll in a second) is not worth a stale task.
        woken = chains.wake(
            kind, now=now, lease=lease, longer_than=letsads_settings.TASKS_IDLE_DELAY
        )
        if woken is not None:
            _enqueue(_STEPS[kind], woken.id)
        return woken is not None
    # The watchdog is queued before the chain exists: a process killed between the steps below
    # leaves either a watchdog with nothing to watch, or a chain that is replaced when its lease
    # runs out, never a live-looking chain that nobody watches.
    chain = chains.new_id()
    _enqueue(watch_chain, kind, chain, run_after=now + timedelta(seconds=lease))
    first = chains.start(kind, chain, now=now, lease=lease)
    if first is None:
        return False
    try:
        _enqueue(_STEPS[kind], first.id)
    except Exception:
        # A chain whose first link never got queued must not look alive until its lease ends.
        chains.end(kind, first.id)
        raise
    logger.info("Started a %s task chain", kind)
    return True


def _step(kind: str, link: str, attempt: int) -> dict[str, int]:
    lease = letsads_settings.TASKS_LEASE
    if not chains.begin(kind, link, now=timezone.now(), lease=lease):
        logger.info(
            "A %s task of a chain that moved on, ended or was replaced: nothing to do", kind
        )
        return {"stale": 1}
    try:
        with _lease_renewed(kind, link, lease):
            report = _round(kind, letsads_settings.TASKS_ROUND_LIMIT)
    except Exception:
        retry_at = timezone.now() + timedelta(seconds=_backoff(attempt))
        _continue(kind, link, attempt + 1, lambda: retry_at)
        raise
    if kind == chains.SEND and report.counts.get("queued"):
        ensure_chain(chains.POLL)
    now = timezone.now()
    due = partial(_next_due, kind, report.idle, now)
    if report.stop_error is not None or report.backoff:
        # The gateway refused the account or was unreachable: wait before the next round.
        _continue(
            kind, link, attempt + 1, due, not_before=now + timedelta(seconds=_backoff(attempt))
        )
    else:
        _continue(kind, link, 0, due)
    return report.as_dict()


def _continue(
    kind: str,
    link: str,
    attempt: int,
    next_due: Callable[[], datetime | None],
    not_before: datetime | None = None,
) -> None:
    """Enqueue the chain's next link when work remains (at the time it is due)."""
    now = timezone.now()
    lease = letsads_settings.TASKS_LEASE
    nxt = chains.advance(kind, link, next_due, now=now, lease=lease, not_before=not_before)
    if nxt is not None:
        _enqueue(_STEPS[kind], nxt.id, attempt, run_after=nxt.at)


def _round(kind: str, limit: int | None) -> RoundReport:
    worker = (SendWorker if kind == chains.SEND else PollWorker)(limit=limit)
    report = worker.run_once()
    # A task worker process runs many rounds: its row stays, and goes stale when rounds stop.
    worker.heartbeat.beat(report)
    return report


@contextmanager
def _lease_renewed(kind: str, link: str, lease: float) -> Iterator[None]:
    """Renew the chain's lease every third of it while a round runs, so that a slow round is never
    taken for a dead one; a killed worker stops renewing, and its chain is replaced in time."""
    stop = threading.Event()

    def renew() -> None:
        try:
            while not stop.wait(lease / 3):
                now = timezone.now()
                chains.renew(kind, link, until=now + timedelta(seconds=lease), now=now)
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


def _runs_immediately(backend: Any) -> bool:
    return f"{type(backend).__module__}.{type(backend).__qualname__}" in IMMEDIATE_BACKENDS


def immediate_backend() -> str | None:
    """The alias of the configured task backend when it runs tasks immediately, else None."""
    backend = _backend()
    return letsads_settings.TASKS_BACKEND if backend and _runs_immediately(backend) else None


def _enqueue(task: Any, *args: Any, run_after: datetime | None = None) -> None:
    options: dict[str, Any] = {
        "backend": letsads_settings.TASKS_BACKEND,
        "queue_name": letsads_settings.TASKS_QUEUE,
        "priority": letsads_settings.TASKS_PRIORITY,
    }
    if run_after is not None and run_after > timezone.now():
        options["run_after"] = run_after
    task.using(**options).enqueue(*args)

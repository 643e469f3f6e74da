"""Worker heartbeats: which send and poll workers are alive, and when they last finished a round.

Each worker process keeps one :class:`~django_letsads.models.WorkerHeartbeat` row up to date with
a single UPSERT at most every :data:`BEAT_EVERY` seconds (during a long round too), and deletes
it when it ends. A process killed without a chance to clean up leaves its row behind; a row not
seen for ``LETSADS["WORKER_STALE_AFTER"]`` seconds is ignored, so it never counts as running.

The admin's campaign list and ``manage.py letsads_status`` read :func:`worker_health`.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING

from django.db import DatabaseError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from django_letsads.conf import letsads_settings
from django_letsads.models import WorkerHeartbeat

if TYPE_CHECKING:
    from django_letsads.worker.report import RoundReport

logger = logging.getLogger(__name__)

#: Fewest seconds between two writes of one process's heartbeat: cheap even for a busy worker.
BEAT_EVERY = 5.0

SEND = WorkerHeartbeat.Kind.SEND
POLL = WorkerHeartbeat.Kind.POLL


class Heartbeat:
    """The heartbeat of one worker process of one ``kind`` ("send" or "poll").

    ``beat()`` is throttled: call it as often as convenient. As a context manager it removes the
    row when the block ends, however it ends (the process no longer works either way); a process
    killed outright leaves its row, which goes stale.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.host = socket.gethostname()[:255]
        self.started_at: datetime | None = None
        self.last_round_at: datetime | None = None
        self.last_round = ""
        self._written_at = float("-inf")  # monotonic time of the last write

    def beat(self, report: RoundReport | None = None) -> bool:
        """Record that the process is alive; with ``report``, that a round just ended.

        Writes at most every :data:`BEAT_EVERY` seconds (a round's summary that falls between
        two writes goes with the next one). Returns whether it wrote. A database error is logged
        and swallowed: the worker's own work reports it, a missing heartbeat must not stop it.
        """
        if not self.kind:  # a worker class that did not say what it is
            return False
        now = timezone.now()
        if report is not None:
            self.last_round_at = now
            self.last_round = report.summary()[:255]
        if time.monotonic() - self._written_at < BEAT_EVERY:
            return False
        if self.started_at is None:
            self.started_at = now
        row = WorkerHeartbeat(
            kind=self.kind,
            host=self.host,
            pid=os.getpid(),
            started_at=self.started_at,
            last_seen=now,
            last_round_at=self.last_round_at,
            last_round=self.last_round,
        )
        try:
            # A savepoint, so that a failure cannot break a transaction the caller is in.
            with transaction.atomic():
                WorkerHeartbeat.objects.bulk_create(
                    [row],
                    update_conflicts=True,
                    unique_fields=["kind", "host", "pid"],
                    update_fields=["last_seen", "last_round_at", "last_round"],
                )
        except DatabaseError:
            logger.warning("Could not write the %s worker's heartbeat", self.kind, exc_info=True)
            return False
        self._written_at = time.monotonic()
        return True

    def stop(self) -> None:
        """Delete this process's row: it no longer works."""
        try:
            WorkerHeartbeat.objects.filter(kind=self.kind, host=self.host, pid=os.getpid()).delete()
        except DatabaseError:
            logger.warning("Could not remove the %s worker's heartbeat", self.kind, exc_info=True)
        self._written_at = float("-inf")

    def __enter__(self) -> Heartbeat:
        # No write yet: the first one comes with the first results or the end of the first
        # round, so a process that cannot reach the database never looks alive.
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


_PROCESS_BEATS: dict[tuple[str, int], Heartbeat] = {}


def process_heartbeat(kind: str) -> Heartbeat:
    """The heartbeat of this process for ``kind``: one per process (its row's key), so that
    workers made for each task round share the throttle."""
    key = (kind, os.getpid())
    if key not in _PROCESS_BEATS:
        _PROCESS_BEATS[key] = Heartbeat(kind)
    return _PROCESS_BEATS[key]


@dataclass(frozen=True)
class WorkerHealth:
    """What the heartbeats say about one kind of worker."""

    kind: str
    #: Processes seen within ``WORKER_STALE_AFTER`` seconds.
    running: int
    #: When the most recent round of a running process ended (None: none finished yet).
    last_round_at: datetime | None
    #: When any process of this kind, running or stale, was last seen (None: no row at all).
    last_seen: datetime | None

    def seconds_since_round(self, now: datetime | None = None) -> float | None:
        if self.last_round_at is None:
            return None
        return max(0.0, ((now or timezone.now()) - self.last_round_at).total_seconds())


def stale_before(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(seconds=letsads_settings.WORKER_STALE_AFTER)


def worker_health(kind: str, now: datetime | None = None) -> WorkerHealth:
    """One aggregate query over the heartbeats of ``kind``."""
    fresh = Q(last_seen__gte=stale_before(now))
    row = WorkerHeartbeat.objects.filter(kind=kind).aggregate(
        running=Count("id", filter=fresh),
        last_round_at=Max("last_round_at", filter=fresh),
        last_seen=Max("last_seen"),
    )
    return WorkerHealth(kind, row["running"] or 0, row["last_round_at"], row["last_seen"])


def running_workers(now: datetime | None = None) -> list[WorkerHeartbeat]:
    """The heartbeats of the processes that count as running, oldest first."""
    return list(
        WorkerHeartbeat.objects.filter(last_seen__gte=stale_before(now)).order_by(
            "kind", "started_at", "id"
        )
    )

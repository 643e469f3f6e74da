"""At most one live chain of send rounds and one of poll rounds, kept in the database.

In task mode (``LETSADS["USE_TASKS"]``) each round is a task that enqueues the next one while
there is work. Which chain is the live one is decided here, never by the queue: the
:class:`~django_letsads.models.TaskChain` row of a kind holds the live chain's token and its lease
(the time by which its next task must have begun). Every change is one conditional UPDATE, so
two processes deciding at once cannot both win on any database, and a task whose token is no longer
in the row does nothing.

This module knows nothing of task frameworks; :mod:`django_letsads.tasks` enqueues.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Min, Q

from django_letsads.models import Campaign, Message, TaskChain
from django_letsads.status import Status

SEND = TaskChain.Kind.SEND
POLL = TaskChain.Kind.POLL


def new_token() -> str:
    return uuid.uuid4().hex


def _live(now: datetime) -> Q:
    return ~Q(token="") & Q(lease_until__gte=now)


def is_live(kind: str, *, now: datetime) -> bool:
    """Whether a chain of ``kind`` is live (has a token and a lease not yet run out)."""
    return TaskChain.objects.filter(_live(now), kind=kind).exists()


def start(kind: str, token: str, *, now: datetime, lease: float) -> bool:
    """Make ``token`` the live chain of ``kind`` unless a live one exists; True if it is now.

    A chain whose lease has run out is taken for dead and replaced: its tasks, if one of them
    still runs, find their token gone and stop.
    """
    values = {"token": token, "lease_until": now + timedelta(seconds=lease), "updated_at": now}
    if TaskChain.objects.filter(~_live(now), kind=kind).update(**values):
        return True
    if TaskChain.objects.filter(kind=kind).exists():
        return False
    try:
        with transaction.atomic():
            TaskChain.objects.create(kind=kind, **values)
    except IntegrityError:  # another process created the row (and so started a chain) first
        return False
    return True


def renew(kind: str, token: str, *, until: datetime, now: datetime) -> bool:
    """Extend the chain's lease to ``until``; False if ``token`` is not the live chain."""
    return bool(
        TaskChain.objects.filter(kind=kind, token=token).update(lease_until=until, updated_at=now)
    )


def lease_of(kind: str, token: str) -> datetime | None:
    """The lease of the chain ``token``; None if it is not the live chain (ended or replaced)."""
    row = TaskChain.objects.filter(kind=kind, token=token).values_list("lease_until", flat=True)
    return next(iter(row), None)


def advance(
    kind: str,
    token: str,
    next_due: Callable[[], datetime | None],
    *,
    now: datetime,
    lease: float,
) -> datetime | None:
    """After a round: when the chain's next task runs, or None when the chain ends here.

    The row is locked first (a write), and only then is ``next_due`` asked whether work remains.
    Whoever adds work announces it after its commit and tries :func:`start`, which waits for this
    lock: either this check sees the new work and the chain goes on, or the chain has ended
    by the time :func:`start` runs and a new one begins. Work is never left without a chain.
    Returns None also when ``token`` is no longer the live chain.
    """
    with transaction.atomic():
        if not TaskChain.objects.filter(kind=kind, token=token).update(updated_at=now):
            return None
        due = next_due()
        if due is None:
            TaskChain.objects.filter(kind=kind, token=token).update(token="", lease_until=None)
            return None
        due = max(due, now)
        TaskChain.objects.filter(kind=kind, token=token).update(
            lease_until=due + timedelta(seconds=lease)
        )
        return due


def end(kind: str, token: str) -> bool:
    """End the chain ``token`` (e.g. its next round could not be deferred); False if not live."""
    return bool(TaskChain.objects.filter(kind=kind, token=token).update(token="", lease_until=None))


# -- when is there work ------------------------------------------------------------------------


def next_send_due(
    *, now: datetime, idle: bool, idle_delay: float, claim_lease: float
) -> datetime | None:
    """When a send round has something to do next, or None.

    Now, while messages are sendable (later by ``idle_delay`` when the last round could claim none
    of them, e.g. in quiet hours); else when the next scheduled campaign starts; else when the
    oldest claim in flight can be recovered (a worker died holding it).
    """
    if Message.objects.sendable().exists():
        return now + timedelta(seconds=idle_delay) if idle else now
    candidates = [
        Campaign.objects.filter(
            state=Campaign.State.SCHEDULED, scheduled_at__isnull=False
        ).aggregate(at=Min("scheduled_at"))["at"],
    ]
    oldest_claim = Message.objects.filter(status=Status.SENDING).aggregate(at=Min("claimed_at"))[
        "at"
    ]
    if oldest_claim is not None:
        candidates.append(oldest_claim + timedelta(seconds=claim_lease))
    return min((at for at in candidates if at is not None), default=None)


def next_poll_due(*, now: datetime, idle: bool, idle_delay: float) -> datetime | None:
    """When the earliest status poll is due (later by ``idle_delay`` after a round that found
    due polls but could take none), or None when no message waits for a poll."""
    due: datetime | None = Message.objects.filter(next_poll_at__isnull=False).aggregate(
        at=Min("next_poll_at")
    )["at"]
    if due is None:
        return None
    if due <= now and idle:
        return now + timedelta(seconds=idle_delay)
    return due

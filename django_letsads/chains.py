"""At most one live chain of send rounds and one of poll rounds, kept in the database.

In task mode (``LETSADS["USE_TASKS"]``) each round is a task (a *link*) that enqueues the next
while there is work. Which chain is live, and which of its links may run, is decided here, never
by the queue: the :class:`~django_letsads.models.TaskChain` row of a kind holds the chain's id,
the awaited link's id, when that link is due, and the chain's lease. Every change is one
conditional UPDATE, so two processes deciding at once cannot both win on any database, and a
task whose link is no longer in the row does nothing.

This module knows nothing of task frameworks; :mod:`django_letsads.tasks` enqueues.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Min, Q

from django_letsads.models import Campaign, Message, TaskChain
from django_letsads.status import Status

SEND = TaskChain.Kind.SEND
POLL = TaskChain.Kind.POLL


@dataclass(frozen=True)
class Link:
    """The next task of a chain: its id (the task's argument) and when it is due."""

    id: str
    at: datetime


def new_id() -> str:
    return uuid.uuid4().hex


def _live(now: datetime) -> Q:
    return ~Q(chain="") & Q(lease_until__gte=now)


def is_live(kind: str, *, now: datetime) -> bool:
    """Whether a chain of ``kind`` is live (it exists and its lease has not run out)."""
    return TaskChain.objects.filter(_live(now), kind=kind).exists()


def start(kind: str, chain: str, *, now: datetime, lease: float) -> Link | None:
    """Make ``chain`` the live chain of ``kind`` unless one is live; its first link, or None.

    A chain whose lease has run out is taken for dead and replaced: its tasks, if one of them
    still runs, find their link gone and stop.
    """
    link = Link(new_id(), now)
    values = {
        "chain": chain,
        "link": link.id,
        "next_at": now,
        "lease_until": now + timedelta(seconds=lease),
        "updated_at": now,
    }
    if TaskChain.objects.filter(~_live(now), kind=kind).update(**values):
        return link
    if TaskChain.objects.filter(kind=kind).exists():
        return None
    try:
        with transaction.atomic():
            TaskChain.objects.create(kind=kind, **values)
    except IntegrityError:  # another process created the row (and so started a chain) first
        return None
    return link


def wake(kind: str, *, now: datetime, lease: float, longer_than: float = 0) -> Link | None:
    """Bring a live chain's waiting link forward to now (new work came before it was due).

    The waiting link is replaced by a new one, so the deferred task does nothing when it comes.
    None when no chain is live, or its link is running, already due, or due within
    ``longer_than`` seconds (it will see the work then, and no stale task is left behind).
    """
    link = Link(new_id(), now)
    soon = now + timedelta(seconds=longer_than)
    woken = TaskChain.objects.filter(_live(now), kind=kind, next_at__gt=soon).update(
        link=link.id, next_at=now, lease_until=now + timedelta(seconds=lease), updated_at=now
    )
    return link if woken else None


def begin(kind: str, link: str, *, now: datetime, lease: float) -> bool:
    """Mark the link ``link`` as running; False if it is not the awaited link (stale, or a second
    delivery of a task that already ran)."""
    return bool(
        TaskChain.objects.filter(kind=kind, link=link, next_at__isnull=False).update(
            next_at=None, lease_until=now + timedelta(seconds=lease), updated_at=now
        )
    )


def renew(kind: str, link: str, *, until: datetime, now: datetime) -> bool:
    """Extend the chain's lease while its link ``link`` runs; False if it is no longer the link."""
    return bool(
        TaskChain.objects.filter(kind=kind, link=link).update(lease_until=until, updated_at=now)
    )


def chain_lease(kind: str, chain: str) -> datetime | None:
    """The lease of the chain ``chain``; None if it is not the live chain (ended or replaced)."""
    rows = TaskChain.objects.filter(kind=kind, chain=chain).values_list("lease_until", flat=True)
    return next(iter(rows), None)


def advance(
    kind: str,
    link: str,
    next_due: Callable[[], datetime | None],
    *,
    now: datetime,
    lease: float,
    not_before: datetime | None = None,
) -> Link | None:
    """After the round of ``link``: the chain's next link, or None when the chain ends here.

    The row is locked first (a write), and only then is ``next_due`` asked whether work remains.
    Whoever adds work announces it after its commit and tries :func:`start` or :func:`wake`,
    which wait for this lock: either this check sees the new work, or the chain has ended (or
    waits for later) by the time they run, and they start (or wake) it. Work is never left
    behind. ``not_before`` defers the next link (a back-off). None also when ``link`` is no
    longer the chain's link.
    """
    with transaction.atomic():
        if not TaskChain.objects.filter(kind=kind, link=link).update(updated_at=now):
            return None
        due = next_due()
        if due is None:
            TaskChain.objects.filter(kind=kind, link=link).update(
                chain="", link="", next_at=None, lease_until=None
            )
            return None
        nxt = Link(new_id(), max(due, now, not_before or now))
        TaskChain.objects.filter(kind=kind, link=link).update(
            link=nxt.id, next_at=nxt.at, lease_until=nxt.at + timedelta(seconds=lease)
        )
        return nxt


def end(kind: str, link: str) -> bool:
    """End the chain whose link is ``link`` (its next task could not be queued)."""
    return bool(
        TaskChain.objects.filter(kind=kind, link=link).update(
            chain="", link="", next_at=None, lease_until=None
        )
    )


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

"""When campaign messages may go out: schedules, expiry, quiet hours and a per-campaign pace.

The send worker asks this module two things. At the start of every round, :func:`begin_round`
expires the campaigns whose ``expires_at`` has passed and starts the scheduled ones now due.
Inside each claim, :func:`claimable_campaigns` says which sending campaigns may give messages
now (none during quiet hours, unless the campaign ignores them; a paced one only as many as
its pace allows) and, once the claim is made, charges the paced ones for what was taken.

Everything is decided from the database and the clock, never from a worker's memory, so any
number of worker processes keep the rules together: a due campaign is started by one of them
(its row locked, ``SKIP LOCKED`` where the database has it), and a campaign's pace is one
timestamp on its row (``Campaign.pace_next_at``), advanced in the claim's transaction.

Messages without a campaign (``send_sms`` through the outbox) are never held: one-time codes
must go at night too.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connections, router, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from django_letsads.claim_window import (
    PACE_BURST_SECONDS,
    ClaimWindow,
    claimable_campaigns,
    skip_locked,
)
from django_letsads.leaving_out import leave_out
from django_letsads.models import Campaign, Message
from django_letsads.quiet_hours import holds, quiet_hours_end
from django_letsads.signals import announce_work
from django_letsads.status import Status
from django_letsads.transitions import change_status

logger = logging.getLogger(__name__)

# With the names of quiet_hours and claim_window, which were part of this module.
__all__ = [
    "CAMPAIGN_EXPIRED",
    "PACE_BURST_SECONDS",
    "ROUND_BATCH",
    "UNFINISHED",
    "ClaimWindow",
    "RoundStart",
    "ScheduleError",
    "begin_round",
    "claimable_campaigns",
    "expire_campaigns",
    "holds",
    "quiet_hours_end",
    "schedule",
    "start_due_campaigns",
    "unschedule",
]

#: ``error_code`` of the pending messages of a campaign that expired before they were sent.
CAMPAIGN_EXPIRED = "CAMPAIGN_EXPIRED"
#: Campaigns that may still send, so may expire.
UNFINISHED = (Campaign.State.SCHEDULED, Campaign.State.SENDING, Campaign.State.PAUSED)
#: Campaigns started or expired per round at most, so the round's first query stays bounded.
ROUND_BATCH = 100


class ScheduleError(ValueError):
    """A schedule that cannot be accepted; ``code`` says why, the message says it to a person."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


# -- scheduling ----------------------------------------------------------------------------------


def schedule(campaign_id: int, when: datetime, *, now: datetime | None = None) -> Campaign:
    """Move a draft (or an already scheduled) campaign to *scheduled*, to start at ``when``.

    Raises :class:`ScheduleError` and changes nothing if ``when`` is naive or not in the future,
    if the campaign is not a draft, has no recipients waiting, would expire by then, or has a
    pace below one message a minute.
    """
    if timezone.is_naive(when):
        raise ScheduleError(_("The time to start must say its time zone."), "NAIVE_TIME")
    now = now or timezone.now()
    if when <= now:
        raise ScheduleError(_("The time to start is not in the future."), "IN_THE_PAST")
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.state not in (Campaign.State.DRAFT, Campaign.State.SCHEDULED):
            raise ScheduleError(
                _("It is %(state)s; only a draft can be scheduled.")
                % {"state": Campaign.State(campaign.state).label},
                "NOT_DRAFT",
            )
        if campaign.expires_at is not None and campaign.expires_at <= when:
            raise ScheduleError(
                _("It expires before the time to start; change or clear its expiry first."),
                "EXPIRES_BEFORE_START",
            )
        if campaign.max_per_minute is not None and campaign.max_per_minute < 1:
            raise ScheduleError(
                _("Its pace must be at least one message a minute."), "INVALID_PACE"
            )
        if not campaign.messages.filter(status=Status.PENDING).exists():
            raise ScheduleError(_("It has no recipients waiting to be sent."), "NO_RECIPIENTS")
        campaign.state = Campaign.State.SCHEDULED
        campaign.scheduled_at = when
        campaign.save(update_fields=["state", "scheduled_at"])
        announce_work(Campaign, "send")  # task mode defers its next round to ``when``
    logger.info("Campaign %s scheduled to start at %s", campaign_id, when.isoformat())
    return campaign


def unschedule(campaign_id: int) -> bool:
    """Move a scheduled campaign back to *draft* (its time cleared); False if it was not
    scheduled, e.g. a worker started it a moment ago."""
    updated = Campaign.objects.filter(pk=campaign_id, state=Campaign.State.SCHEDULED).update(
        state=Campaign.State.DRAFT, scheduled_at=None
    )
    if updated:
        logger.info("Campaign %s unscheduled", campaign_id)
    return bool(updated)


# -- the start of a send round -------------------------------------------------------------------


@dataclass(frozen=True)
class RoundStart:
    """What :func:`begin_round` did: campaigns started and expired, and messages expired."""

    started: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)
    expired_messages: int = 0


def begin_round(now: datetime | None = None) -> RoundStart:
    """Expire the campaigns past their ``expires_at``, then start the scheduled ones now due.

    The send worker calls this first in every round. When there is nothing to do it costs one
    query on indexes that hold only unfinished campaigns, without a transaction or a lock, so
    ten thousand finished campaigns cost nothing (``python -m benchmarks --case scheduling``).
    """
    now = now or timezone.now()
    if not _anything_due(now):
        return RoundStart()
    expired, messages = expire_campaigns(now)
    return RoundStart(start_due_campaigns(now), expired, messages)


def _anything_due(now: datetime) -> bool:
    """Whether a campaign is due to start or to expire: one statement, written out because the
    ORM's compiling of it cost more than the database's answering it. The states are written in
    as literals, as in the partial indexes' conditions: with them bound as parameters SQLite
    cannot tell that the indexes apply, and reads every unfinished campaign instead."""
    table = Campaign._meta.db_table
    unfinished = ", ".join(f"'{state.value}'" for state in UNFINISHED)
    sql = (
        f"SELECT 1 FROM {table} WHERE state = '{Campaign.State.SCHEDULED.value}' "  # noqa: S608 - constants and a table name from _meta; the time is bound
        f"AND scheduled_at <= %s "
        f"UNION ALL SELECT 1 FROM {table} WHERE state IN ({unfinished}) AND expires_at <= %s"
    )
    connection = connections[router.db_for_write(Campaign)]
    when = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS({sql})", [when, when])
        row = cursor.fetchone()
    return bool(row and row[0])


def _due(now: datetime) -> QuerySet[Campaign]:
    return Campaign.objects.filter(state=Campaign.State.SCHEDULED, scheduled_at__lte=now)


def _expiring(now: datetime) -> QuerySet[Campaign]:
    return Campaign.objects.filter(state__in=UNFINISHED, expires_at__lte=now)


def start_due_campaigns(now: datetime | None = None) -> list[int]:
    """Start each scheduled campaign whose time has come; returns the ids this call started.

    Safe to call from any number of processes at once (the send worker's rounds, a task): the
    due rows are locked and re-checked, so each campaign is started exactly once. A campaign
    whose time passed while no worker ran starts now; one that has expired meanwhile does not
    (:func:`expire_campaigns` ends it).
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = _due(now).select_for_update(skip_locked=skip_locked())
        rows = list(
            due.order_by("scheduled_at").values_list("id", "scheduled_at", "expires_at")[
                :ROUND_BATCH
            ]
        )
        ids = [pk for pk, _due, expires_at in rows if expires_at is None or expires_at > now]
        if not ids:
            return []
        pending = Message.objects.filter(campaign=OuterRef("pk"), status=Status.PENDING)
        startable = Campaign.objects.filter(id__in=ids, state=Campaign.State.SCHEDULED)
        # Nothing left to send (its messages were handled some other way): done, not sending.
        startable.exclude(Exists(pending)).update(state=Campaign.State.DONE, finished_at=now)
        for campaign in startable.filter(Exists(pending)):
            # Left out as when a person starts it (:func:`campaigns.start_campaign`).
            leave_out(campaign)
        startable.update(state=Campaign.State.SENDING, started_at=now, pause_reason="")
    who = f"{socket.gethostname()}:{os.getpid()}"
    for pk, scheduled_at, _expires in rows:
        if pk in ids:
            logger.info(
                "Campaign %s started on schedule by send worker %s (due %s, started %s)",
                pk,
                who,
                scheduled_at,
                now,
            )
    return ids


def expire_campaigns(now: datetime | None = None) -> tuple[list[int], int]:
    """End the unfinished campaigns whose ``expires_at`` has passed.

    Their still-pending messages become ``expired`` with ``error_code`` ``CAMPAIGN_EXPIRED``
    (with their history), and the campaign is *done*. Messages already claimed or accepted are
    not touched: they were sent, and the poller keeps following them. Returns the campaigns
    ended and the number of messages expired.
    """
    now = now or timezone.now()
    with transaction.atomic():
        qs = _expiring(now).select_for_update(skip_locked=skip_locked())
        ids = list(qs.order_by().values_list("id", flat=True)[:ROUND_BATCH])
        messages = 0
        for campaign_id in ids:
            messages += change_status(
                Message.objects.filter(campaign_id=campaign_id),
                Status.PENDING,
                Status.EXPIRED,
                code=CAMPAIGN_EXPIRED,
                note="campaign expired",
                error_code=CAMPAIGN_EXPIRED,
                error_message="The campaign expired before this message was sent.",
            )
        Campaign.objects.filter(id__in=ids).update(state=Campaign.State.DONE, finished_at=now)
    for campaign_id in ids:
        logger.info("Campaign %s expired; its pending messages will not be sent", campaign_id)
    return ids, messages

"""What people do to campaigns (start, schedule, pause, resume, cancel, resend, poll now, delete).

The admin and the management commands call these; each is one short transaction that locks the
campaign row first, so a double click or two admins at once cannot start or resend anything twice.
None of them talks to the gateway: sending is the worker's job, and the worker is told through
``signals.work_queued`` after commit (this module never imports it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import router, transaction
from django.db.models import Count, Exists, Model, OuterRef, QuerySet
from django.db.models.signals import post_delete, pre_delete
from django.utils import timezone
from django.utils.translation import gettext as _

from django_letsads import leaving_out, scheduling
from django_letsads.cascade import delete_messages_of
from django_letsads.distribution import TextDistribution
from django_letsads.models import Campaign, Message, StatusEvent
from django_letsads.signals import announce_work
from django_letsads.status import Status
from django_letsads.transitions import change_status

logger = logging.getLogger(__name__)

STARTABLE = (Campaign.State.DRAFT, Campaign.State.SCHEDULED)
ACTIVE_STATUSES = (Status.PENDING, Status.SENDING, Status.QUEUED, Status.SENT)


@dataclass(frozen=True)
class StartResult:
    started: bool
    reason: str = ""


def start_campaign(campaign_id: int, *, counted: TextDistribution | None = None) -> StartResult:
    """Move a draft or scheduled campaign to ``sending`` so workers pick up its messages.

    Idempotent: a second call (double submit, another admin) finds the campaign already sending and
    changes nothing. Workers are told through the optional task integration after commit. The
    recipients a personalised text cannot be sent to are cancelled in the same transaction
    (:func:`django_letsads.leaving_out.leave_out`).

    ``counted``: the figures of a personalised campaign as it sends, computed by the caller in
    its own transaction with the campaign row locked, and still in it (the Send confirmation's
    confirm, which checked them against what the page showed); they spare counting them again.
    """
    if counted is not None and not transaction.get_connection().in_atomic_block:
        raise ValueError(
            "start_campaign(counted=...) takes figures computed in the caller's transaction, "
            "with the campaign row locked: call it inside that transaction."
        )
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.state not in STARTABLE:
            return StartResult(False, f"campaign is {campaign.state}")
        if campaign.expires_at is not None and campaign.expires_at <= timezone.now():
            return StartResult(False, "campaign has expired")
        if not campaign.messages.filter(status=Status.PENDING).exists():
            return StartResult(False, "campaign has no pending recipients")
        # What the confirmation said would be left out (missing values, too long texts).
        leaving_out.leave_out(campaign, counted)
        campaign.state = Campaign.State.SENDING
        campaign.started_at = campaign.started_at or timezone.now()
        campaign.pause_reason = ""
        campaign.save(update_fields=["state", "started_at", "pause_reason"])
        announce_work(Campaign, "send")
    logger.info("Campaign %s started", campaign_id)
    return StartResult(True)


def schedule_campaign(campaign_id: int, when: datetime) -> Campaign:
    """Schedule a draft campaign to start at ``when`` (an aware datetime in the future).

    A send round starts it at that moment, exactly once (``scheduling.start_due_campaigns``).
    Raises :class:`~django_letsads.scheduling.ScheduleError` (a ``ValueError`` with a ``code``)
    and changes nothing when the time is past or naive, the campaign is not a draft or has no
    recipients waiting, or it would expire before starting.
    """
    return scheduling.schedule(campaign_id, when)


def unschedule_campaign(campaign_id: int) -> bool:
    """Make a scheduled campaign a draft again; False if it was not (or no longer) scheduled."""
    return scheduling.unschedule(campaign_id)


def pause_campaigns(campaign_ids: Iterable[int], reason: str) -> int:
    """Pause sending campaigns (e.g. the account ran out of money); their pending messages wait."""
    return Campaign.objects.filter(pk__in=list(campaign_ids), state=Campaign.State.SENDING).update(
        state=Campaign.State.PAUSED, pause_reason=reason[:255]
    )


def resume_campaign(campaign_id: int) -> bool:
    with transaction.atomic():
        updated = Campaign.objects.filter(pk=campaign_id, state=Campaign.State.PAUSED).update(
            state=Campaign.State.SENDING, pause_reason=""
        )
        if updated:
            announce_work(Campaign, "send")
    return bool(updated)


def cancel_campaign(campaign_id: int) -> int:
    """Cancel a campaign that has not finished; its pending messages become ``cancelled``.

    Messages already claimed or accepted by the gateway are not touched: they were (or are being)
    sent. Returns how many messages were cancelled.
    """
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.state in (Campaign.State.DONE, Campaign.State.CANCELLED):
            return 0
        campaign.state = Campaign.State.CANCELLED
        campaign.finished_at = timezone.now()
        campaign.save(update_fields=["state", "finished_at"])
        return change_status(
            campaign.messages.all(), Status.PENDING, Status.CANCELLED, note="campaign cancelled"
        )


@dataclass(frozen=True)
class DeleteResult:
    deleted: bool
    reason: str = ""
    messages: int = 0


def deletion_blocker(campaign: Campaign, *, in_flight: bool | None = None) -> str:
    """Why ``campaign`` may not be deleted now (``""``: it may).

    A campaign that is sending, or has messages a worker is sending at this moment, keeps its
    rows: the gateway's answers (and the money they stand for) must have somewhere to go.
    ``in_flight`` says whether it has such messages, when the caller has looked already
    (one query for a page of campaigns); otherwise it is looked up.
    """
    if campaign.state == Campaign.State.SENDING:
        return _("it is sending; pause or cancel it first")
    if in_flight is None:
        in_flight = campaign.messages.filter(status=Status.SENDING).exists()
    if in_flight:
        return _("a worker is sending some of its messages; try again in a minute")
    return ""


def delete_campaign(campaign_id: int) -> DeleteResult:
    """Delete a campaign with its messages and their history, in a few statements at any size.

    Django's cascade loads every message to delete it (11 s and 180 MB for 100,000 on
    PostgreSQL); this deletes the history, then the messages, in one statement each. If
    a receiver of ``pre_delete``/``post_delete`` is connected for ``Message`` or
    ``StatusEvent``, Django's cascade runs instead, so that it is called for each row, as
    Django itself does. Refused while :func:`deletion_blocker` says so.
    """
    db = router.db_for_write(Campaign)
    with transaction.atomic(using=db):
        # The lock makes a concurrent import wait, then find the campaign gone.
        campaign = Campaign.objects.using(db).select_for_update().filter(pk=campaign_id).first()
        if campaign is None:
            return DeleteResult(False, _("it no longer exists"))
        blocker = deletion_blocker(campaign)
        if blocker:
            return DeleteResult(False, blocker)
        if _has_delete_receivers(Message) or _has_delete_receivers(StatusEvent):
            count = Message.objects.using(db).filter(campaign_id=campaign_id).count()
        else:
            count = delete_messages_of(campaign_id, db)
        campaign.delete(using=db)  # the cascade finds what is left, if anything
    logger.info("Campaign %s deleted with %d messages", campaign_id, count)
    return DeleteResult(True, messages=count)


def _has_delete_receivers(model: type[Model]) -> bool:
    return pre_delete.has_listeners(model) or post_delete.has_listeners(model)


def resend_unknown(messages: QuerySet[Message], note: str = "resend requested") -> int:
    """Put ``unknown`` messages back to ``pending`` because a person decided to risk a duplicate.

    The gateway has no idempotency key: a message whose first request did reach it will be
    delivered (and billed) twice. Campaigns of the messages are set sending again.
    """
    with transaction.atomic():
        campaign_ids = set(
            messages.filter(status=Status.UNKNOWN)
            .exclude(campaign=None)
            .values_list("campaign_id", flat=True)
            .distinct()
        )
        count = change_status(
            messages,
            Status.UNKNOWN,
            Status.PENDING,
            note=note,
            claim_token="",
            claimed_at=None,
            final_at=None,
        )
        if campaign_ids:
            Campaign.objects.filter(
                pk__in=campaign_ids, state__in=[Campaign.State.DONE, Campaign.State.PAUSED]
            ).update(state=Campaign.State.SENDING, finished_at=None)
        if count:
            announce_work(Campaign, "send")
    return count


def poll_now(messages: QuerySet[Message]) -> int:
    """Make the accepted, not yet final messages due for a status poll right away."""
    count = messages.filter(status__in=(Status.QUEUED, Status.SENT), sms_id__isnull=False).update(
        next_poll_at=timezone.now()
    )
    if count:
        announce_work(Message, "poll")
    return count


def finish_done_campaigns(campaign_ids: Iterable[int]) -> int:
    """Mark ``done`` the sending campaigns that have no pending or in-flight message left."""
    active = Message.objects.filter(campaign=OuterRef("pk"), status__in=ACTIVE_STATUSES)
    return (
        Campaign.objects.filter(pk__in=list(campaign_ids), state=Campaign.State.SENDING)
        .exclude(Exists(active))
        .update(state=Campaign.State.DONE, finished_at=timezone.now())
    )


def status_counts(campaign_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Messages per status for many campaigns in one aggregate query (for lists and progress)."""
    ids = list(campaign_ids)
    counts: dict[int, dict[str, int]] = {pk: {s.value: 0 for s in Status} for pk in ids}
    rows = (
        Message.objects.filter(campaign_id__in=ids)
        .order_by()
        .values_list("campaign_id", "status")
        .annotate(n=Count("id"))
    )
    for campaign_id, status, n in rows:
        counts[campaign_id][status] = n
    return counts

"""Campaigns, their per-recipient messages, and each message's status history.

Status changes never happen by a bare ``update(status=…)``: they go through
:mod:`django_letsads.transitions`, which changes the status, the timestamps and the history
together, in one transaction.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from django_letsads.status import FINAL_STATUSES, Status


class CampaignLockedError(ValueError):
    """A campaign that has started sending cannot change what it sends (``fields``)."""

    def __init__(self, campaign_id: int, fields: list[str]) -> None:
        self.fields = fields
        super().__init__(
            f"Campaign {campaign_id} has started sending: its {', '.join(fields)} cannot change "
            "(its messages were sent with them). Create a new campaign instead."
        )


class Campaign(models.Model):
    """One text from one sender to many recipients (its ``Message`` rows)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        SCHEDULED = "scheduled", _("scheduled")
        SENDING = "sending", _("sending")
        PAUSED = "paused", _("paused")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    name = models.CharField(_("name"), max_length=200)
    sender = models.CharField(_("sender"), max_length=15)
    text = models.TextField(_("text"))
    #: Send the text transliterated into Latin letters (:func:`django_letsads.text.transliterate`,
    #: the Ukrainian table): GSM-7 holds 160 characters a segment where Cyrillic UCS-2 holds 70.
    transliterate = models.BooleanField(
        _("transliterate"),
        default=False,
        help_text=_(
            "Send the text in Latin letters (the official Ukrainian transliteration): a segment "
            "holds 160 Latin characters but only 70 Cyrillic ones."
        ),
    )
    #: The alias in ``settings.LETSADS`` of the account that sends it (:mod:`accounts`).
    account = models.CharField(_("account"), max_length=64, default="default")
    state = models.CharField(
        _("state"), max_length=9, choices=State.choices, default=State.DRAFT, db_index=True
    )
    #: Set by ``campaigns.schedule_campaign``: a send round starts the campaign at that moment.
    scheduled_at = models.DateTimeField(_("scheduled at"), null=True, blank=True)
    expires_at = models.DateTimeField(
        _("expires at"),
        null=True,
        blank=True,
        help_text=_("Messages not sent by then are not sent at all (they become expired)."),
    )
    max_per_minute = models.PositiveIntegerField(
        _("messages per minute at most"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Across all workers; empty: as fast as the workers send."),
    )
    ignore_quiet_hours = models.BooleanField(
        _("send during quiet hours"),
        default=False,
        help_text=_("Also send in the night-time window in which campaigns are held."),
    )
    #: The pace's state (see :mod:`django_letsads.scheduling`): the earliest time at which the
    #: next message of a campaign with ``max_per_minute`` may be claimed.
    pace_next_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    #: Why the campaign is paused (e.g. the gateway's NOT_ENOUGH_MONEY), shown in the admin.
    pause_reason = models.CharField(_("pause reason"), max_length=255, blank=True)
    #: Running totals of what recipient imports left out, shown before sending (the rows
    #: themselves are never stored).
    duplicate_recipients = models.PositiveIntegerField(
        _("duplicate numbers skipped"), default=0, editable=False
    )
    invalid_recipients = models.PositiveIntegerField(
        _("invalid numbers rejected"), default=0, editable=False
    )
    opted_out_recipients = models.PositiveIntegerField(
        _("opted-out numbers skipped"), default=0, editable=False
    )

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]
        permissions = [("send_campaign", _("Can send campaigns"))]
        indexes = [
            # What every send round asks first (``scheduling.begin_round``): the scheduled
            # campaigns now due, and the unfinished ones now expired. Partial, so the finished
            # campaigns (nearly all of them, in time) are not in these indexes at all.
            models.Index(
                fields=["scheduled_at"], condition=Q(state="scheduled"), name="letsads_camp_due"
            ),
            models.Index(
                fields=["expires_at"],
                condition=Q(state__in=["scheduled", "sending", "paused"])
                & Q(expires_at__isnull=False),
                name="letsads_camp_expiring",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    #: What a campaign sends; fixed once it has started (:meth:`save` refuses a change).
    SENT_FIELDS = ("text", "sender", "transliterate")

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; raises :class:`CampaignLockedError` (a ``ValueError``) for a change of the text,
        sender or transliteration of a campaign that has started sending (stored state other
        than draft or scheduled): its messages were, or are being, sent with them, and each
        personalised text was rendered from this one. (One query, only for such saves.)"""
        update_fields = kwargs.get("update_fields")
        checked = [f for f in self.SENT_FIELDS if update_fields is None or f in set(update_fields)]
        if self.pk is not None and checked:
            stored = type(self).objects.filter(pk=self.pk).values("state", *checked).first()
            if stored is not None and stored["state"] not in (
                self.State.DRAFT,
                self.State.SCHEDULED,
            ):
                changed = [f for f in checked if stored[f] != getattr(self, f)]
                if changed:
                    raise CampaignLockedError(self.pk, changed)
        super().save(*args, **kwargs)

    def status_counts(self) -> dict[str, int]:
        """Messages per status, every status present (one aggregate query on an index)."""
        counts = {status.value: 0 for status in Status}
        rows = self.messages.order_by().values_list("status").annotate(n=Count("id"))
        counts.update(dict(rows))
        return counts


class MessageQuerySet(models.QuerySet["Message"]):
    def pending(self) -> MessageQuerySet:
        return self.filter(status=Status.PENDING)

    def final(self) -> MessageQuerySet:
        return self.filter(status__in=FINAL_STATUSES)

    def not_final(self) -> MessageQuerySet:
        return self.exclude(status__in=FINAL_STATUSES)

    def sendable(self) -> MessageQuerySet:
        """Pending messages a worker may send now: no campaign, or a campaign that is sending."""
        return self.filter(status=Status.PENDING).filter(
            Q(campaign__isnull=True) | Q(campaign__state=Campaign.State.SENDING)
        )

    def due_for_poll(self, now: Any = None) -> MessageQuerySet:
        return self.filter(next_poll_at__lte=now or timezone.now())


class Message(models.Model):
    """One text to one recipient.

    For campaign messages ``sender`` and ``text`` are left blank: the campaign holds them once, so
    a million rows do not store a million copies. When a campaign's text has placeholders
    (:mod:`django_letsads.merge`), ``text`` holds exactly what this recipient was sent, written
    when the worker claimed it. :attr:`effective_text` resolves either way.
    """

    Status = Status

    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
        # The (campaign, status, id) index already leads with it; one index fewer to maintain
        # per inserted row matters for million-row imports.
        db_index=False,
        # No foreign key in the database: PostgreSQL checks one row by row, and that check was
        # two fifths of the server's cost of an import (``docs/benchmarks.rst``). Django still
        # deletes a campaign's messages with it; the import locks the campaign row against a
        # concurrent delete as the check did, and a deletion sweeps up anything inserted while
        # it ran (:mod:`django_letsads.cascade`). Rows of a campaign deleted behind
        # Django's back are never claimed: the worker claims per existing campaign.
        db_constraint=False,
    )
    recipient = models.CharField(_("recipient"), max_length=20)
    recipient_name = models.CharField(_("recipient name"), max_length=200, blank=True)
    #: The recipient's merge fields (:mod:`django_letsads.merge`): the CSV row's columns, or
    #: ``send_sms(merge_data=...)``. ``None`` when there are none (pasted numbers).
    data = models.JSONField(_("data"), null=True, blank=True)
    #: The alias in ``settings.LETSADS`` of the account that sends (or sent) it.
    account = models.CharField(_("account"), max_length=64, default="default")
    sender = models.CharField(_("sender"), max_length=15, blank=True)
    text = models.TextField(_("text"), blank=True)
    status = models.CharField(
        _("status"), max_length=max(len(s) for s in Status.values), choices=Status.choices
    )
    sms_id = models.BigIntegerField(_("gateway id"), null=True, blank=True)
    error_code = models.CharField(_("error code"), max_length=64, blank=True)
    error_message = models.CharField(_("error message"), max_length=255, blank=True)
    gateway_status = models.CharField(_("gateway status"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    #: The worker round that holds the claim; results are applied only under the same token.
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    final_at = models.DateTimeField(_("final at"), null=True, blank=True)
    next_poll_at = models.DateTimeField(_("next poll at"), null=True, blank=True)
    poll_count = models.PositiveSmallIntegerField(_("polls"), default=0)
    #: Polls in a row that got no usable answer; they back off and are bounded.
    poll_failures = models.PositiveSmallIntegerField(_("failed polls"), default=0)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-id"]
        constraints = [
            # A number once per campaign. Recipient first, so the same index finds a number's
            # messages across campaigns (the admin's search); NULL campaigns are distinct, so
            # messages sent without a campaign are not limited.
            models.UniqueConstraint(
                fields=["recipient", "campaign"], name="letsads_msg_unique_recipient"
            ),
            # Partial, so the rows not yet sent (all of an import) cost this index nothing.
            models.UniqueConstraint(
                fields=["sms_id"],
                condition=Q(sms_id__isnull=False),
                name="letsads_message_unique_sms_id",
            ),
        ]
        indexes = [
            # The poller: due polls.
            models.Index(
                fields=["next_poll_at"],
                condition=Q(next_poll_at__isnull=False),
                name="letsads_msg_poll_due",
            ),
            # Lease recovery: claims that are too old.
            models.Index(
                fields=["claimed_at"], condition=Q(status="sending"), name="letsads_msg_claimed"
            ),
            # Campaign progress (counts per status), and the send worker's claims: the pending
            # messages of one campaign (or of none) in creation order, from where the last claim
            # ended. One index for both leaves the planner no worse choice for the claim when its
            # statistics are stale, as they are right after an import: with a separate partial
            # index it read all of a campaign's pending rows and sorted them, per claim.
            models.Index(fields=["campaign", "status", "id"], name="letsads_msg_campaign_status"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} ({self.status})"

    @property
    def effective_text(self) -> str:
        """What the recipient gets: the message's own text (for a campaign message, stored only
        when its rendering differs from the campaign's text), else the campaign's."""
        if self.text or not (self.campaign_id and self.campaign):
            return self.text
        return self.campaign.text

    @property
    def effective_sender(self) -> str:
        return self.campaign.sender if self.campaign_id and self.campaign else self.sender

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class StatusEvent(models.Model):
    """Append-only history: one row per status change of a message, with the raw gateway code."""

    message = models.ForeignKey(
        Message,
        verbose_name=_("message"),
        on_delete=models.CASCADE,
        related_name="events",
        # No database constraint: PostgreSQL checks one per inserted row (a row lock and a lookup
        # at commit), a quarter of the database's work per message sent, for rows that only this
        # app writes, in the statement that changes the message they point to. Deleting messages
        # through Django still deletes their events (on_delete runs in Django).
        db_constraint=False,
    )
    old_status = models.CharField(
        _("old status"), max_length=11, choices=Status.choices, blank=True
    )
    new_status = models.CharField(_("new status"), max_length=11, choices=Status.choices)
    code = models.CharField(_("code"), max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("status event")
        verbose_name_plural = _("status events")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.old_status or '∅'} → {self.new_status}"


class OptOut(models.Model):
    """A number on the stop list: no campaign sends to it (:mod:`django_letsads.optout`)."""

    class Source(models.TextChoices):
        LINK = "link", _("unsubscribe link")
        ADMIN = "admin", _("admin")
        IMPORT = "import", _("import")
        API = "api", _("API")

    number = models.CharField(_("number"), max_length=20, unique=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.API
    )
    #: The campaign whose unsubscribe link the person followed, if any.
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opt_outs",
    )
    created_at = models.DateTimeField(_("opted out at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("opt-out")
        verbose_name_plural = _("opt-outs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number


class TaskChain(models.Model):
    """Who runs the rounds of one kind when they run on a task queue (``LETSADS["USE_TASKS"]``).

    One row per kind (send, poll). ``chain`` names the one live chain of tasks and ``link`` the
    one task of it that may run next; a task whose link is no longer here does nothing, so a
    restart, a duplicate enqueue or a woken chain can never run two rounds of one chain. While a
    link waits, ``next_at`` is when it is due (work announced before then wakes the chain);
    while it runs, ``next_at`` is empty. ``lease_until`` is when the chain is taken for dead (its
    worker killed) and replaced. Rows change only through :mod:`django_letsads.chains`, always
    by conditional UPDATEs.
    """

    class Kind(models.TextChoices):
        SEND = "send", _("send")
        POLL = "poll", _("poll")

    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices, primary_key=True)
    chain = models.CharField(_("chain"), max_length=32, blank=True)
    link = models.CharField(_("link"), max_length=32, blank=True)
    next_at = models.DateTimeField(_("next at"), null=True, blank=True)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("task chain")
        verbose_name_plural = _("task chains")

    def __str__(self) -> str:
        return f"{self.kind}: {self.chain or '-'}"


class WorkerHeartbeat(models.Model):
    """One row per running worker process (``letsads_send``/``letsads_poll``, or a task round).

    Written by :mod:`django_letsads.heartbeat` at most every few seconds, deleted when the process
    ends; a row not seen for ``LETSADS["WORKER_STALE_AFTER"]`` seconds belongs to a process that
    died or a task worker that went quiet, and is ignored.
    """

    class Kind(models.TextChoices):
        SEND = "send", pgettext_lazy("worker kind", "send")
        POLL = "poll", pgettext_lazy("worker kind", "poll")

    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices)
    host = models.CharField(_("host"), max_length=255)
    pid = models.PositiveIntegerField(_("process id"))
    started_at = models.DateTimeField(_("started at"))
    last_seen = models.DateTimeField(_("last seen"), db_index=True)
    #: When the last complete round ended, and what it did ("claimed=50 sent=50").
    last_round_at = models.DateTimeField(_("last round at"), null=True, blank=True)
    last_round = models.CharField(_("last round"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")
        constraints = [
            models.UniqueConstraint(fields=["kind", "host", "pid"], name="letsads_heartbeat_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.host}:{self.pid}"

"""Per-recipient messages and each message's status history (``StatusEvent``).

Status changes never happen by a bare ``update(status=…)``: they go through
:mod:`django_letsads.transitions`, which changes the status, the timestamps and the history
together, in one transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from django_letsads.models.campaigns import Campaign
from django_letsads.status import FINAL_STATUSES, Status


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

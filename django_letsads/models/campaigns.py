"""Campaigns: one text from one sender to many recipients, fixed once it has started sending."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from django_letsads.status import Status


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

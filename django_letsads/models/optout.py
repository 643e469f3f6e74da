"""The stop list's rows: numbers no campaign sends to."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from django_letsads.models.campaigns import Campaign


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

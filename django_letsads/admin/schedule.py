"""The admin's Schedule and Unschedule actions.

**Schedule campaign** shows the Send confirmation (recipients, segments, balance) with a date and
time to start, in the site's time zone, and schedules through
:func:`django_letsads.campaigns.schedule_campaign`. It is the only way to set ``scheduled_at``:
the campaign form shows the field read-only, so a campaign never looks scheduled without being so.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminSplitDateTime
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from django_letsads import campaigns, scheduling
from django_letsads.admin import display
from django_letsads.admin.actions import _confirmed, _require_permission
from django_letsads.admin.confirming import sendable_counts
from django_letsads.admin.estimate import price_estimate, send_anyway_missing
from django_letsads.admin.send_action import without_unknown_fields
from django_letsads.admin.send_confirmation import _send_confirmation
from django_letsads.admin.views import confirmation_page
from django_letsads.conf import letsads_settings
from django_letsads.models import Campaign

SCHEDULABLE = (Campaign.State.DRAFT, Campaign.State.SCHEDULED)


class ScheduleForm(forms.Form):
    scheduled_at = forms.SplitDateTimeField(
        label=gettext_lazy("Start at"), widget=AdminSplitDateTime()
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["scheduled_at"].help_text = _("Date and time in the time zone %(zone)s.") % {
            "zone": timezone.get_current_timezone_name()
        }

    def clean_scheduled_at(self) -> datetime:
        value: datetime = self.cleaned_data["scheduled_at"]
        if value <= timezone.now():
            raise forms.ValidationError(_("Choose a time in the future."), code="past")
        return value


@admin.action(description=gettext_lazy("Schedule campaign"), permissions=["send_campaign"])
def schedule_campaigns(
    modeladmin: admin.ModelAdmin[Campaign], request: HttpRequest, queryset: QuerySet[Campaign]
) -> HttpResponse | None:
    """Confirm with a time to start, then move the selected drafts to *scheduled*."""
    _require_permission(request)
    eligible = []
    for campaign in queryset.order_by("pk"):
        if campaign.state in SCHEDULABLE:
            eligible.append(campaign)
        else:
            modeladmin.message_user(
                request,
                _("“%(name)s” is %(state)s: only a draft can be scheduled.")
                % {"name": campaign.name, "state": Campaign.State(campaign.state).label},
                messages.WARNING,
            )
    eligible = without_unknown_fields(modeladmin, request, eligible)
    if not eligible:
        return None
    form = ScheduleForm(request.POST if _confirmed(request) else None)
    counts, stopped = sendable_counts(eligible)
    estimate = price_estimate(eligible, counts)
    if form.is_bound and send_anyway_missing(request, estimate):
        modeladmin.message_user(
            request,
            _("The estimated cost exceeds the balance: tick “send anyway” to send nevertheless."),
            messages.ERROR,
        )
    elif form.is_bound and form.is_valid():
        _schedule(modeladmin, request, eligible, form.cleaned_data["scheduled_at"])
        return None
    confirmation = _send_confirmation(eligible, counts, estimate, stopped)
    confirmation = dataclasses.replace(
        confirmation,
        title=_("Schedule campaigns?"),
        action="schedule_campaigns",
        submit_label=_("Yes, schedule"),
        intro=[
            _(
                "At the time you choose, the worker starts the campaigns and sends their "
                "messages to LetsAds in batches. Until then you can unschedule them."
            ),
            *quiet_hours_note(),
        ],
        extra={**confirmation.extra, "form": form, "media": modeladmin.media + form.media},
    )
    return confirmation_page(modeladmin, request, eligible, confirmation)


def quiet_hours_note() -> list[str]:
    window = letsads_settings.QUIET_HOURS
    if window is None:
        return []
    return [
        _(
            "Quiet hours are %(start)s to %(end)s (%(zone)s): campaign messages wait for them to "
            "end, unless the campaign is set to send during quiet hours."
        )
        % {
            "start": window[0].strftime("%H:%M"),
            "end": window[1].strftime("%H:%M"),
            "zone": letsads_settings.TIME_ZONE.key,
        }
    ]


def _schedule(
    modeladmin: admin.ModelAdmin[Campaign],
    request: HttpRequest,
    eligible: list[Campaign],
    when: datetime,
) -> None:
    for campaign in eligible:
        try:
            campaigns.schedule_campaign(campaign.pk, when)
        except scheduling.ScheduleError as error:
            modeladmin.message_user(
                request,
                _("“%(name)s” was not scheduled: %(reason)s")
                % {"name": campaign.name, "reason": error},
                messages.WARNING,
            )
            continue
        campaign.refresh_from_db()
        modeladmin.message_user(
            request,
            _("“%(name)s” is scheduled: %(schedule)s.")
            % {"name": campaign.name, "schedule": display.schedule_summary(campaign)},
            messages.SUCCESS,
        )


@admin.action(description=gettext_lazy("Unschedule campaign"), permissions=["send_campaign"])
def unschedule_campaigns(
    modeladmin: admin.ModelAdmin[Campaign], request: HttpRequest, queryset: QuerySet[Campaign]
) -> None:
    """Make the selected scheduled campaigns drafts again (no confirmation: nothing is sent)."""
    _require_permission(request)
    count = sum(
        campaigns.unschedule_campaign(c.pk) for c in queryset.filter(state=Campaign.State.SCHEDULED)
    )
    modeladmin.message_user(
        request,
        ngettext(
            "%(count)d campaign is a draft again.", "%(count)d campaigns are drafts again.", count
        )
        % {"count": count},
        messages.SUCCESS if count else messages.INFO,
    )

"""The campaign admin: list with progress, a form with a live counter and recipient import.

The list's columns are in :mod:`~django_letsads.admin.campaign_list`, deleting in
:mod:`~django_letsads.admin.campaign_deleting`, the charts and export in
:mod:`~django_letsads.admin.reports`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from django_letsads.admin import (
    actions,
    confirming,
    display,
    import_report,
    live,
    preview,
    schedule,
    send_action,
)
from django_letsads.admin.campaign_deleting import CampaignDeletingMixin
from django_letsads.admin.campaign_list import CampaignListMixin, counts_of, shows_accounts
from django_letsads.admin.forms import CampaignForm
from django_letsads.admin.reports import CampaignReportsMixin
from django_letsads.campaigns import STARTABLE
from django_letsads.importing import DuplicateColumnsError, ImportReport, import_recipients
from django_letsads.models import Campaign

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Campaign]
else:  # the classes are generic only in the stubs
    _ModelAdmin = admin.ModelAdmin


class CampaignAdmin(CampaignReportsMixin, CampaignListMixin, CampaignDeletingMixin, _ModelAdmin):
    form = CampaignForm
    list_display = [
        "name",
        "live_state",
        "schedule",
        "progress",
        "rate",
        "created",
    ]
    list_filter = ["state", "created_at"]
    search_fields = ["name", "text"]
    readonly_fields = [
        "scheduled_at",
        "live_state",
        "message_counts",
        "excluded",
        "opt_outs",
        "pause_reason",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
    ]
    actions = [
        send_action.send_campaigns,
        schedule.schedule_campaigns,
        schedule.unschedule_campaigns,
        actions.cancel_campaigns,
        actions.resend_unknown_messages,
        actions.poll_campaigns_now,
        actions.resume_campaigns,
    ]
    change_list_template = "admin/django_letsads/campaign/change_list.html"

    class Media:
        css = {"all": ("django_letsads/admin.css",)}
        js = ("django_letsads/live_progress.js",)

    # -- live progress -------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        progress = path(
            "progress/",
            self.admin_site.admin_view(self.progress_view),
            name="django_letsads_campaign_progress",
        )
        rejected = path(
            "<path:object_id>/rejected/<str:token>.csv",
            self.admin_site.admin_view(self.rejected_lines_view),
            name="django_letsads_campaign_rejected",
        )
        extremes = path(
            "<path:object_id>/field-extremes/",
            self.admin_site.admin_view(self.field_extremes_view),
            name="django_letsads_campaign_field_extremes",
        )
        return [progress, rejected, extremes, *super().get_urls()]

    def field_extremes_view(self, request: HttpRequest, object_id: str) -> JsonResponse:
        return preview.field_extremes_view(self, request, object_id)

    def progress_view(self, request: HttpRequest) -> JsonResponse:
        return live.progress_view(self, request)

    def rejected_lines_view(self, request: HttpRequest, object_id: str, token: str) -> HttpResponse:
        return import_report.rejected_csv_view(self, request, object_id, token)

    # -- permissions ---------------------------------------------------------------------------

    def has_send_campaign_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("django_letsads.send_campaign")

    def has_change_permission(self, request: HttpRequest, obj: Campaign | None = None) -> bool:
        # While someone confirms sending this draft, people who cannot send it may not change
        # what they are confirming (``admin/confirming.py``).
        if (
            obj is not None
            and confirming.is_held(obj.pk)
            and not self.has_send_campaign_permission(request)
        ):
            return False
        return super().has_change_permission(request, obj)

    # -- detail --------------------------------------------------------------------------------

    @admin.display(description=gettext_lazy("messages"))
    def message_counts(self, campaign: Campaign) -> SafeString:
        if campaign.pk is None:
            return format_html("{}", _("The counts appear once the campaign is saved."))
        counts = counts_of(campaign)
        return format_html(
            '{}<div data-letsads-counts="{}">{}</div>',
            self._live(campaign),
            campaign.pk,
            display.counts_table(campaign.pk, counts),
        )

    @admin.display(description=gettext_lazy("left out by imports"))
    def excluded(self, campaign: Campaign) -> str:
        return _("%(invalid)d invalid, %(duplicates)d duplicate numbers") % {
            "invalid": campaign.invalid_recipients,
            "duplicates": campaign.duplicate_recipients,
        }

    @admin.display(description=gettext_lazy("opt-outs"))
    def opt_outs(self, campaign: Campaign) -> str:
        """Numbers the imports left out, and people who opted out through this campaign's link."""
        return _(
            "%(skipped)d numbers on the stop list left out; %(link)d recipients opted out "
            "through this campaign's link"
        ) % {"skipped": campaign.opted_out_recipients, "link": campaign.opt_outs.count()}

    def is_editable(self, campaign: Campaign | None) -> bool:
        return campaign is None or campaign.state in STARTABLE

    def get_fieldsets(self, request: HttpRequest, obj: Campaign | None = None) -> Any:
        main = ["name", "sender", "text", "transliterate", "scheduled_at", "expires_at"]
        if shows_accounts(obj):
            main.insert(2, "account")
        pace = ["max_per_minute", "ignore_quiet_hours"]
        status = ["live_state", "message_counts", "excluded", "opt_outs", "pause_reason"]
        times = ["created_by", "created_at", "started_at", "finished_at"]
        fieldsets: list[tuple[str | None, dict[str, Any]]] = [
            (None, {"fields": main}),
            (_("Pace and quiet hours"), {"fields": pace}),
        ]
        if self.is_editable(obj):
            fieldsets.append(
                (
                    _("Add recipients"),
                    {
                        "fields": ["recipients_text", "recipients_file"],
                        "description": _(
                            "Invalid and duplicate numbers are left out and reported; the "
                            "numbers the campaign already has are kept."
                        ),
                    },
                )
            )
        if obj is not None:
            fieldsets.append((_("Sending"), {"fields": status}))
            fieldsets.append((_("Dates"), {"fields": times, "classes": ["collapse"]}))
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Campaign | None = None) -> list[str]:
        fields = list(self.readonly_fields)
        if not self.is_editable(obj):
            # A campaign that is sending or done keeps its text and sender: its messages are
            # (being) sent with them.
            fields += ["name", "sender", "text", "transliterate"]
        if obj is not None and obj.state in (Campaign.State.DONE, Campaign.State.CANCELLED):
            fields += ["expires_at", "max_per_minute", "ignore_quiet_hours", "account"]
        return fields

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Campaign | None = None,
    ) -> HttpResponse:
        finished = obj is not None and obj.state in (Campaign.State.DONE, Campaign.State.CANCELLED)
        editable = not finished and (add or self.has_change_permission(request, obj))
        if add:
            context["title"] = _("New campaign")
        else:
            context["title"] = _("Edit campaign") if editable else _("Campaign")
        if finished:
            # Every field of a finished campaign is read-only: nothing to save. (A sending one
            # can still change its pace and expiry.)
            context.update(
                show_save=False, show_save_and_continue=False, show_save_and_add_another=False
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(
        self, request: HttpRequest, obj: Campaign, form: ModelForm[Campaign], change: bool
    ) -> None:
        if not change and obj.created_by_id is None and request.user.is_authenticated:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(
        self, request: HttpRequest, form: ModelForm[Campaign], formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        campaign = form.instance
        if not self.is_editable(campaign):
            return
        pasted = form.cleaned_data.get("recipients_text") or ""
        upload = form.cleaned_data.get("recipients_file")
        if pasted.strip():
            self._report(
                request, campaign, import_recipients(campaign, pasted), _("Pasted numbers")
            )
        if upload is not None:
            try:
                report = import_recipients(campaign, upload, kind="csv")
            except DuplicateColumnsError as exc:
                self.message_user(request, _duplicate_columns(exc, upload.name), messages.ERROR)
                return
            self._report(request, campaign, report, _("File “%(name)s”") % {"name": upload.name})

    def _report(
        self, request: HttpRequest, campaign: Campaign, report: ImportReport, source: str
    ) -> None:
        download = ""
        if report.rejected_count > import_report.SHOWN_REJECTS:
            download = import_report.remember(request, campaign.pk, report)
        level = messages.WARNING if report.rejected_count else messages.SUCCESS
        self.message_user(request, import_report.message(report, source, download), level)


def _duplicate_columns(exc: DuplicateColumnsError, filename: str) -> str:
    return _(
        "File “%(name)s” was not imported: its header names a column more than once "
        "(%(columns)s). Give each column its own name and upload it again."
    ) % {
        "name": filename,
        "columns": ", ".join(
            f"“{name}”: {', '.join(str(i) for i in positions)}"
            for name, positions in exc.columns.items()
        ),
    }

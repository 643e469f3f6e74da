"""The campaign page's pictures and its CSV export, kept out of the campaign admin proper.

``CampaignReportsMixin`` adds to the campaign admin:

* ``<id>/export/``: the campaign's messages as a streamed CSV (:mod:`django_letsads.export`),
  for users who may view the campaign and its messages (``view_message``); 404 for a campaign
  that does not exist, 403 otherwise;
* the charts on the change page (:mod:`django_letsads.admin.charts`), a handful of aggregate
  queries whatever the campaign's size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import URLPattern, path
from django.utils.html import format_html
from django.utils.translation import gettext as _

from django_letsads import export, reports
from django_letsads.admin import charts
from django_letsads.admin.campaign_list import counts_of
from django_letsads.models import Campaign

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

    _Base = ModelAdmin[Campaign]
else:  # the classes are generic only in the stubs
    _Base = object

EXPORT_PERMISSION = "django_letsads.view_message"


class CampaignReportsMixin(_Base):
    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<path:object_id>/export/",
                self.admin_site.admin_view(self.export_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_export",
            ),
            *super().get_urls(),
        ]

    def may_export(self, request: HttpRequest, campaign: Campaign | None = None) -> bool:
        return self.has_view_permission(request, campaign) and request.user.has_perm(
            EXPORT_PERMISSION
        )

    def export_view(self, request: HttpRequest, object_id: str) -> StreamingHttpResponse:
        campaign = self.get_object(request, object_id)
        if campaign is None:
            raise Http404(f"No campaign with id {object_id!r}.")
        if not self.may_export(request, campaign):
            raise PermissionDenied
        response = StreamingHttpResponse(
            export.export_csv(campaign.pk), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{export.filename(campaign.pk)}"'
        return response

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Campaign | None:
        """Once per request: the charts and the form then share one object, and with it one
        count of its messages per status."""
        memo: dict[tuple[str, str | None], Campaign | None] = request.__dict__.setdefault(
            "_letsads_campaigns", {}
        )
        if (object_id, from_field) not in memo:
            memo[object_id, from_field] = super().get_object(request, object_id, from_field)
        return memo[object_id, from_field]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context = dict(extra_context or {})
        campaign = self.get_object(request, object_id)
        if campaign is not None and self.has_view_permission(request, campaign):
            # A callable, which the template calls: nothing is counted for a POST that
            # redirects.
            context["letsads_charts"] = lambda: campaign_charts(campaign)
            context["letsads_may_export"] = self.may_export(request, campaign)
        return super().change_view(request, object_id, form_url, extra_context=context)


def campaign_charts(campaign: Campaign) -> Any:
    """The three charts of a campaign's page, as one piece of HTML."""
    counts = counts_of(campaign)
    if not sum(counts.values()):
        return format_html(
            '<div class="letsads-charts"><p class="letsads-empty">{}</p></div>',
            _("The charts appear once the campaign has recipients."),
        )
    report = reports.campaign_report(campaign, counts)
    return format_html(
        '<div class="letsads-charts">{}{}{}</div>',
        charts.timeline_chart(report.timeline),
        charts.status_chart(counts),
        charts.operators_chart(report.operators),
    )

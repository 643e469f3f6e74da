"""The campaign list: its columns (state, schedule, live progress, delivery rate, date), the
account column and filter when there are several accounts, and the page's title and balances.

The list's counts come from :func:`campaigns.status_counts` for the page's campaigns only, in one
aggregate query, whatever the number of campaigns and messages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from django_letsads.accounts import DEFAULT_ALIAS, aliases
from django_letsads.admin import display, live
from django_letsads.admin.balance import all_balances
from django_letsads.campaigns import status_counts
from django_letsads.models import Campaign

if TYPE_CHECKING:
    _Base = admin.ModelAdmin[Campaign]
else:  # the classes are generic only in the stubs
    _Base = object


_COUNTS_ATTR = "_letsads_counts"


class CampaignChangeList(ChangeList):
    """Attaches each campaign's message counts to the page's objects with one query."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        page = list(self.result_list)
        counts = status_counts(campaign.pk for campaign in page)
        for campaign in page:
            setattr(campaign, _COUNTS_ATTR, counts[campaign.pk])


def counts_of(campaign: Campaign) -> dict[str, int]:
    counts = getattr(campaign, _COUNTS_ATTR, None)
    if counts is None:
        counts = campaign.status_counts()
        setattr(campaign, _COUNTS_ATTR, counts)
    return dict(counts)


def shows_accounts(campaign: Campaign | None = None) -> bool:
    """Whether the admin shows the account: when several are configured, or the campaign has
    another than ``"default"`` (one that may no longer be configured)."""
    return len(aliases()) > 1 or (campaign is not None and campaign.account != DEFAULT_ALIAS)


class CampaignListMixin(_Base):
    def _live(self, campaign: Campaign, *, compact: bool = False) -> SafeString:
        return display.live_progress(
            campaign.pk,
            counts_of(campaign),
            active=live.is_active(campaign),
            url=reverse("admin:django_letsads_campaign_progress", current_app=self.admin_site.name),
            interval=live.INTERVAL,
            compact=compact,
        )

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return CampaignChangeList

    def get_list_display(self, request: HttpRequest) -> Any:
        shown = list(super().get_list_display(request))
        return [*shown[:1], "account", *shown[1:]] if shows_accounts() else shown

    def get_list_filter(self, request: HttpRequest) -> Any:
        shown = list(super().get_list_filter(request))
        return [*shown, "account"] if shows_accounts() else shown

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {
            # One balance per account; pages name the account when there are several.
            "letsads_balances": all_balances(),
            # Django builds "Select campaign to change" from the model's name, which comes out
            # in the wrong grammatical case in Ukrainian and Russian.
            "title": _("Campaigns"),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)

    @admin.display(description=gettext_lazy("state"), ordering="state")
    def live_state(self, campaign: Campaign) -> SafeString:
        return display.state_label(campaign.pk, campaign.get_state_display())

    @admin.display(description=gettext_lazy("progress"))
    def progress(self, campaign: Campaign) -> SafeString:
        return self._live(campaign, compact=True)

    @admin.display(description=gettext_lazy("schedule"))
    def schedule(self, campaign: Campaign) -> str:
        return display.schedule_summary(campaign)

    # A short header: the list must fit 1400 px with the sidebar and the filters open.
    @admin.display(description=gettext_lazy("% delivered"))
    def rate(self, campaign: Campaign) -> SafeString:
        return display.rate_label(campaign.pk, counts_of(campaign))

    @admin.display(description=gettext_lazy("created at"), ordering="created_at")
    def created(self, campaign: Campaign) -> SafeString:
        # Date over time, in the short form: Django's one-line date never wraps and widens the
        # list past 1400 px.
        moment = timezone.localtime(campaign.created_at)
        return format_html(
            '<span class="letsads-date">{}<br>{}</span>',
            date_format(moment, "SHORT_DATE_FORMAT"),
            date_format(moment, "TIME_FORMAT"),
        )

"""Live progress of the campaign pages: a small JSON view that ``live_progress.js`` polls.

The list and the change page render the progress once; while a campaign is sending, the script
asks this view every :data:`INTERVAL` seconds for the campaigns still active on the page and
swaps in the fresh parts (bar, counts, state, delivery rate, time left). Everything is rendered
here, by the same functions as the page, so the browser inserts markup escaped on the server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, JsonResponse

from django_letsads import throughput
from django_letsads.admin import display
from django_letsads.campaigns import status_counts
from django_letsads.models import Campaign
from django_letsads.status import Status

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

#: Seconds between two polls of a page that shows a sending campaign.
INTERVAL = 5
#: The most campaigns one request may ask about (a list page shows 100 at most by default).
MAX_CAMPAIGNS = 200


def is_active(campaign: Campaign) -> bool:
    """Whether the campaign's numbers can still change without anyone doing anything."""
    return campaign.state == Campaign.State.SENDING


def progress_payload(campaigns: list[Campaign]) -> list[dict[str, Any]]:
    """The fresh parts of each campaign's progress, in three queries for all of them."""
    counts = status_counts(c.pk for c in campaigns)
    handled = throughput.handled_recently(c.pk for c in campaigns if is_active(c))
    payload = []
    for campaign in campaigns:
        own = counts[campaign.pk]
        active = is_active(campaign)
        eta = short = ""
        if active:
            left = own.get(Status.PENDING, 0) + own.get(Status.SENDING, 0)
            seconds = throughput.seconds_left(left, handled[campaign.pk])
            eta = display.eta_text(own, seconds)
            short = display.eta_short(own, seconds)
        payload.append(
            {
                "id": campaign.pk,
                "state": campaign.state,
                "state_label": str(Campaign.State(campaign.state).label),
                "active": active,
                "recipients": display.total(own),
                "rate": display.format_rate(own),
                "eta": eta,
                "progress": display.progress_bar(own, eta=eta),
                "progress_compact": display.progress_bar(own, eta=short),
                "counts": display.counts_table(campaign.pk, own),
            }
        )
    return payload


def progress_view(modeladmin: ModelAdmin[Campaign], request: HttpRequest) -> JsonResponse:
    """``GET …/campaign/progress/?id=1&id=2``: the progress of those campaigns.

    Wrapped in ``admin_view`` (staff login, no caching) by the campaign admin; needs the view
    or change permission on campaigns, like the pages it refreshes.
    """
    if not modeladmin.has_view_or_change_permission(request):
        raise PermissionDenied
    raw = request.GET.getlist("id")
    if not all(value.isdigit() for value in raw) or len(raw) > MAX_CAMPAIGNS:
        return JsonResponse(
            {"error": f"id: up to {MAX_CAMPAIGNS} campaign ids (whole numbers)"}, status=400
        )
    ids = sorted({int(value) for value in raw})
    campaigns = list(Campaign.objects.filter(pk__in=ids).order_by("pk"))
    return JsonResponse({"interval": INTERVAL, "campaigns": progress_payload(campaigns)})

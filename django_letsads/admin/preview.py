"""The campaign form's preview of a personalised text: what its recipients' data can make of it.

The live counter (``sms_counter.js``) parses the typed text in the browser and asks this view,
debounced, about the fields it uses: per field, the longest and shortest value among the
campaign's recipients and whether some value is not GSM-7 or missing
(:func:`django_letsads.field_stats.field_extremes`). Each field costs a few aggregate
queries whatever the number of recipients, so typing stays fast for a million of them; the
browser then renders the longest and the shortest text itself, with the same counting rules.

The answer carries recipients' data: only people who may view the campaign get it, and the page
inserts it as text (``textContent``), never as markup.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse

from django_letsads import field_stats

if TYPE_CHECKING:
    from django.contrib import admin

    from django_letsads.models import Campaign

#: At most this many fields per request (a text rarely uses more than a few).
MAX_FIELDS = 20
_NAME = re.compile(r"\w+")


def field_extremes_view(
    modeladmin: admin.ModelAdmin[Campaign], request: HttpRequest, object_id: str
) -> JsonResponse:
    """``?fields=name,code`` → ``{"fields": {"name": {"longest": …, "shortest": …,
    "non_gsm7": …, "missing": …}}}``; a field no recipient has gets ``longest: null``."""
    campaign = modeladmin.get_object(request, object_id)
    if campaign is None:
        raise Http404
    if not modeladmin.has_view_permission(request, campaign):
        raise PermissionDenied
    names = [
        name
        for name in dict.fromkeys(request.GET.get("fields", "").split(","))
        if _NAME.fullmatch(name)
    ][:MAX_FIELDS]
    extremes = field_stats.field_extremes(campaign, names)
    return JsonResponse({"fields": {name: e.as_dict() for name, e in extremes.items()}})

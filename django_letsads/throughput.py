"""How fast campaigns are being sent right now, and when they will be through.

The admin's live progress shows an estimate from the *current* rate: the messages the worker
handed over (accepted, or rejected for good) in the last minute. An average since the start
would be wrong after a pause, a rate limit change or a second worker.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from django_letsads.models import Message
from django_letsads.status import Status

#: How far back the current rate looks.
WINDOW = timedelta(seconds=60)


def handled_recently(
    campaign_ids: Iterable[int], *, now: datetime | None = None, window: timedelta = WINDOW
) -> dict[int, int]:
    """Messages per campaign that left the outbox within ``window``, in one query.

    Accepted messages carry ``sent_at``; a message the gateway refused has only ``final_at``.
    """
    ids = list(campaign_ids)
    if not ids:
        return {}
    since = (now or timezone.now()) - window
    rows = (
        Message.objects.filter(campaign_id__in=ids)
        .filter(Q(sent_at__gte=since) | Q(status=Status.FAILED, final_at__gte=since))
        .order_by()
        .values_list("campaign_id")
        .annotate(n=Count("id"))
    )
    counts = dict.fromkeys(ids, 0)
    counts.update(rows)
    return counts


def seconds_left(left: int, handled: int, window: timedelta = WINDOW) -> float | None:
    """Seconds until ``left`` messages are handed over at the rate of ``handled`` per window;
    None while nothing moves (no estimate is better than an infinite one)."""
    if left <= 0:
        return 0.0
    if handled <= 0:
        return None
    return left * window.total_seconds() / handled

"""What a campaign's charts show, computed with a few aggregate queries whatever its size.

* :func:`timeline`: messages the gateway accepted (by ``sent_at``), delivered and undelivered (by
  ``final_at``) per minute, hour or day, as the campaign's length asks, gaps filled with zeros;
* the final status breakdown is :meth:`Campaign.status_counts` (an index-only count);
* :func:`operators`: the delivery rate per mobile operator, named from the number's prefix by
  phonenumbers' carrier data (Kyivstar, Vodafone, lifecell …).

The drawing is :mod:`django_letsads.admin.charts`; this module only counts.

The timeline and the operators each read all of a campaign's rows (about a second for a million
on a small server), so :func:`campaign_report` keeps them in Django's cache under the campaign's
status counts: any status change (and ``sent_at``/``final_at`` change only with one) makes a new
key, so a page never shows figures older than its own counts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import phonenumbers
from django.core.cache import cache
from django.db.models import Count
from django.db.models.functions import Substr, Trunc
from django.utils import timezone
from phonenumbers import carrier

from django_letsads.models import Campaign, Message
from django_letsads.status import Status

#: Longest campaign drawn by minute, then by hour; longer ones by day.
MINUTES_UP_TO = timedelta(hours=3)
HOURS_UP_TO = timedelta(days=7)
#: Digits of a number that name its operator (country code and operator code, with room).
#: Migration 0011 gives PostgreSQL statistics on exactly this prefix: change both together.
PREFIX_DIGITS = 6
#: Statuses of messages the gateway accepted: a delivery rate is measured against them.
ACCEPTED = (Status.QUEUED, Status.SENT, Status.DELIVERED, Status.UNDELIVERED, Status.EXPIRED)
#: Seconds a cached report is kept at most (its key changes anyway when a status does).
CACHE_SECONDS = 600
_STEPS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


@dataclass(frozen=True)
class Point:
    """One bucket of the timeline, starting at ``start`` (local time)."""

    start: datetime
    accepted: int = 0
    delivered: int = 0
    undelivered: int = 0


@dataclass(frozen=True)
class Timeline:
    unit: str  # "minute", "hour" or "day"
    points: list[Point]


@dataclass(frozen=True)
class Operator:
    """Messages to one operator's numbers; ``rate`` is delivered per accepted (None: none yet)."""

    name: str
    total: int
    accepted: int
    delivered: int

    @property
    def rate(self) -> float | None:
        return self.delivered / self.accepted if self.accepted else None


def bucket_unit(span: timedelta) -> str:
    if span <= MINUTES_UP_TO:
        return "minute"
    return "hour" if span <= HOURS_UP_TO else "day"


def _floor(moment: datetime, unit: str) -> datetime:
    moment = timezone.localtime(moment).replace(second=0, microsecond=0)
    if unit != "minute":
        moment = moment.replace(minute=0)
    if unit == "day":
        moment = moment.replace(hour=0)
    return moment


def timeline(campaign: Campaign, now: datetime | None = None) -> Timeline:
    """Accepted per ``sent_at`` bucket, delivered and undelivered per ``final_at`` bucket.

    One read of the campaign's accepted rows, grouped by both buckets and the status: the two
    times of a message are minutes apart, so the groups stay few (a second read would cost as
    much as the rest of the page).
    """
    now = now or timezone.now()
    start = campaign.started_at or campaign.created_at
    end = campaign.finished_at or now
    unit = bucket_unit(max(end - start, timedelta(0)))
    tz = timezone.get_current_timezone()
    rows = (
        Message.objects.filter(campaign_id=campaign.pk, sent_at__isnull=False)
        .order_by()
        .values_list(
            Trunc("sent_at", unit, tzinfo=tz), Trunc("final_at", unit, tzinfo=tz), "status"
        )
        .annotate(n=Count("id"))
    )
    buckets: dict[datetime, dict[str, int]] = {}
    for sent, final, status, n in rows:
        counts = buckets.setdefault(_floor(sent, unit), {})
        counts["accepted"] = counts.get("accepted", 0) + n
        if final is not None and status in (Status.DELIVERED, Status.UNDELIVERED):
            counts = buckets.setdefault(_floor(final, unit), {})
            counts[status] = counts.get(status, 0) + n
    if not buckets:
        return Timeline(unit, [])
    first = min(min(buckets), _floor(start, unit))
    last = max(max(buckets), _floor(min(end, now), unit))
    points = []
    moment = first
    # Aware datetimes add in wall-clock time, so a day with a DST change is still one step.
    while moment <= last:
        counts = buckets.get(moment, {})
        points.append(
            Point(
                moment,
                counts.get("accepted", 0),
                counts.get(Status.DELIVERED, 0),
                counts.get(Status.UNDELIVERED, 0),
            )
        )
        moment = _floor(moment + _STEPS[unit], unit)
    return Timeline(unit, points)


@lru_cache(maxsize=4096)
def operator_name(prefix: str) -> str:
    """The operator of numbers that begin with ``prefix`` (digits with the country code), from
    phonenumbers' carrier data; "" when it does not know."""
    try:
        number = phonenumbers.parse("+" + prefix.ljust(12, "0"))
    except phonenumbers.NumberParseException:
        return ""
    return str(carrier.name_for_valid_number(number, "en"))


def operators(campaign: Campaign) -> list[Operator]:
    """Messages per operator, largest first: one query grouped by number prefix and status."""
    rows = (
        Message.objects.filter(campaign_id=campaign.pk)
        .order_by()
        .values_list(Substr("recipient", 1, PREFIX_DIGITS), "status")
        .annotate(n=Count("id"))
    )
    totals: dict[str, list[int]] = {}
    for prefix, status, n in rows:
        entry = totals.setdefault(operator_name(prefix), [0, 0, 0])
        entry[0] += n
        entry[1] += n if status in ACCEPTED else 0
        entry[2] += n if status == Status.DELIVERED else 0
    result = [Operator(name, *numbers) for name, numbers in totals.items()]
    return sorted(result, key=lambda o: (-o.total, o.name == "", o.name))


@dataclass(frozen=True)
class Report:
    timeline: Timeline
    operators: list[Operator]


def campaign_report(
    campaign: Campaign, counts: dict[str, int], now: datetime | None = None
) -> Report:
    """The timeline and the operators, from the cache while ``counts`` (the campaign's status
    counts, which the page shows anyway) are unchanged."""
    now = now or timezone.now()
    key_parts: list[object] = [
        campaign.pk,
        campaign.created_at,  # a new campaign that got a deleted one's id has another key
        campaign.started_at,
        campaign.finished_at,
        sorted(counts.items()),
        timezone.get_current_timezone_name(),
    ]
    if campaign.finished_at is None:  # the timeline runs up to now: a new bucket, a new key
        start = campaign.started_at or campaign.created_at
        unit = bucket_unit(max(now - start, timedelta(0)))
        key_parts.append(_floor(now, unit).isoformat())
    digest = hashlib.sha256(json.dumps(key_parts, default=str).encode()).hexdigest()[:32]
    key = f"django_letsads:report:{campaign.pk}:{digest}"
    report = cache.get(key)
    if not isinstance(report, Report):
        report = Report(timeline(campaign, now), operators(campaign))
        cache.set(key, report, CACHE_SECONDS)
    return report

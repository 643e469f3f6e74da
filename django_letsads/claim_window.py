"""Which sending campaigns a claim may take messages from now, and how many from paced ones.

Asked by the send worker's claim (:mod:`django_letsads.worker.claims`) inside its transaction:
campaigns past their expiry or held by quiet hours give nothing; a paced campaign
(``Campaign.max_per_minute``) gives what its pace allows, one timestamp on its row
(``Campaign.pace_next_at``) advanced in the claim's transaction, so any number of workers keep
the pace together. :mod:`django_letsads.scheduling` re-exports these names.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connections, router
from django.utils import timezone

from django_letsads.models import Campaign
from django_letsads.quiet_hours import quiet_hours_end

#: A paced campaign may take this many seconds' worth of its rate at once: enough for a worker
#: that looks every few seconds (``letsads_send --loop`` waits 5 s when idle) to keep the pace,
#: small enough that no minute gets more than a tenth over it.
PACE_BURST_SECONDS = 6


def skip_locked() -> bool:
    """Whether the campaigns' database can skip rows another transaction has locked."""
    return connections[router.db_for_write(Campaign)].features.has_select_for_update_skip_locked


@dataclass
class ClaimWindow:
    """The sending campaigns a claim may take messages from now, and how many from paced ones.

    Made by :func:`claimable_campaigns` inside the claim's transaction; the claim then calls
    :meth:`record` with what it took, in the same transaction.
    """

    now: datetime
    campaign_ids: list[int] = field(default_factory=list)
    #: Paced campaign → (start of its free credit, seconds per message, messages allowed now).
    paces: dict[int, tuple[datetime, float, int]] = field(default_factory=dict)

    def limit(self, campaign_id: int, limit: int) -> int:
        pace = self.paces.get(campaign_id)
        return limit if pace is None else min(limit, pace[2])

    def record(self, claimed: Mapping[int | None, int]) -> None:
        """Charge each paced campaign for the messages the claim took from it."""
        for campaign_id, (base, seconds, _allowed) in self.paces.items():
            taken = claimed.get(campaign_id, 0)
            if taken:
                next_at = base + timedelta(seconds=seconds * taken)
                Campaign.objects.filter(pk=campaign_id).update(pace_next_at=next_at)


def claimable_campaigns(now: datetime | None = None) -> ClaimWindow:
    """Which sending campaigns may give messages to a claim at ``now``, in id order.

    Left out: campaigns past their expiry, campaigns held by quiet hours, and paced campaigns
    whose pace allows nothing yet or whose pace another worker is updating right now. The pace
    is a GCRA (a "virtual schedule"): ``pace_next_at`` is when the next message is due; a
    campaign idle for a while may take up to ``PACE_BURST_SECONDS`` worth at once, no more, so
    every minute carries at most its ``max_per_minute`` plus that burst, summed over all
    workers. Call inside the claim's transaction (the paced rows are locked until it ends).
    """
    now = now or timezone.now()
    window = ClaimWindow(now)
    rows = _sending(now, quiet=quiet_hours_end(now) is not None)
    paced = {pk: rate for pk, rate in rows if rate is not None}
    if paced:
        locked = Campaign.objects.filter(pk__in=list(paced)).select_for_update(
            skip_locked=skip_locked()
        )
        for pk, next_at in locked.values_list("id", "pace_next_at"):
            rate = paced[pk]
            if rate < 1:
                continue
            seconds = 60.0 / rate
            burst = max(1, math.ceil(rate * PACE_BURST_SECONDS / 60))
            earliest = now - timedelta(seconds=seconds * (burst - 1))
            base = earliest if next_at is None else max(next_at, earliest)
            if base <= now:
                allowed = int((now - base).total_seconds() // seconds) + 1
                window.paces[pk] = (base, seconds, allowed)
    window.campaign_ids = [pk for pk, rate in rows if rate is None or pk in window.paces]
    return window


def _sending(now: datetime, *, quiet: bool) -> list[tuple[int, int | None]]:
    """``(id, max_per_minute)`` of the sending campaigns not expired (and, in quiet hours, those
    that ignore them), by id. Written out for the reason given at :func:`django_letsads.scheduling._anything_due`: it runs
    in every claim."""
    connection = connections[router.db_for_write(Campaign)]
    sql = (
        f"SELECT id, max_per_minute FROM {Campaign._meta.db_table} "  # noqa: S608 - table name from _meta, values bound
        "WHERE state = %s AND (expires_at IS NULL OR expires_at > %s)"
        + (" AND ignore_quiet_hours = %s" if quiet else "")
        + " ORDER BY id"
    )
    params: list[Any] = [Campaign.State.SENDING, connection.ops.adapt_datetimefield_value(now)]
    if quiet:
        params.append(True)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(int(pk), rate) for pk, rate in cursor.fetchall()]

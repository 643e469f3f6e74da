"""Case 5: what scheduling costs a send round, and a pace kept over a measured minute.

**Round start.** 10,000 campaigns (nine in ten finished, the rest drafts, scheduled for later,
sending with an expiry ahead, a few paced) and nothing due: ``scheduling.begin_round()`` (expire,
start the due ones) and ``scheduling.claimable_campaigns()`` (quiet hours on, expiry, paces) are
timed in this process, 200 times each; the figures are medians in milliseconds. Both must stay
under 5 ms: one query on the partial indexes of ``Campaign`` when nothing is due, whatever the
number of finished campaigns. ``round_trip_ms`` is a trivial query, for scale: on a loaded
machine every round trip costs more.

**Pace.** A campaign with ``max_per_minute=600`` and two ``letsads_send --loop`` processes with
their default idle wait (5 s): the messages claimed in one minute, measured from claim times
after a ten-second start, must be within 10 % of 600. ``--quick`` measures ten seconds instead.
"""

from __future__ import annotations

import signal
import statistics
import subprocess
import sys
import time
from datetime import timedelta

from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from benchmarks.fixtures import analyze, create_campaign, insert_messages, reset_tables
from benchmarks.harness import ROOT, TEXT, Bench, SimulatorProcess, child_env, timer
from benchmarks.results import Result
from django_letsads import scheduling
from django_letsads.models import Campaign, Message

CAMPAIGNS = 10_000
REPEATS = 200
GOAL_MS = 5.0
RATE = 600
WARM_UP = 10.0


def _campaigns(count: int) -> None:
    now = timezone.now()
    rows = []
    for i in range(count):
        kind = i % 100
        campaign = Campaign(name=f"Campaign {i}", sender="Test", text=TEXT, state="done")
        if kind < 3:
            campaign.state = "draft"
        elif kind < 6:
            campaign.state = "scheduled"
            campaign.scheduled_at = now + timedelta(days=1 + i % 30)
        elif kind == 6 and i % 1000 == 6:  # ten sending campaigns, half of them paced
            campaign.state = "sending"
            campaign.expires_at = now + timedelta(days=2)
            campaign.max_per_minute = 60 if i % 2000 == 6 else None
        else:
            campaign.expires_at = now - timedelta(days=i % 300)  # finished long ago
        rows.append(campaign)
    Campaign.objects.bulk_create(rows, batch_size=2000)


def _median_ms(func: object) -> float:
    times = []
    for _ in range(REPEATS):
        with timer() as elapsed:
            func()  # type: ignore[operator]
        times.append(elapsed[0] * 1000)
    return statistics.median(times)


def _claim_filter_ms() -> float:
    """The filter's own queries, inside a transaction as the claim runs it (its COMMIT is the
    claim's, not counted)."""
    times = []
    for _ in range(REPEATS):
        with transaction.atomic():
            with timer() as elapsed:
                scheduling.claimable_campaigns()
            times.append(elapsed[0] * 1000)
    return statistics.median(times)


def _round_trip() -> None:
    Campaign.objects.filter(pk=0).exists()


def _round_start(result: Result, bench: Bench) -> None:
    reset_tables()
    _campaigns(bench.size(CAMPAIGNS))
    analyze()
    with override_settings(LETSADS={"QUIET_HOURS": ("00:00", "00:01")}):  # checked, not holding
        begin_ms = _median_ms(scheduling.begin_round)
        claim_ms = _claim_filter_ms()
    result.figures.update(
        campaigns=bench.size(CAMPAIGNS),
        # One trivial query: what the machine's load makes of any round trip right now.
        round_trip_ms=round(_median_ms(_round_trip), 2),
        begin_round_ms=round(begin_ms, 2),
        claim_filter_ms=round(claim_ms, 2),
    )
    result.goal("begin_round_ms", begin_ms, "<=", GOAL_MS)
    result.goal("claim_filter_ms", claim_ms, "<=", GOAL_MS)


def _pace(result: Result, bench: Bench) -> None:
    window = 10.0 if bench.quick else 60.0
    reset_tables()
    campaign_id = create_campaign(state="sending", name="Paced")
    Campaign.objects.filter(pk=campaign_id).update(max_per_minute=RATE)
    insert_messages(campaign_id, int(RATE * (WARM_UP + window + 20) / 60) + 100)
    with SimulatorProcess() as sim:
        command = [sys.executable, "-m", "benchmarks.runner", "command", "letsads_send", "--loop"]
        workers = [
            subprocess.Popen(
                command,
                cwd=ROOT,
                env=child_env(bench, sim),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(2)
        ]
        try:
            deadline = time.monotonic() + 60
            claimed = Message.objects.filter(campaign_id=campaign_id).exclude(claimed_at=None)
            while not claimed.exists() and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(WARM_UP + window + 2)
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                worker.wait(timeout=60)
    first = claimed.order_by("claimed_at").values_list("claimed_at", flat=True).first()
    if first is None:
        raise RuntimeError("the paced campaign was never claimed")
    start = first + timedelta(seconds=WARM_UP)
    count = claimed.filter(
        claimed_at__gte=start, claimed_at__lt=start + timedelta(seconds=window)
    ).count()
    per_minute = count * 60 / window
    result.figures.update(
        pace_rate=RATE, pace_window_s=int(window), pace_claimed=count, pace_per_minute=per_minute
    )
    result.goal("pace_per_minute_min", per_minute, ">=", RATE * 0.9)
    result.goal("pace_per_minute_max", per_minute, "<=", RATE * 1.1)


def run(bench: Bench) -> Result:
    result = bench.result("scheduling")
    _round_start(result, bench)
    _pace(result, bench)
    return result

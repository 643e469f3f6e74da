"""Case 2: status polling against the network bound, and its database cost against table size.

10,000 accepted messages are due; ``manage.py letsads_poll --concurrency 32`` asks about each
(one request per id, as the protocol wants) while the simulator answers after 50 ms. The bound is
10,000 x 50 ms / 32. The same round runs with the simulator answering at once, which leaves only
the poller's own cost (claiming, writing answers): that rate must not fall when the message table
holds a million rows instead of ten thousand.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from benchmarks.harness import (
    Bench,
    Result,
    SimulatorProcess,
    analyze,
    create_campaign,
    insert_messages,
    reset_tables,
    run_child,
)
from django_letsads.models import Message
from django_letsads.worker import SendWorker

LATENCY = 0.05
CONCURRENCY = 32
GOAL_EFFICIENCY = 0.70
GOAL_FLAT = 0.80


def _make_due(campaign_id: int) -> None:
    """Make every message of the campaign an accepted message whose first poll is due now."""
    Message.objects.filter(campaign_id=campaign_id).update(
        status=Message.Status.QUEUED,
        next_poll_at=timezone.now() - timedelta(seconds=1),
        poll_count=0,
        poll_failures=0,
        final_at=None,
    )


def _poll(bench: Bench, sim: SimulatorProcess, campaign_id: int, due: int) -> float:
    _make_due(campaign_id)
    measured = run_child(bench, sim, "command", "letsads_poll", f"--concurrency={CONCURRENCY}")
    left = Message.objects.filter(
        campaign_id=campaign_id, next_poll_at__lte=timezone.now() - timedelta(seconds=1)
    ).count()
    if left:
        raise RuntimeError(f"{left} of {due} polls were not done: {measured.get('output')}")
    return float(measured["seconds"])


def run(bench: Bench) -> Result:
    result = bench.result("poll")
    due = bench.size(10_000)
    big = bench.size(1_000_000)
    bound = due * LATENCY / CONCURRENCY
    with SimulatorProcess(latency=0) as sim:
        reset_tables()
        campaign = create_campaign()
        insert_messages(campaign, due)
        # The messages get real gateway ids by being sent (at once: latency is set per round).
        with override_settings(LETSADS={**settings.LETSADS, "API_URL": sim.url}):
            SendWorker(concurrency=8).run_once()
        analyze()
        timings: dict[str, tuple[float, float]] = {}
        for label, rows in (("small", due), ("big", big)):
            if rows > due:
                other = create_campaign(state="done", name="History")
                insert_messages(other, rows - due, status="delivered", start=due)
                analyze()
            sim.set_latency(LATENCY)
            networked = _poll(bench, sim, campaign, due)
            sim.set_latency(0)
            local = _poll(bench, sim, campaign, due)
            timings[label] = (networked, local)
    small_net, small_local = timings["small"]
    big_net, big_local = timings["big"]
    result.figures.update(
        due=due,
        concurrency=CONCURRENCY,
        network_bound_s=round(bound, 3),
        wall_s=round(small_net, 3),
        efficiency=round(bound / small_net, 3),
        table_rows_big=big,
        wall_big_table_s=round(big_net, 3),
        efficiency_big_table=round(bound / big_net, 3),
        local_rate_per_s=round(due / small_local),
        local_rate_big_table_per_s=round(due / big_local),
        big_vs_small_rate=round(small_local / big_local, 3),
    )
    result.goal("efficiency", bound / small_net, ">=", GOAL_EFFICIENCY)
    result.goal("efficiency_big_table", bound / big_net, ">=", GOAL_EFFICIENCY)
    result.goal("big_vs_small_rate", small_local / big_local, ">=", GOAL_FLAT)
    return result

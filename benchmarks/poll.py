"""Case 2: status polling against the network bound, and its database cost against table size.

10,000 accepted messages are due; ``manage.py letsads_poll --concurrency 32`` asks about each
(one request per id, as the protocol wants) while the simulator answers after 50 ms. Right before
and after it, the bare thread pool (:mod:`benchmarks.bare`) asks the same 10,000 status questions
with no database: the poller's wall time over theirs is its overhead factor (issue 23), and its
CPU (process and PostgreSQL backends) is reported per poll. The network bound (10,000 x 50 ms /
32) and the efficiency against it stay as figures. The same round runs with the simulator
answering at once, which leaves only the poller's own cost (claiming, writing answers): that rate
must not fall when the message table holds a million rows instead of ten thousand.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from benchmarks.fixtures import analyze, create_campaign, insert_messages, reset_tables
from benchmarks.harness import Bench, SimulatorProcess, run_child
from benchmarks.reference import Bracketed, bracket, status_requests
from benchmarks.results import Result
from django_letsads.models import Message
from django_letsads.worker import SendWorker

LATENCY = 0.05
CONCURRENCY = 32
#: The poller's wall time over the bare reference's (issue 23); PostgreSQL only.
GOAL_OVERHEAD = {"postgres": 1.15}
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


def _poll(bench: Bench, sim: SimulatorProcess, campaign_id: int, due: int) -> dict[str, Any]:
    _make_due(campaign_id)
    measured = run_child(bench, sim, "command", "letsads_poll", f"--concurrency={CONCURRENCY}")
    left = Message.objects.filter(
        campaign_id=campaign_id, next_poll_at__lte=timezone.now() - timedelta(seconds=1)
    ).count()
    if left:
        raise RuntimeError(f"{left} of {due} polls were not done: {measured.get('output')}")
    return measured


def _bracketed_poll(bench: Bench, sim: SimulatorProcess, campaign_id: int, due: int) -> Bracketed:
    """The bare reference asking about the same ids, the poller, the bare reference again."""
    rows = Message.objects.filter(campaign_id=campaign_id).order_by("id")
    ids = [sms_id for sms_id in rows.values_list("sms_id", flat=True) if sms_id is not None]
    return bracket(
        sim, lambda: status_requests(ids), CONCURRENCY, lambda: _poll(bench, sim, campaign_id, due)
    )


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
        sim.set_latency(LATENCY)
        measured = _bracketed_poll(bench, sim, campaign, due)
        sim.set_latency(0)
        timings["small"] = (measured.seconds, float(_poll(bench, sim, campaign, due)["seconds"]))
        other = create_campaign(state="done", name="History")
        insert_messages(other, big - due, status="delivered", start=due)
        analyze()
        sim.set_latency(LATENCY)
        big_net = float(_poll(bench, sim, campaign, due)["seconds"])
        sim.set_latency(0)
        timings["big"] = (big_net, float(_poll(bench, sim, campaign, due)["seconds"]))
    small_net, small_local = timings["small"]
    big_local = timings["big"][1]
    result.figures.update(
        due=due,
        concurrency=CONCURRENCY,
        network_bound_s=round(bound, 3),
        **measured.figures("", due, unit="poll"),
        efficiency=round(bound / small_net, 3),
        table_rows_big=big,
        wall_big_table_s=round(big_net, 3),
        efficiency_big_table=round(bound / big_net, 3),
        local_rate_per_s=round(due / small_local),
        local_rate_big_table_per_s=round(due / big_local),
        big_vs_small_rate=round(small_local / big_local, 3),
    )
    result.figures["overhead_big_table"] = round(big_net / measured.bare, 3)
    goal = GOAL_OVERHEAD.get(bench.db)
    if goal is not None:
        result.goal("overhead", measured.overhead, "<=", goal)
    result.goal("big_vs_small_rate", small_local / big_local, ">=", GOAL_FLAT)
    return result

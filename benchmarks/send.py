"""Case 1: campaign send throughput against the bare reference, and against a naive integration.

A campaign of 100,000 recipients goes out through ``manage.py letsads_send --concurrency 8`` in a
process of its own while the simulator answers every request after 50 ms; then the same with 32
in flight. Right before and after each, the bare thread pool (:mod:`benchmarks.bare`) sends the
same 2,000 requests of 50 recipients with no database: the worker's wall time over theirs is its
overhead factor, the goal of issue 23. CPU per message is reported for the worker process and
its PostgreSQL backends. The network bound (ceil(n / 50) requests, 8 at a time, 50 ms each) and
the efficiency against it stay as figures: a fixed bound mixes our cost with the machine's load.

The naive integration is what most LetsAds clients do: one request per recipient, one after the
other, saving each answer; it is measured on a sample in the same run.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.utils import timezone

from benchmarks.fixtures import create_campaign, insert_messages, reset_tables, settle
from benchmarks.harness import (
    SIM_LOGIN,
    SIM_PASSWORD,
    TEXT,
    Bench,
    SimulatorProcess,
    network_bound,
    run_child,
    timer,
)
from benchmarks.reference import Bracketed, bracket, send_requests
from benchmarks.results import Result
from django_letsads.client import LetsAdsClient
from django_letsads.models import Message

LATENCY = 0.05
CONCURRENCY = 8
CONCURRENCIES = (CONCURRENCY, 32)
#: The worker's wall time over the bare reference's, by database and concurrency (issue 23):
#: SQLite has a goal only at 8 in flight (one writer, so 32 threads buy it nothing).
GOAL_OVERHEAD = {("postgres", 8): 1.05, ("sqlite", 8): 1.10, ("postgres", 32): 1.10}
GOAL_VS_NAIVE = 300


def naive_send(campaign_id: int, url: str) -> tuple[int, float]:
    """One sequential request per recipient, each answer saved at once; returns (sent, seconds)."""
    rows = list(
        Message.objects.filter(campaign_id=campaign_id, status=Message.Status.PENDING)
        .order_by("id")
        .values_list("id", "recipient")
    )
    client = LetsAdsClient(SIM_LOGIN, SIM_PASSWORD, api_url=url)
    with client, timer() as elapsed:
        for pk, recipient in rows:
            (sms_id,) = client.send("Test", TEXT, [recipient])
            Message.objects.filter(pk=pk).update(
                status=Message.Status.QUEUED, sms_id=sms_id, sent_at=timezone.now()
            )
    return len(rows), elapsed[0]


def _check_ids(sim: SimulatorProcess, campaign_id: int, sample: int = 25) -> None:
    """Each message's gateway id must be the one the gateway issued for its recipient."""
    rows = Message.objects.filter(campaign_id=campaign_id).order_by("?")[:sample]
    for sms_id, recipient in rows.values_list("sms_id", "recipient"):
        stored = sim.control(f"message?sms_id={sms_id}")
        if stored["recipient"] != recipient:
            raise RuntimeError(f"sms_id {sms_id} belongs to {stored['recipient']}, not {recipient}")


def not_queued(campaign_id: int) -> dict[str, int]:
    """How many messages of the campaign ended how, other than queued (for error messages)."""
    rows = (
        Message.objects.filter(campaign_id=campaign_id)
        .exclude(status=Message.Status.QUEUED)
        .values_list("status", "error_code", "error_message")
    )
    return dict(Counter(f"{status} {code} {text[:120]}" for status, code, text in rows))


def _round(bench: Bench, sim: SimulatorProcess, n: int, concurrency: int) -> Bracketed:
    """The bare reference, the worker sending ``n`` fixture messages, the bare reference."""
    reset_tables()
    campaign = create_campaign()
    insert_messages(campaign, n)
    settle()

    def measure() -> dict[str, Any]:
        measured = run_child(bench, sim, "command", "letsads_send", f"--concurrency={concurrency}")
        queued = Message.objects.filter(campaign_id=campaign, status=Message.Status.QUEUED).count()
        if queued != n:
            raise RuntimeError(
                f"{queued} of {n} messages queued: {measured.get('output')}; the others: "
                f"{not_queued(campaign)}"
            )
        return measured

    measured = bracket(sim, lambda: send_requests(n, text=TEXT), concurrency, measure)
    _check_ids(sim, campaign)
    return measured


def run(bench: Bench) -> Result:
    result = bench.result("send")
    n = bench.size(100_000)
    sample = bench.size(1_000)
    with SimulatorProcess(latency=LATENCY) as sim:
        rounds = {c: _round(bench, sim, n, c) for c in CONCURRENCIES}

        reset_tables()
        campaign = create_campaign()
        insert_messages(campaign, sample, start=5_000_000)
        sent, naive_seconds = naive_send(campaign, sim.url)
        naive_rate = sent / naive_seconds

    first = rounds[CONCURRENCIES[0]]
    seconds = first.seconds
    bound = network_bound(n, LATENCY, CONCURRENCY)
    rate = n / seconds
    result.figures.update(
        recipients=n,
        concurrency=CONCURRENCY,
        network_bound_s=round(bound, 3),
        **first.figures("", n),
        efficiency=round(bound / seconds, 3),
        rate_per_s=round(rate),
        naive_sample=sample,
        naive_rate_per_s=round(naive_rate, 1),
        speedup_vs_naive=round(rate / naive_rate, 1),
        peak_rss_above_start_mb=round(
            first.worker["peak_rss_mb"] - first.worker["start_rss_mb"], 1
        ),
    )
    for concurrency, measured in rounds.items():
        goal = GOAL_OVERHEAD.get((bench.db, concurrency))
        prefix = "" if concurrency == CONCURRENCY else f"c{concurrency}_"
        if prefix:
            result.figures.update(measured.figures(prefix, n))
            result.figures[f"{prefix}efficiency"] = round(
                network_bound(n, LATENCY, concurrency) / measured.seconds, 3
            )
        if goal is not None:
            result.goal(f"{prefix}overhead", measured.overhead, "<=", goal)
    result.goal("speedup_vs_naive", rate / naive_rate, ">=", GOAL_VS_NAIVE)
    return result

"""Case 1: campaign send throughput against the network bound, and against a naive integration.

A campaign of 100,000 recipients goes out through ``manage.py letsads_send --concurrency 8`` in a
process of its own while the simulator answers every request after 50 ms. The network bound is
what the requests alone cost: ceil(n / 50) requests, 8 at a time, 50 ms each. Efficiency is the
bound over the measured wall time of the whole round, claiming and writing results included.

The naive integration is what most LetsAds clients do: one request per recipient, one after the
other, saving each answer; it is measured on a sample in the same run.
"""

from __future__ import annotations

from django.utils import timezone

from benchmarks.harness import (
    SIM_LOGIN,
    SIM_PASSWORD,
    TEXT,
    Bench,
    Result,
    SimulatorProcess,
    create_campaign,
    insert_messages,
    network_bound,
    reset_tables,
    run_child,
    timer,
)
from django_letsads.client import LetsAdsClient
from django_letsads.models import Message

LATENCY = 0.05
CONCURRENCY = 8
GOAL_EFFICIENCY = {"postgres": 0.80, "sqlite": 0.60}
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


def run(bench: Bench) -> Result:
    result = bench.result("send")
    n = bench.size(100_000)
    sample = bench.size(1_000)
    with SimulatorProcess(latency=LATENCY) as sim:
        reset_tables()
        campaign = create_campaign()
        insert_messages(campaign, n)
        measured = run_child(bench, sim, "command", "letsads_send", f"--concurrency={CONCURRENCY}")
        queued = Message.objects.filter(campaign_id=campaign, status=Message.Status.QUEUED).count()
        if queued != n:
            raise RuntimeError(f"{queued} of {n} messages queued: {measured.get('output')}")
        _check_ids(sim, campaign)
        seconds = float(measured["seconds"])
        bound = network_bound(n, LATENCY, CONCURRENCY)
        rate = n / seconds

        reset_tables()
        campaign = create_campaign()
        insert_messages(campaign, sample, start=5_000_000)
        sent, naive_seconds = naive_send(campaign, sim.url)
        naive_rate = sent / naive_seconds

    result.figures.update(
        recipients=n,
        concurrency=CONCURRENCY,
        network_bound_s=round(bound, 3),
        wall_s=round(seconds, 3),
        efficiency=round(bound / seconds, 3),
        rate_per_s=round(rate),
        naive_sample=sample,
        naive_rate_per_s=round(naive_rate, 1),
        speedup_vs_naive=round(rate / naive_rate, 1),
        peak_rss_above_start_mb=round(measured["peak_rss_mb"] - measured["start_rss_mb"], 1),
    )
    result.goal("efficiency", bound / seconds, ">=", GOAL_EFFICIENCY.get(bench.db, 0.6))
    result.goal("speedup_vs_naive", rate / naive_rate, ">=", GOAL_VS_NAIVE)
    return result

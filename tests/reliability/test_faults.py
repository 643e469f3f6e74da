"""Faults between the worker and the gateway: nothing is sent twice and nothing is lost.

Each run sends a whole campaign through the worker and the poller against the simulator over
HTTP, with a share of gateway requests failing, then checks every message against the
simulator's own record of what it queued and billed.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db.models import Count

from django_letsads.campaigns import poll_now
from django_letsads.models import Campaign, Message
from django_letsads.simulator import FAULT_KINDS
from django_letsads.status import Status
from django_letsads.worker import PollWorker, SendWorker
from tests.factories import make_campaign, numbers
from tests.reliability.conftest import (
    Figures,
    ambiguous_recipients,
    billed,
    duplicates,
    faults_injected,
    is_settled,
    lost_messages,
    record,
    scaled,
)

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]

S = Status
FAST = {"TIMEOUT": 0.5, "CONNECT_RETRIES": 2, "POLL_RETRY_DELAY": 1}


def counts_of(campaign: Campaign) -> dict[str, int]:
    return dict(
        campaign.messages.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )


def send_until_nothing_pending(campaign: Campaign, rounds: int = 30) -> None:
    """What an operator's ``letsads_send --loop`` does, minus the sleeping."""
    for _ in range(rounds):
        SendWorker(concurrency=8).run_once()
        if not campaign.messages.filter(status__in=(S.PENDING, S.SENDING)).exists():
            return
    raise AssertionError(f"still pending after {rounds} rounds: {counts_of(campaign)}")


def poll_until_final(sim, campaign: Campaign, rounds: int = 40) -> None:
    """Poll with the simulator's clock past every final status, until nothing is pollable."""
    sim.advance(3600)
    for _ in range(rounds):
        if not campaign.messages.filter(status__in=(S.QUEUED, S.SENT)).exists():
            return
        poll_now(campaign.messages.all())
        PollWorker(concurrency=16).run_once()
    raise AssertionError(f"still pollable after {rounds} rounds: {counts_of(campaign)}")


def check_campaign(sim, campaign: Campaign, scenario: str, *, cut: bool = False) -> Figures:
    """The invariants of the issue, from the simulator's log and the database.

    ``cut``: the gateway also went down now and then, cutting connections in mid-request; a
    request cut after the gateway read it is ambiguous too, without a fault in the log.
    """
    counts = billed(sim)
    rows = list(campaign.messages.values_list("recipient", "status", "error_code", "sms_id"))
    ambiguous = ambiguous_recipients(sim)

    # No recipient billed twice.
    assert duplicates(counts) == 0
    # Every message is final or unknown, and an unknown one says why.
    assert all(is_settled(status) for _, status, _, _ in rows), counts_of(campaign)
    assert all(code for _, status, code, _ in rows if status == S.UNKNOWN)
    # Unknown only where the request was really ambiguous (its answer was lost or spoiled).
    unknown = {r: code for r, status, code, _ in rows if status == S.UNKNOWN}
    cut_off = {r: code for r, code in unknown.items() if r not in ambiguous}
    if cut:
        assert set(cut_off.values()) <= {"CONNECTION_LOST", "TIMEOUT"}
    else:
        assert cut_off == {}
    # Nothing lost: each state agrees with what the gateway did, and ids are the gateway's.
    lost = lost_messages([(r, s) for r, s, _, _ in rows], counts)
    assert lost == []
    for recipient, status, _, sms_id in rows:
        if status in (S.DELIVERED, S.UNDELIVERED):
            stored = sim.message(sms_id)
            assert stored is not None
            assert stored.recipient == recipient
    # Every recipient that was never part of an ambiguous request got a final gateway status.
    clean = [(r, s) for r, s, _, _ in rows if r not in ambiguous and r not in cut_off]
    assert all(s in (S.DELIVERED, S.UNDELIVERED) for _, s in clean)

    log = sim.log()
    return record(
        Figures(
            scenario=scenario,
            recipients=len(rows),
            requests=len(log),
            faults=faults_injected(sim),
            duplicates=duplicates(counts),
            lost=len(lost),
            unknown=len(unknown),
            extra={
                "unknown_cut_by_outage": len(cut_off),
                "send_requests": sum(1 for e in log if e.kind == "send"),
                "status_requests": sum(1 for e in log if e.kind == "status"),
                "statuses": counts_of(campaign),
            },
        )
    )


@pytest.mark.parametrize(
    "kinds",
    [*[(k,) for k in FAULT_KINDS], FAULT_KINDS],
    ids=lambda k: "mixed" if len(k) > 1 else k[0],
)
@pytest.mark.letsads_simulator(timeout_seconds=1.0, seed=9, balance=Decimal(10**6))
def test_ten_percent_faults_never_bill_twice_and_lose_nothing(letsads_simulator, settings, kinds):
    sim = letsads_simulator
    settings.LETSADS = {**settings.LETSADS, **FAST}
    size = scaled(10_000)
    campaign = make_campaign(numbers(size))
    sim.faults.set_rate(0.1, kinds)
    mixed = len(kinds) > 1
    if mixed:
        # The mixed run also has the gateway refuse connections for a moment now and then:
        # those requests provably never left, so they must be retried and delivered.
        stop = threading.Event()

        def flap() -> None:
            while not stop.wait(0.7):
                sim.down(seconds=0.2)

        flapper = threading.Thread(target=flap, daemon=True)
        flapper.start()
    try:
        send_until_nothing_pending(campaign)
    finally:
        if mixed:
            stop.set()
            flapper.join()
            sim.up()
    poll_until_final(sim, campaign)

    figures = check_campaign(
        sim, campaign, f"10% faults: {'mixed + outages' if mixed else kinds[0]}", cut=mixed
    )
    assert figures.faults > 0
    if mixed:
        released = Message.objects.filter(
            campaign=campaign, events__old_status=S.SENDING, events__new_status=S.PENDING
        ).distinct()
        figures.extra["released_and_retried"] = released.count()
        assert set(released.values_list("status", flat=True)) <= {
            S.DELIVERED,
            S.UNDELIVERED,
            S.UNKNOWN,
        }

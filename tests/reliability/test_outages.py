"""The gateway away or refusing the account: the worker waits, nothing becomes unknown or lost."""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from django_letsads.campaigns import poll_now, resume_campaign
from django_letsads.models import Campaign
from django_letsads.status import Status
from django_letsads.worker import PollWorker
from tests.factories import make_campaign, numbers, start_worker, worker_env
from tests.reliability.conftest import Figures, billed, duplicates, lost_messages, record, scaled

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]

S = Status


def wait_for(predicate: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


@pytest.mark.letsads_simulator(latency=0.05, balance=Decimal(10**6))
def test_gateway_down_for_a_while_the_loop_backs_off_and_resumes(letsads_simulator, settings):
    sim = letsads_simulator
    size = scaled(5_000, minimum=300)
    campaign = make_campaign(numbers(size))
    env = worker_env(sim.url, settings.LETSADS["PASSWORD"], LETSADS_TIMEOUT="5")
    sim.down()

    worker = start_worker("letsads_send", env, "--loop", "--interval", "0.2", "--concurrency", "4")
    try:
        # Connection refused: the worker retries, backs off, and sends nothing meanwhile.
        time.sleep(4)
        assert worker.poll() is None, worker.communicate()[0]
        assert sim.log() == []
        # (Claims of the round that is trying right now are ``sending``; none is unknown.)
        assert set(campaign.messages.values_list("status", flat=True)) <= {S.PENDING, S.SENDING}
        sim.up()
        assert wait_for(
            lambda: not campaign.messages.filter(status__in=(S.PENDING, S.SENDING)).exists(),
            timeout=60,
        )
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
        output = worker.communicate(timeout=30)[0]
    assert worker.returncode == 0, output
    assert "backing off" in output

    counts = billed(sim)
    assert duplicates(counts) == 0
    assert set(counts) == set(campaign.messages.values_list("recipient", flat=True))
    statuses = Counter(campaign.messages.values_list("status", flat=True))
    assert statuses == {S.QUEUED: size}
    rows = list(campaign.messages.values_list("recipient", "status"))
    record(
        Figures(
            scenario="gateway down ~4 s under --loop",
            recipients=size,
            requests=len(sim.log()),
            duplicates=duplicates(counts),
            lost=len(lost_messages(rows, counts)),
            unknown=statuses.get(S.UNKNOWN, 0),
            extra={"backoff_lines": output.count("backing off")},
        )
    )


@pytest.mark.letsads_simulator(balance=Decimal("0"), price=Decimal("0.5"))
def test_money_runs_out_mid_campaign_pause_top_up_resume_completes(letsads_simulator, settings):
    sim = letsads_simulator
    login = settings.LETSADS["LOGIN"]
    size = scaled(10_000, minimum=500)
    # Money for a bit under half of the campaign: several concurrent requests meet the refusal.
    sim.set_balance(login, Decimal("0.5") * (size * 2 // 5 + 17))
    campaign = make_campaign(numbers(size), text="Short text")

    with pytest.raises(CommandError, match="NOT_ENOUGH_MONEY"):
        call_command("letsads_send", "--concurrency", "4")

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED
    assert "NOT_ENOUGH_MONEY" in campaign.pause_reason
    statuses = Counter(campaign.messages.values_list("status", flat=True))
    assert set(statuses) == {S.QUEUED, S.PENDING}, statuses
    assert 0 < statuses[S.QUEUED] <= size * 2 // 5 + 17
    refused = sum(1 for e in sim.log() if e.code == "NOT_ENOUGH_MONEY")
    assert refused >= 1
    # A paused campaign is not sent by a worker that runs meanwhile.
    call_command("letsads_send")
    assert Counter(campaign.messages.values_list("status", flat=True)) == statuses

    sim.top_up(login, Decimal(size))
    assert resume_campaign(campaign.pk)
    call_command("letsads_send", "--concurrency", "4")
    sim.advance(3600)
    poll_now(campaign.messages.all())
    PollWorker(concurrency=16).run_once()

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DONE
    counts = billed(sim)
    rows = list(campaign.messages.values_list("recipient", "status"))
    assert duplicates(counts) == 0
    assert len(counts) == size
    assert {s for _, s in rows} <= {S.DELIVERED, S.UNDELIVERED}
    assert lost_messages(rows, counts) == []
    record(
        Figures(
            scenario="NOT_ENOUGH_MONEY mid-campaign, top-up, resume",
            recipients=size,
            requests=len(sim.log()),
            duplicates=duplicates(counts),
            lost=len(lost_messages(rows, counts)),
            extra={"refused_requests": refused, "queued_before_pause": statuses[S.QUEUED]},
        )
    )

"""Workers as separate processes: row claims under concurrency, and a worker killed mid-request."""

from __future__ import annotations

import signal
import time
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection

from django_letsads.models import Message
from django_letsads.worker import SendWorker, recover_expired_claims
from tests.factories import make_campaign, numbers, start_worker, worker_env

S = Message.Status
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.postgres
@pytest.mark.letsads_simulator(latency=0.01, balance=Decimal("100000"))
def test_four_worker_processes_send_every_recipient_exactly_once(letsads_simulator, settings):
    if connection.vendor != "postgresql":
        pytest.skip("row claims between processes are proven on PostgreSQL (SKIP LOCKED)")
    recipients = numbers(5000)
    campaign = make_campaign(recipients)
    env = worker_env(letsads_simulator.url, settings.LETSADS["PASSWORD"])

    workers = [start_worker("letsads_send", env, "--concurrency", "4") for _ in range(4)]
    outputs = [w.communicate(timeout=300)[0] for w in workers]

    assert [w.returncode for w in workers] == [0, 0, 0, 0], outputs
    billed = Counter(letsads_simulator.sent_recipients())
    assert set(billed) == set(recipients)
    assert max(billed.values()) == 1
    assert campaign.messages.filter(status=S.QUEUED).count() == 5000
    # Every process did part of the work.
    assert sum("queued=" in out for out in outputs) >= 2


@pytest.mark.letsads_simulator(latency=2.0)
def test_a_worker_killed_mid_request_never_causes_a_resend(letsads_simulator, settings):
    recipients = numbers(300)
    campaign = make_campaign(recipients)
    env = worker_env(letsads_simulator.url, settings.LETSADS["PASSWORD"], LETSADS_TIMEOUT="30")

    worker = start_worker("letsads_send", env, "--concurrency", "2")
    deadline = time.monotonic() + 30
    # Claims are committed before any request leaves; the simulator holds each request 2 s.
    while not campaign.messages.filter(status=S.SENDING).exists():
        assert time.monotonic() < deadline, "the worker never claimed anything"
        time.sleep(0.05)
    time.sleep(0.5)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)

    in_flight = campaign.messages.filter(status=S.SENDING).count()
    assert in_flight > 0
    time.sleep(2.5)  # let the gateway finish the requests the dead worker had sent
    # The lease has passed for these claims: they become unknown, never pending.
    assert recover_expired_claims(0) == in_flight
    SendWorker().run_once()

    counts = Counter(campaign.messages.values_list("status", flat=True))
    assert counts[S.UNKNOWN] == in_flight
    assert counts[S.QUEUED] == 300 - in_flight
    billed = Counter(letsads_simulator.sent_recipients())
    assert max(billed.values()) == 1
    unknown = set(campaign.messages.filter(status=S.UNKNOWN).values_list("recipient", flat=True))
    # Only recipients of claims the dead worker held are unknown; the rest went out once.
    assert set(billed) | unknown == set(recipients)

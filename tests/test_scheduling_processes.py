"""Schedules and paces kept by several worker processes at once, as in production.

The pace test measures the rate the claims kept rather than counting a whole minute (that is
``python -m benchmarks --case pace``): after a paced campaign's first claim, which may take the
burst, the messages claimed by time ``t`` are ``(t - t0) * rate`` to within one message, however
the claims fall. A pace kept per process would show twice the rate with two processes.
"""

from __future__ import annotations

import re
import signal
import threading
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from django_letsads.campaigns import resume_campaign, schedule_campaign
from django_letsads.models import Campaign, Message, WorkerHeartbeat
from tests.factories import make_campaign, numbers, start_worker, worker_env

S = Message.Status
pytestmark = pytest.mark.django_db(transaction=True)


def wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


class Output:
    """A worker's output lines, read as they come (so a test can wait for its first round)."""

    def __init__(self, worker) -> None:
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(worker,), daemon=True)
        self.thread.start()

    def _read(self, worker) -> None:
        for line in worker.stdout:
            self.lines.append(line)

    def text(self) -> str:
        self.thread.join(timeout=60)
        return "".join(self.lines)


def stop(workers, outputs: list[Output] | None = None) -> list[str]:
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    if outputs is None:
        texts = [worker.communicate(timeout=60)[0] for worker in workers]
    else:
        for worker in workers:
            worker.wait(timeout=60)
        texts = [output.text() for output in outputs]
    assert [w.returncode for w in workers] == [0] * len(workers), texts
    return texts


@pytest.mark.postgres
@pytest.mark.letsads_simulator(latency=0.01, balance=Decimal("100000"))
def test_four_workers_start_a_scheduled_campaign_once_and_send_each_recipient_once(
    letsads_simulator, settings
):
    if connection.vendor != "postgresql":
        pytest.skip("starting once between processes is proven on PostgreSQL (SKIP LOCKED)")
    recipients = numbers(5000)
    campaign = make_campaign(recipients, state=Campaign.State.DRAFT)
    schedule_campaign(campaign.pk, timezone.now() + timedelta(seconds=1))
    time.sleep(1.1)  # due now; the workers come for it together
    env = worker_env(letsads_simulator.url, settings.LETSADS["PASSWORD"])

    workers = [
        start_worker("letsads_send", env, "--loop", "--interval", "0.2", "--concurrency", "4")
        for _ in range(4)
    ]
    try:
        wait_until(
            lambda: not campaign.messages.filter(status__in=[S.PENDING, S.SENDING]).exists(),
            240,
            "the campaign to be sent",
        )
        # On a loaded machine three workers can send everything while the fourth is still
        # starting; SIGTERM before its loop runs would kill it. Its first round's heartbeat
        # says its loop (and its signal handler) is running.
        wait_until(
            lambda: WorkerHeartbeat.objects.filter(pid__in=[w.pid for w in workers]).count() == 4,
            120,
            "every worker to have run a round",
        )
    finally:
        outputs = stop(workers)

    billed = Counter(letsads_simulator.sent_recipients())
    assert set(billed) == set(recipients)
    assert max(billed.values()) == 1
    assert campaign.messages.filter(status=S.QUEUED).count() == 5000
    started = [int(n) for out in outputs for n in re.findall(r"campaigns_started=(\d+)", out)]
    assert started == [1], outputs
    campaign.refresh_from_db()
    assert campaign.started_at is not None
    assert sum("queued=" in out for out in outputs) >= 2  # the work was shared


@pytest.mark.letsads_simulator(balance=Decimal("100000"))
def test_two_worker_processes_keep_one_pace_together(letsads_simulator, settings):
    rate = 1200  # a minute's worth in a few seconds of test
    campaign = make_campaign(numbers(3000), state=Campaign.State.PAUSED)
    Campaign.objects.filter(pk=campaign.pk).update(max_per_minute=rate)
    # Unbuffered, so that their first round's line shows they are running.
    env = worker_env(letsads_simulator.url, settings.LETSADS["PASSWORD"], PYTHONUNBUFFERED="1")

    workers = [start_worker("letsads_send", env, "--loop", "--interval", "0.5") for _ in range(2)]
    outputs = [Output(worker) for worker in workers]
    try:
        # Both processes are running rounds before the campaign may send.
        wait_until(lambda: all(o.lines for o in outputs), 60, "both workers' first rounds")
        resume_campaign(campaign.pk)
        wait_until(lambda: campaign.messages.exclude(claimed_at=None).exists(), 30, "a first claim")
        time.sleep(8)
    finally:
        texts = stop(workers, outputs)

    claims = Counter(
        campaign.messages.exclude(claimed_at=None).values_list("claimed_at", flat=True)
    )
    moments = sorted(claims)
    assert len(moments) >= 8, "the pace should have let many small claims through"
    first, last = moments[0], moments[-1]
    after_first = sum(claims.values()) - claims[first]
    per_minute = after_first / (last - first).total_seconds() * 60
    assert rate * 0.9 <= per_minute <= rate * 1.1, (per_minute, texts)
    assert all("claimed=" in text for text in texts)  # both processes took part
    assert campaign.messages.filter(status=S.PENDING).exists()  # the pace, not the end, held it

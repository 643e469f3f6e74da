"""The gateway away or refusing the account: the worker waits, nothing becomes unknown or lost."""

from __future__ import annotations

import signal
import subprocess
import threading
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
#: What a send round's line says when the gateway could not be reached.
UNREACHABLE = "gateway unreachable: backing off"


def wait_for(predicate: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


class Output:
    """A worker's output as it comes (read by a thread), so a test can wait for a line."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self._lines: list[str] = []
        self._changed = threading.Condition()  # an RLock: ``count`` runs inside ``wait_for``
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            with self._changed:
                self._lines.append(line)
                self._changed.notify_all()

    @property
    def text(self) -> str:
        with self._changed:
            return "".join(self._lines)

    def count(self, words: str) -> int:
        with self._changed:
            return sum(words in line for line in self._lines)

    def wait_for(self, words: str, times: int, timeout: float) -> bool:
        """Wait until ``times`` lines hold ``words``; ``timeout`` only bounds a broken run."""
        with self._changed:
            return self._changed.wait_for(lambda: self.count(words) >= times, timeout)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)


@pytest.mark.letsads_simulator(latency=0.05, balance=Decimal(10**6))
def test_gateway_down_for_a_while_the_loop_backs_off_and_resumes(letsads_simulator, settings):
    sim = letsads_simulator
    size = scaled(5_000, minimum=300)
    campaign = make_campaign(numbers(size))
    env = worker_env(sim.url, settings.LETSADS["PASSWORD"], LETSADS_TIMEOUT="5")
    sim.down()

    worker = start_worker("letsads_send", env, "--loop", "--interval", "0.2", "--concurrency", "4")
    lines = Output(worker)
    try:
        # Connection refused: the worker retries, backs off, tries again, and sends nothing
        # meanwhile. Wait for two such rounds (not for a fixed time: under load the worker
        # process may take seconds to start, and it used to find the gateway already back up).
        backed_off = lines.wait_for(UNREACHABLE, times=2, timeout=120)
        assert backed_off, lines.text
        assert worker.poll() is None, lines.text
        assert sim.log() == []
        # (Claims of the round that is trying right now are ``sending``; none is unknown.)
        assert set(campaign.messages.values_list("status", flat=True)) <= {S.PENDING, S.SENDING}
        sim.up()
        assert wait_for(
            lambda: not campaign.messages.filter(status__in=(S.PENDING, S.SENDING)).exists(),
            timeout=120,
        ), lines.text
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        lines.join(timeout=30)
    output = lines.text
    assert worker.returncode == 0, output

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
            extra={"backoff_rounds": output.count(UNREACHABLE)},
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

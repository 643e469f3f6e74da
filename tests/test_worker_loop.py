"""The pieces around the worker rounds: rate cap, loop and back-off, balance command, tasks."""

from __future__ import annotations

import os
import signal
import threading
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from django_letsads.exceptions import AuthError
from django_letsads.worker import RoundReport, run_loop
from django_letsads.worker.ratelimit import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_rate_limiter_spaces_calls_evenly():
    clock = FakeClock()
    limiter = RateLimiter(4, clock=clock.time, sleep=clock.sleep)
    for _ in range(5):
        limiter.acquire()
    assert clock.slept == [0.25, 0.25, 0.25, 0.25]


def test_rate_limiter_zero_means_no_cap():
    clock = FakeClock()
    limiter = RateLimiter(0, clock=clock.time, sleep=clock.sleep)
    for _ in range(100):
        limiter.acquire()
    assert clock.slept == []


class ScriptedWorker:
    """Returns prepared reports; stops the loop when they run out."""

    def __init__(self, reports: list[RoundReport]) -> None:
        self.reports = reports
        self.stop_event = threading.Event()
        self.rounds = 0

    def run_once(self) -> RoundReport:
        self.rounds += 1
        report = self.reports.pop(0)
        if not self.reports:
            self.stop_event.set()
        return report


# run_loop closes stale connections between rounds, which may test a connection an earlier test
# left open: without database access that check would be refused, depending on test order.
@pytest.mark.django_db
def test_loop_backs_off_after_trouble_and_resets_after_a_good_round(monkeypatch):
    waits: list[float] = []
    trouble = RoundReport(backoff=True)
    refused = RoundReport(stop_error=AuthError(code="AUTH_DATA"))
    good = RoundReport()
    good.add(claimed=1, queued=1)
    worker = ScriptedWorker([trouble, refused, good, RoundReport()])
    monkeypatch.setattr(worker.stop_event, "wait", lambda seconds: waits.append(seconds))

    rounds = run_loop(worker, interval=2)

    assert rounds == 4
    # 2 after the unreachable gateway, doubled after the refusal, none after a busy round,
    # the plain interval after an idle one.
    assert waits == [2, 4, 2]


@pytest.mark.django_db
def test_sigterm_stops_the_loop_after_the_current_round():
    class SelfSignalling(ScriptedWorker):
        def run_once(self) -> RoundReport:
            if self.rounds == 1:
                os.kill(os.getpid(), signal.SIGTERM)
            self.rounds += 1
            return RoundReport()

    worker = SelfSignalling([])
    previous = signal.getsignal(signal.SIGTERM)

    rounds = run_loop(worker, interval=0.01)

    assert rounds == 2
    assert worker.stop_event.is_set()
    assert signal.getsignal(signal.SIGTERM) == previous


@pytest.mark.letsads_simulator(balance=Decimal("123.45"))
def test_balance_command_prints_amount_and_currency(letsads_simulator, capsys):
    call_command("letsads_balance")
    assert capsys.readouterr().out.strip() == "123.45 UAH"


def test_balance_command_fails_with_the_gateway_code(letsads_simulator, settings):
    settings.LETSADS = {**settings.LETSADS, "PASSWORD": "nope"}
    with pytest.raises(CommandError, match="AUTH_DATA"):
        call_command("letsads_balance")

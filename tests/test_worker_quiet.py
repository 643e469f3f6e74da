"""A looping worker says what changed, not "nothing to do" every few seconds."""

from __future__ import annotations

import io
import logging
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from django_letsads.exceptions import AuthError
from django_letsads.models import Message
from django_letsads.worker import RoundReport
from django_letsads.worker.pgsql import refresh_stale_statistics
from django_letsads.worker.statelog import StateLog
from tests.factories import make_outbox_messages, numbers


def busy(**counts: int) -> RoundReport:
    report = RoundReport()
    report.add(**(counts or {"claimed": 2, "queued": 2}))
    return report


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def say(log: StateLog, clock: Clock, reports: list[RoundReport], step: float = 5) -> list[str]:
    lines: list[str] = []
    for report in reports:
        lines += log.lines(report)
        clock.now += step
    return lines


def test_idle_rounds_say_so_once_then_only_every_hour():
    clock = Clock()
    log = StateLog(1, every=3600, clock=clock)

    assert say(log, clock, [RoundReport() for _ in range(720)]) == [
        "idle: nothing to do, waiting for work"
    ]
    # 720 rounds of 5 s: an hour after the last line, one line says the loop is alive.
    assert say(log, clock, [RoundReport()]) == ["still idle: 721 round(s) in 60 min, nothing to do"]
    assert say(log, clock, [RoundReport() for _ in range(100)]) == []


def test_work_and_trouble_are_printed_each_round_and_idle_again_once():
    clock = Clock()
    log = StateLog(1, clock=clock)
    trouble = RoundReport(backoff=True)
    refused = RoundReport(stop_error=AuthError(code="AUTH_DATA"))

    lines = say(log, clock, [RoundReport(), busy(), busy(), RoundReport(), RoundReport()])
    lines += say(log, clock, [trouble, refused, RoundReport()])

    assert lines == [
        "idle: nothing to do, waiting for work",
        "claimed=2 queued=2",
        "claimed=2 queued=2",
        "idle: nothing to do, waiting for work",
        "nothing to do gateway unreachable: backing off",
        "nothing to do stopped: AUTH_DATA",
        "idle: nothing to do, waiting for work",
    ]


def test_verbosity_zero_prints_nothing_and_two_prints_every_round():
    clock = Clock()
    reports = [RoundReport(), RoundReport(), busy(), RoundReport(backoff=True), RoundReport()]

    assert say(StateLog(0, clock=clock), clock, reports) == []
    assert len(say(StateLog(2, clock=clock), clock, reports)) == len(reports)


@pytest.mark.django_db(transaction=True)  # the loop closes old connections between rounds
@pytest.mark.parametrize("command", ["letsads_send", "letsads_poll"])
def test_an_idle_loop_prints_at_most_a_few_lines_in_twenty_rounds(letsads_simulator, command):
    out = io.StringIO()
    call_command(command, "--loop", "--interval", "0.1", "--max-rounds", "20", stdout=out)
    assert out.getvalue().splitlines() == ["idle: nothing to do, waiting for work"]

    quiet = io.StringIO()
    call_command(
        command, "--loop", "--interval", "0.1", "--max-rounds", "20", "-v", "0", stdout=quiet
    )
    assert quiet.getvalue() == ""

    loud = io.StringIO()
    call_command(
        command, "--loop", "--interval", "0.1", "--max-rounds", "20", "-v", "2", stdout=loud
    )
    assert len(loud.getvalue().splitlines()) == 20


@pytest.mark.django_db(transaction=True)  # the loop closes old connections between rounds
@pytest.mark.letsads_simulator(balance=Decimal("100"))
def test_a_loop_that_finds_work_says_what_it_did_then_goes_quiet(letsads_simulator):
    make_outbox_messages(numbers(3))
    out = io.StringIO()

    call_command("letsads_send", "--loop", "--interval", "0.1", "--max-rounds", "20", stdout=out)

    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert "claimed=3" in lines[0]
    assert "queued=3" in lines[0]
    assert lines[1] == "idle: nothing to do, waiting for work"


def test_max_rounds_must_be_positive():
    with pytest.raises(CommandError, match="--max-rounds"):
        call_command("letsads_send", "--loop", "--max-rounds", "0")


@pytest.mark.django_db(transaction=True)
@pytest.mark.letsads_simulator(balance=Decimal("100"), speed=0)
def test_due_now_polls_at_once_what_the_schedule_would_poll_in_ten_minutes(letsads_simulator):
    make_outbox_messages(numbers(2, start=11))  # numbers ending 00-09 are undelivered
    call_command("letsads_send", stdout=io.StringIO())
    letsads_simulator.advance(600)  # the gateway has delivered them; the schedule says wait

    call_command("letsads_poll", stdout=io.StringIO())
    assert set(Message.objects.values_list("status", flat=True)) == {"queued"}

    out = io.StringIO()
    call_command("letsads_poll", "--due-now", stdout=out)
    assert out.getvalue().splitlines()[0] == "2 message(s) due for a status poll now."
    assert set(Message.objects.values_list("status", flat=True)) == {"delivered"}


def test_due_now_refuses_a_loop():
    with pytest.raises(CommandError, match="POLL_SCHEDULE"):
        call_command("letsads_poll", "--due-now", "--loop")


def _statistics_up_to_date() -> None:
    """Make PostgreSQL's row-change counters current (this connection's are sent at most once a
    second), then analyse the messages, so that no round finds them stale."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Message._meta.db_table}")
    assert not refresh_stale_statistics()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("command", ["letsads_send", "letsads_poll"])
def test_idle_rounds_are_logged_at_debug_only(letsads_simulator, command, caplog):
    # Earlier tests may have changed enough rows for the first round to analyse the table (and
    # say so at INFO, as it should): that is work, not an idle round's, so do it first.
    _statistics_up_to_date()
    with caplog.at_level(logging.INFO, logger="django_letsads"):
        call_command(command, "--loop", "--interval", "0.1", "--max-rounds", "20", "-v", "0")
    assert [r.getMessage() for r in caplog.records] == []

    with caplog.at_level(logging.DEBUG, logger="django_letsads"):
        call_command(command, "--loop", "--interval", "0.1", "--max-rounds", "2", "-v", "0")
    assert [r.getMessage() for r in caplog.records] == [f"{command} round: nothing to do"] * 2

"""``manage.py letsads_status``: exit codes 0/1/2 in each state, JSON, and no database."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from django_letsads.models import Campaign, WorkerHeartbeat
from django_letsads.status import Status
from tests.factories import ROOT, make_campaign, numbers

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def status(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("letsads_status", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def both_workers(seen: datetime) -> None:
    for pid, kind in ((1, "send"), (2, "poll")):
        WorkerHeartbeat.objects.create(
            kind=kind,
            host="w",
            pid=pid,
            started_at=seen,
            last_seen=seen,
            last_round_at=seen,
            last_round="nothing to do",
        )


@pytest.mark.letsads_simulator(balance=Decimal("500"))
def test_ok_when_both_workers_run_and_nothing_waits(letsads_simulator):
    both_workers(timezone.now())
    code, out = status()
    assert code == 0, out
    assert out.startswith("LETSADS OK\n")
    assert "Balance: 500" in out
    assert "send w:1" in out


@pytest.mark.letsads_simulator(balance=Decimal("500"))
def test_warning_when_no_worker_runs_but_nothing_waits(letsads_simulator):
    code, out = status()
    assert code == 1
    assert out.startswith("LETSADS WARNING - no send worker is running (0 messages")


@time_machine.travel(T0, tick=False)
def test_critical_when_messages_wait_and_no_send_worker_runs():
    make_campaign(numbers(3))
    both_workers(T0 - timedelta(hours=1))  # stale: they do not count
    code, out = status("--no-balance")
    assert code == 2
    assert out.startswith("LETSADS CRITICAL - no send worker is running (3 messages wait")
    assert "Workers: none running" in out


@time_machine.travel(T0, tick=False)
def test_the_age_of_the_oldest_pending_message_against_the_thresholds():
    campaign = make_campaign(numbers(2))
    both_workers(T0)
    campaign.messages.update(created_at=T0 - timedelta(seconds=700))
    assert status("--no-balance")[0] == 1
    assert status("--no-balance", "--pending-warning", "800")[0] == 0
    assert status("--no-balance", "--pending-critical", "650")[0] == 2


@time_machine.travel(T0, tick=False)
def test_overdue_polls_and_unknown_messages_are_warnings():
    campaign = make_campaign(numbers(2), state=Campaign.State.DONE)
    both_workers(T0)
    campaign.messages.update(status=Status.QUEUED, next_poll_at=T0 - timedelta(seconds=1000))
    code, out = status("--no-balance")
    assert code == 1
    assert "2 polls due (oldest 1000 s)" in out
    campaign.messages.update(status=Status.UNKNOWN, next_poll_at=None)
    code, out = status("--no-balance")
    assert code == 1
    assert "2 message(s) are 'unknown'" in out


@pytest.mark.letsads_simulator(balance=Decimal("20"))
def test_a_low_balance_is_a_warning_and_none_left_is_critical(letsads_simulator):
    both_workers(timezone.now())
    assert status()[0] == 1
    assert status("--balance-warning", "10")[0] == 0
    assert status("--balance-critical", "20")[0] == 2


def test_a_balance_the_gateway_refuses_is_a_warning_with_its_code(settings):
    both_workers(timezone.now())
    settings.LETSADS = {**settings.LETSADS, "LOGIN": "", "PASSWORD": ""}
    code, out = status()
    assert code == 1
    assert "balance unknown" in out


def test_paused_campaigns_are_listed_with_their_reason_as_json():
    both_workers(timezone.now())
    campaign = make_campaign(numbers(1), state=Campaign.State.PAUSED, name="Spring")
    Campaign.objects.filter(pk=campaign.pk).update(pause_reason="NOT_ENOUGH_MONEY")
    code, out = status("--no-balance", "--json")
    data = json.loads(out)
    assert code == 1
    assert data["status"] == "warning"
    assert data["exit_code"] == 1
    assert data["paused_campaigns"] == [
        {"id": campaign.pk, "name": "Spring", "reason": "NOT_ENOUGH_MONEY"}
    ]
    assert data["backlog"]["pending"] == 0  # a paused campaign's messages are not sendable
    assert {w["kind"] for w in data["workers"]} == {"send", "poll"}


@pytest.mark.django_db(transaction=False)
def test_without_a_database_it_exits_2_with_one_clear_line(tmp_path):
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="tests.settings",
        PYTHONPATH=str(ROOT),
        LETSADS_TEST_DB="",
        LETSADS_TEST_SQLITE_NAME=str(tmp_path / "missing" / "db.sqlite3"),
    )
    code = "import django; django.setup(); from django.core.management import call_command; "
    code += "call_command('letsads_status', '--no-balance')"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2, result.stderr
    assert result.stdout.startswith("LETSADS CRITICAL - the database cannot be read: ")
    assert result.stdout.count("\n") == 1

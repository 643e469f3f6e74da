"""Worker heartbeats: written by real worker processes, throttled, removed on exit, stale ignored."""

from __future__ import annotations

import signal
import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from django_letsads import heartbeat
from django_letsads.heartbeat import Heartbeat, running_workers, worker_health
from django_letsads.models import WorkerHeartbeat
from django_letsads.worker import RoundReport
from tests.factories import start_worker, worker_env


def _wait_for(condition: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.letsads_simulator
def test_a_looping_worker_process_has_a_heartbeat_until_it_stops(letsads_simulator, settings):
    env = worker_env(letsads_simulator.url, settings.LETSADS["PASSWORD"])
    worker = start_worker("letsads_send", env, "--loop", "--interval", "0.2")
    try:
        _wait_for(lambda: WorkerHeartbeat.objects.filter(pid=worker.pid).exists())
        row = WorkerHeartbeat.objects.get(pid=worker.pid)
        assert row.kind == "send"
        assert row.last_round == "nothing to do"
        assert worker_health("send").running == 1
        assert worker_health("poll").running == 0
    finally:
        worker.send_signal(signal.SIGTERM)
        output = worker.communicate(timeout=30)[0]
    assert worker.returncode == 0, output
    assert not WorkerHeartbeat.objects.filter(pid=worker.pid).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.letsads_simulator
def test_a_single_poll_run_leaves_no_heartbeat_behind(letsads_simulator, settings):
    env = worker_env(letsads_simulator.url, settings.LETSADS["PASSWORD"])
    worker = start_worker("letsads_poll", env)
    output = worker.communicate(timeout=60)[0]
    assert worker.returncode == 0, output
    assert not WorkerHeartbeat.objects.exists()


@pytest.mark.django_db
def test_beats_are_throttled_but_a_round_summary_is_kept_for_the_next_write(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(heartbeat.time, "monotonic", lambda: clock[0])
    beat = Heartbeat("poll")
    report = RoundReport()
    report.add(polled=3)

    assert beat.beat() is True
    assert beat.beat(report) is False  # 0 s after the first write
    assert WorkerHeartbeat.objects.get().last_round == ""
    clock[0] += heartbeat.BEAT_EVERY
    assert beat.beat() is True
    row = WorkerHeartbeat.objects.get()
    assert row.last_round == "polled=3"
    assert row.last_round_at is not None
    assert WorkerHeartbeat.objects.count() == 1  # an UPSERT, not a new row

    beat.stop()
    assert not WorkerHeartbeat.objects.exists()


@pytest.mark.django_db
def test_stale_heartbeats_do_not_count_as_running(settings):
    settings.LETSADS = {**settings.LETSADS, "WORKER_STALE_AFTER": 600}
    now = timezone.now()
    for pid, age in ((1, 10), (2, 599), (3, 601)):
        seen = now - timedelta(seconds=age)
        WorkerHeartbeat.objects.create(
            kind="send", host="h", pid=pid, started_at=seen, last_seen=seen, last_round_at=seen
        )
    health = worker_health("send", now)
    assert health.running == 2
    assert health.seconds_since_round(now) == pytest.approx(10)
    assert health.last_seen == now - timedelta(seconds=10)
    assert [w.pid for w in running_workers(now)] == [2, 1]
    with time_machine.travel(now + timedelta(seconds=700)):
        assert worker_health("send").running == 0
        assert worker_health("send").last_round_at is None


@pytest.mark.django_db
@pytest.mark.letsads_simulator
def test_a_task_round_leaves_a_heartbeat_that_goes_stale(letsads_simulator):
    from django_letsads import tasks

    round_task = getattr(tasks.poll_round, "call", tasks.poll_round)
    heartbeat._PROCESS_BEATS.clear()  # a fresh process: its first beat is written
    assert round_task() == {}
    row = WorkerHeartbeat.objects.get(kind="poll")
    assert row.last_round == "nothing to do"
    assert row.last_round_at is not None
    assert worker_health("poll").running == 1
    with time_machine.travel(row.last_seen + timedelta(minutes=11)):
        assert worker_health("poll").running == 0

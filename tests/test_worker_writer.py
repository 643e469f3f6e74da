"""The result writer: where it runs the writes, in what order, and what happens when one fails."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from django_letsads.models import Message, StatusEvent
from django_letsads.worker import SendWorker
from django_letsads.worker import claims as claims_module
from django_letsads.worker.writer import BackgroundWriter, InlineWriter, result_writer
from tests.factories import failing_on_call, make_campaign, numbers

S = Message.Status


def test_inline_writer_runs_each_write_at_once_in_the_callers_thread():
    writer: InlineWriter[str] = InlineWriter()
    writer.submit(lambda: threading.current_thread().name)
    assert not writer.busy
    assert writer.collect() == [threading.current_thread().name]
    assert writer.collect() == []
    with pytest.raises(ZeroDivisionError):
        writer.submit(lambda: 1 // 0)


def test_background_writer_runs_writes_in_order_one_at_a_time_on_its_own_thread():
    writer: BackgroundWriter[tuple[int, str]] = BackgroundWriter("test-writer")
    release = threading.Event()
    order: list[int] = []

    def write(n: int) -> tuple[int, str]:
        if n == 0:
            release.wait(5)
        order.append(n)
        return n, threading.current_thread().name

    try:
        writer.submit(lambda: write(0))
        assert writer.busy
        assert writer.collect() == []  # not finished: nothing to report yet
        release.set()
        writer.submit(lambda: write(1))  # waits for the first
        results = writer.collect(wait=True)
    finally:
        writer.close()
    assert [n for n, _ in results] == [0, 1] == order
    assert {name for _, name in results} != {threading.current_thread().name}
    assert all(name.startswith("test-writer") for _, name in results)
    with pytest.raises(RuntimeError, match="closed"):
        writer.submit(lambda: (2, ""))


def test_a_failed_background_write_is_raised_once_by_collect():
    writer: BackgroundWriter[int] = BackgroundWriter("test-writer")
    try:
        writer.submit(lambda: 1 // 0)
        with pytest.raises(ZeroDivisionError):
            writer.collect(wait=True)
        writer.submit(lambda: 7)
        assert writer.collect(wait=True) == [7]
    finally:
        writer.close()


def test_closing_reraises_a_failure_nobody_collected_unless_told_not_to(caplog):
    failing: BackgroundWriter[int] = BackgroundWriter("test-writer")
    failing.submit(lambda: 1 // 0)
    with pytest.raises(ZeroDivisionError):
        failing.close()

    quiet: BackgroundWriter[int] = BackgroundWriter("test-writer")
    quiet.submit(lambda: 1 // 0)
    quiet.close(raise_errors=False)
    assert "Writing results failed" in caplog.text


@pytest.mark.django_db
def test_inside_a_transaction_the_writes_stay_on_the_callers_connection():
    # A test's transaction (or a caller's) holds rows a second connection could not see.
    assert isinstance(result_writer("w"), InlineWriter)


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_database_server_gets_a_writer_thread():
    expected = InlineWriter if connection.vendor == "sqlite" else BackgroundWriter
    writer = result_writer("w")
    try:
        assert isinstance(writer, expected)
    finally:
        writer.close()


@pytest.fixture
def committed_postgres(transactional_db):
    """Real commits on PostgreSQL: where a round gets its writer thread."""
    if connection.vendor != "postgresql":
        pytest.skip("the writer thread runs on a database server only")


@pytest.mark.postgres
@pytest.mark.usefixtures("committed_postgres")
def test_a_round_writes_its_results_from_the_writer_thread_with_every_event(
    letsads_simulator, monkeypatch
):
    writers: set[str] = set()
    real_apply = claims_module.apply_results

    def recording_apply(*args, **kwargs):
        writers.add(threading.current_thread().name)
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(claims_module, "apply_results", recording_apply)
    campaign = make_campaign(numbers(600))
    connections_before = _connections_to_this_database()

    report = SendWorker(concurrency=4).run_once()

    assert report.counts["queued"] == 600
    assert writers
    assert all(name.startswith("letsads-send-write") for name in writers)
    assert set(campaign.messages.values_list("status", flat=True)) == {S.QUEUED}
    assert len(set(campaign.messages.values_list("sms_id", flat=True))) == 600
    assert sorted(letsads_simulator.sent_recipients()) == numbers(600)
    assert StatusEvent.objects.filter(old_status=S.SENDING, new_status=S.QUEUED).count() == 600
    # The writer thread's own connection was closed with the round.
    assert _connections_settle_at(connections_before)


def _connections_settle_at(count: int, seconds: float = 5.0) -> bool:
    """True once the connections to this database are ``count``: a server process ends a moment
    after its client closes the connection, not at once, so a closed one may still be listed."""
    deadline = time.monotonic() + seconds
    while _connections_to_this_database() != count:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _connections_to_this_database() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


@pytest.mark.postgres
@pytest.mark.usefixtures("committed_postgres")
def test_a_write_that_fails_on_the_writer_thread_ends_the_round_and_nothing_is_resent(
    letsads_simulator, monkeypatch
):
    failing_second_write = failing_on_call(
        claims_module.apply_results, 2, RuntimeError("disk on fire")
    )
    monkeypatch.setattr(claims_module, "apply_results", failing_second_write)
    make_campaign(numbers(2000))

    with pytest.raises(RuntimeError, match="disk on fire"):
        SendWorker(concurrency=2).run_once()

    counts = dict.fromkeys(S.values, 0)
    for status in Message.objects.values_list("status", flat=True):
        counts[status] += 1
    sent = letsads_simulator.sent_recipients()
    # Whatever was sent is either recorded as accepted or still held as ``sending`` (the lease
    # will make it ``unknown``); nothing sent went back to ``pending``, nothing went twice.
    assert len(sent) == len(set(sent))
    assert counts[S.QUEUED] + counts[S.SENDING] == len(sent)
    assert counts[S.SENDING] >= 1
    assert counts[S.PENDING] == 2000 - len(sent)


@pytest.mark.django_db
@pytest.mark.letsads_simulator(latency=0.3)
def test_after_an_unexpected_error_batches_not_yet_started_are_not_sent(
    letsads_simulator, monkeypatch, settings
):
    """Two requests in flight and a third waiting for a pool thread when the round fails: the
    waiting one must go back to ``pending`` instead of being sent while the round drains."""
    settings.LETSADS = {**settings.LETSADS, "CLAIM_SIZE": 50}  # one batch per claim
    failing_fourth_claim = failing_on_call(claims_module.claim, 4, RuntimeError("claiming broke"))
    monkeypatch.setattr(claims_module, "claim", failing_fourth_claim)
    make_campaign(numbers(300))

    with pytest.raises(RuntimeError, match="claiming broke"):
        SendWorker(concurrency=2).run_once()

    # Batches 1 and 2 were running (the simulator takes 0.3 s), batch 3 was waiting for a pool
    # thread: only the first two went out, and batch 3's claims were released.
    assert len(letsads_simulator.sends()) == 2
    assert Message.objects.filter(status=S.QUEUED).count() == 100
    assert Message.objects.filter(status=S.PENDING).count() == 200
    assert not set(letsads_simulator.sent_recipients()) & set(
        Message.objects.filter(status=S.PENDING).values_list("recipient", flat=True)
    )

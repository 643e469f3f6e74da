"""The benchmarks' own logic: CPU from /proc, the bare reference, the overhead figures, the A/B."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import pytest

from benchmarks import ab, bare, reference
from benchmarks.__main__ import _parser, baseline_revision
from benchmarks.cpu import BackendCpu, parse_stat, per_item_us, process_cpu
from benchmarks.fixtures import insert_messages, required_defaults
from benchmarks.results import Result, result_from_json
from django_letsads import protocol
from django_letsads.models import Message

# A /proc/<pid>/stat line whose command holds a space and parentheses; utime 250, stime 50.
STAT = "4242 (postgres: a (b) c) S 1 2 3 0 -1 4194560 10 0 0 0 250 50 0 0 20 0 1 0 5 6 7"


def test_cpu_seconds_are_counted_from_the_last_parenthesis():
    assert parse_stat(STAT, ticks=100) == 3.0


def test_this_process_has_spent_some_cpu_and_a_missing_one_none():
    assert process_cpu(os.getpid()) is not None
    assert process_cpu(2**22 + 12345) is None


def test_cpu_per_item_in_microseconds():
    assert per_item_us(0.5, 100_000) == 5.0
    assert per_item_us(1.0, 0) == 0.0


def test_backend_cpu_sums_each_backend_from_first_to_last_sighting():
    readings = {1: [1.0, 1.5, 2.0], 2: [10.0, 10.25]}

    def reader(pid: int) -> float | None:
        values = readings[pid]
        return values.pop(0) if values else None  # then the backend is gone

    backends = BackendCpu(reader)
    backends.seen(1)  # 1.0 when its connection opened
    backends.seen(2)  # 10.0
    backends.seen(1)  # 1.5 when it closed
    assert backends.read() == pytest.approx(1.0 + 0.25)  # read now: 1 at 2.0, 2 at 10.25
    assert backends.read() == pytest.approx(1.0 + 0.25)  # both gone: their last readings stay
    assert backends.backends == 2


def test_the_bare_reference_sends_the_clients_bytes():
    recipients = ["380500000001", "380500000002"]
    text = "Sale: -20% & <today> \r\n Код"

    data, expected, ids = bare.body(
        "login", "secret", {"sender": "Shop", "text": text, "recipients": recipients}
    )

    assert data == protocol.build_send("login", "secret", "Shop", text, recipients)
    assert (expected, ids) == (b"Complete</name>", 2)
    status, _, _ = bare.body("login", "secret", {"sms_id": 77})
    assert status == protocol.build_status("login", "secret", 77)


@pytest.mark.django_db
def test_the_bare_reference_counts_wrong_answers(letsads_simulator, settings):
    login, password = settings.LETSADS["LOGIN"], settings.LETSADS["PASSWORD"]
    sender = settings.LETSADS["SENDER"]
    good = [
        bare.body(login, password, {**request, "sender": sender})
        for request in reference.send_requests(120, text="Hi")
    ]
    bad = bare.body(
        login, "wrong", {"sender": sender, "text": "Hi", "recipients": ["380500000001"]}
    )

    assert bare.send_all(letsads_simulator.url, good, 4) == 0
    assert bare.send_all(letsads_simulator.url, [*good, bad], 4) == 1
    assert letsads_simulator.stats()["messages"] == 240


def test_the_send_requests_are_the_workers_batches_of_the_fixture():
    requests = list(reference.send_requests(120, text="Hi", start=5))

    assert [len(r["recipients"]) for r in requests] == [50, 50, 20]
    assert requests[0]["recipients"][0] == "380500000005"
    assert requests[-1]["recipients"][-1] == "380500000124"
    assert {r["text"] for r in requests} == {"Hi"}


@pytest.mark.django_db
def test_reference_numbers_are_the_fixtures_numbers():
    insert_messages(None, 3, start=41)

    stored = sorted(Message.objects.values_list("recipient", flat=True))
    assert stored == [reference.number(i) for i in (41, 42, 43)]


def test_the_fixture_fills_required_columns_it_does_not_name():
    assert required_defaults(Message, "campaign_id, recipient") == {
        "account": "default",
        **required_defaults(Message, "campaign_id, recipient, account"),
    }
    assert "recipient" not in required_defaults(Message, "campaign_id, recipient")


def test_overhead_is_the_worker_over_the_mean_of_the_bare_runs():
    before, after = reference.BareRun(12.0, 4.0), reference.BareRun(14.0, 6.0)
    measured = reference.Bracketed({"seconds": 13.0, "cpu_seconds": 5.0}, before, after, 2.0)

    assert measured.overhead == pytest.approx(1.0)
    figures = measured.figures("c32_", 100_000)
    assert figures["c32_overhead"] == 1.0
    assert figures["c32_bare_s"] == 13.0
    assert figures["c32_worker_cpu_us_per_msg"] == 50.0
    assert figures["c32_bare_cpu_us_per_msg"] == 50.0  # the mean of 40 and 60
    assert figures["c32_simulator_cpu_us_per_msg"] == 20.0
    assert "c32_server_cpu_us_per_msg" not in figures  # SQLite: no server process


def test_server_cpu_is_reported_when_backends_were_seen():
    worker = {"seconds": 1.0, "cpu_seconds": 1.0, "server_cpu_seconds": 2.0, "backends": 2}
    bare_run = reference.BareRun(1.0, 1.0)

    figures = reference.Bracketed(worker, bare_run, bare_run).figures("", 1_000_000, "poll")

    assert figures["server_cpu_us_per_poll"] == 2.0
    assert figures["total_cpu_us_per_poll"] == 3.0
    assert "simulator_cpu_us_per_poll" not in figures  # its process could not be read


class _BusyServer:
    """Stands in for a ``SimulatorProcess``: a child that spends CPU when a line arrives."""

    url = "http://127.0.0.1:9/"

    def __init__(self, busy_seconds: float) -> None:
        spend = (
            "import sys, time\n"
            "sys.stdin.readline()\n"
            "start = time.process_time()\n"
            f"while time.process_time() - start < {busy_seconds}: pass\n"
            "print('spent', flush=True)\n"
            "sys.stdin.readline()\n"
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-c", spend], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def serve(self) -> dict[str, float]:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        self.proc.stdout.readline()
        return {"seconds": 1.0, "cpu_seconds": 0.0}


def test_the_bracket_reads_the_simulators_cpu_while_the_worker_runs():
    server = _BusyServer(busy_seconds=0.3)
    try:
        measured = reference.bracket(server, lambda: iter(()), 2, server.serve)  # type: ignore[arg-type]
    finally:
        server.proc.communicate("\n", timeout=10)

    assert measured.simulator_cpu is not None
    assert 0.25 <= measured.simulator_cpu < 1.0  # its busy 0.3 s, not its start-up before
    assert measured.bare_before.seconds > 0.0  # both bare runs still bracket it
    assert measured.bare_after.seconds > 0.0


class _NoProcessServer:
    """A simulator with no process of its own (in this process, as the tests run it)."""

    url = "http://127.0.0.1:9/"
    proc = None


def test_the_bracket_has_no_simulator_cpu_when_the_simulator_has_no_process():
    measured = reference.bracket(
        _NoProcessServer(),  # type: ignore[arg-type]
        lambda: iter(()),
        2,
        lambda: {"seconds": 1.0, "cpu_seconds": 0.0},
    )

    assert measured.simulator_cpu is None
    assert measured.worker == {"seconds": 1.0, "cpu_seconds": 0.0}


def _round(total: float, worker: float) -> Result:
    figures = {
        "recipients": 100_000,
        "wall_s": 14.0,
        "worker_cpu_us_per_msg": worker,
        "server_cpu_us_per_msg": total - worker,
        "total_cpu_us_per_msg": total,
    }
    return Result("ab", "postgres", False, figures)


def test_the_ab_takes_each_builds_best_round_and_judges_the_ratio():
    result = ab.summarise("abc123", False, [_round(110, 60), _round(100, 50)], [_round(52, 30)])

    assert result.figures["baseline_total_cpu_us_per_msg"] == 100
    assert result.figures["baseline_worker_cpu_us_per_msg"] == 50  # of the same round
    assert result.figures["baseline_rounds_total_us"] == "110 / 100"
    assert result.figures["cpu_ratio"] == 0.52
    [goal] = result.goals
    assert (goal.name, goal.met) == ("cpu_ratio", False)
    assert result_from_json(result.as_json()).figures == result.figures


def test_the_baseline_checkout_holds_that_revisions_package_beside_this_suite():
    code = ab.checkout(ab.BASELINE)
    try:
        assert (code / "django_letsads" / "models.py").is_file()
        assert (code / "tests" / "settings.py").is_file()
        assert (code / "benchmarks").resolve() == (ab.ROOT / "benchmarks").resolve()
        # The release has no migration 0014: it is another revision indeed.
        assert not list((code / "django_letsads" / "migrations").glob("0014_*"))
    finally:
        import shutil

        shutil.rmtree(code)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], ab.BASELINE),
        (["--quick"], None),
        (["--case", "send"], None),
        (["--quick", "--case", "ab"], ab.BASELINE),
        (["--baseline", "main"], "main"),
        (["--quick", "--baseline", "main"], "main"),
        (["--no-baseline"], None),
        (["--db", "sqlite"], None),
    ],
)
def test_a_full_run_compares_with_the_release_and_a_quick_one_only_when_asked(argv, expected):
    args: argparse.Namespace = _parser().parse_args(argv)

    assert baseline_revision(args) == expected

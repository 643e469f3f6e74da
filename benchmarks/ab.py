"""Case "ab": CPU per sent message of this build against another revision's, in the same run.

``python -m benchmarks --baseline REV`` (in a full run, ``REV`` defaults to the release
``BASELINE``) checks out ``REV``'s ``django_letsads`` and ``tests`` with ``git archive`` into a
temporary directory, beside a link to this checkout's ``benchmarks``, and runs this case there
(same interpreter and dependencies, its own fresh database migrated by its own migrations) and
here, alternately, ``ROUNDS`` times each. The case is the send case's worker round: 100,000
messages, 50 ms latency, 8 requests in flight; the figure is CPU microseconds per sent message
of the worker process and of its PostgreSQL backends (``/proc/<pid>/stat``), which the machine's
load moves far less than wall time. Goal (issue 23): this build's total at most half the
baseline's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks.cpu import per_item_us
from benchmarks.fixtures import create_campaign, insert_messages, reset_tables, settle
from benchmarks.harness import RESULT_PREFIX, ROOT, Bench, SimulatorProcess, run_child
from benchmarks.results import Result, result_from_json

BASELINE = "eaa9e87"
LATENCY = 0.05
CONCURRENCY = 8
ROUNDS = 2
GOAL_RATIO = 0.5
CPU_FIGURES = ("worker_cpu_us_per_msg", "server_cpu_us_per_msg", "total_cpu_us_per_msg")


def run(bench: Bench) -> Result:
    """One worker round of the send case in whatever build this process imports."""
    import django_letsads
    from django_letsads.models import Message

    result = bench.result("ab")
    # Which checkout was measured: the parent checks that the baseline's package was imported.
    result.note = str(Path(django_letsads.__file__).resolve().parent.parent)
    n = bench.size(100_000)
    with SimulatorProcess(latency=LATENCY) as sim:
        reset_tables()
        campaign = create_campaign()
        insert_messages(campaign, n)
        settle()
        measured = run_child(bench, sim, "command", "letsads_send", f"--concurrency={CONCURRENCY}")
    queued = Message.objects.filter(campaign_id=campaign, status=Message.Status.QUEUED).count()
    if queued != n:
        raise RuntimeError(f"{queued} of {n} messages queued: {measured.get('output')}")
    worker, server = float(measured["cpu_seconds"]), float(measured["server_cpu_seconds"])
    result.figures.update(
        recipients=n,
        wall_s=round(float(measured["seconds"]), 3),
        worker_cpu_us_per_msg=round(per_item_us(worker, n), 1),
        server_cpu_us_per_msg=round(per_item_us(server, n), 1),
        total_cpu_us_per_msg=round(per_item_us(worker + server, n), 1),
    )
    return result


def checkout(revision: str) -> Path:
    """``revision``'s package and test settings in a new directory, beside this suite."""
    target = Path(tempfile.mkdtemp(prefix="letsads-baseline-"))
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision, "django_letsads", "tests"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    if archive.returncode:
        shutil.rmtree(target)
        raise SystemExit(f"--baseline {revision}: {archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    (target / "benchmarks").symlink_to(ROOT / "benchmarks", target_is_directory=True)
    return target


def _child(code: Path, quick: bool) -> Result:
    """This case in a process importing ``django_letsads`` from ``code``."""
    command = [sys.executable, "-m", "benchmarks", "--db", "postgres", "--case", "ab"]
    command += ["--quick"] if quick else []
    env = {**os.environ, "LETSADS_BENCH_CODE": str(code), "PYTHONPATH": str(code)}
    proc = subprocess.run(
        [*command, "--internal-child"],
        cwd=code,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            result = result_from_json(line[len(RESULT_PREFIX) :])
            if Path(result.note) != code.resolve():
                raise RuntimeError(f"the A/B child in {code} imported the package of {result.note}")
            return result
    raise RuntimeError(f"the A/B child in {code} failed ({proc.returncode}):\n{proc.stdout}")


def compare(revision: str, quick: bool, child: Callable[[Path, bool], Result] = _child) -> Result:
    """The baseline and this build, alternately; the lowest CPU per message of each counts."""
    code = checkout(revision)
    try:
        baseline: list[Result] = []
        current: list[Result] = []
        for _ in range(ROUNDS):
            baseline.append(child(code, quick))
            current.append(child(ROOT, quick))
    finally:
        shutil.rmtree(code)
    return summarise(revision, quick, baseline, current)


def summarise(
    revision: str, quick: bool, baseline: Sequence[Result], current: Sequence[Result]
) -> Result:
    """One result: each build's best round (lowest total CPU), every round's total, the ratio."""
    result = Result("ab", "postgres", quick)
    result.figures["baseline_revision"] = revision
    result.figures["recipients"] = baseline[0].figures["recipients"]
    for label, runs in (("baseline", baseline), ("this_build", current)):
        best = min(runs, key=lambda r: float(r.figures["total_cpu_us_per_msg"]))
        for name in (*CPU_FIGURES, "wall_s"):
            result.figures[f"{label}_{name}"] = best.figures[name]
        result.figures[f"{label}_rounds_total_us"] = " / ".join(
            str(r.figures["total_cpu_us_per_msg"]) for r in runs
        )
    ratio = float(result.figures["this_build_total_cpu_us_per_msg"]) / float(
        result.figures["baseline_total_cpu_us_per_msg"]
    )
    result.figures["cpu_ratio"] = round(ratio, 3)
    result.goal("cpu_ratio", ratio, "<=", GOAL_RATIO)
    return result

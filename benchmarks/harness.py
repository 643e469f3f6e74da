"""What every benchmark case shares: the simulator process, worker processes, fast fixtures, results.

The parent process (``python -m benchmarks``) prepares data and measures; the gateway simulator
and every worker whose speed or memory is a figure run in processes of their own, so neither the
simulator nor the harness is what gets measured. Figures that are goals are ratios of two
measurements taken in the same run, because the machine is shared and its absolute speed varies.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: Where child processes import ``django_letsads`` from: this checkout, or for the A/B a
#: directory holding another revision's package beside this suite (``benchmarks.baseline``).
CODE = Path(os.environ.get("LETSADS_BENCH_CODE") or ROOT)
SIM_PASSWORD = "bench-secret-password"
SIM_LOGIN = "380501234567"
RESULT_PREFIX = "BENCH-RESULT "
TEXT = "Sale: -20% & free delivery <today>"


# -- results ------------------------------------------------------------------------------------


@dataclass
class Goal:
    """A goal of the issue: ``value`` compared with ``target`` by ``op`` (``>=``, ``<=``, ``==``)."""

    name: str
    value: float
    op: str
    target: float

    @property
    def met(self) -> bool:
        if self.op == ">=":
            return self.value >= self.target
        if self.op == "<=":
            return self.value <= self.target
        return self.value == self.target


@dataclass
class Result:
    """The outcome of one case on one database: plain figures and the goals they are judged by."""

    case: str
    db: str
    quick: bool
    figures: dict[str, float | int | str] = field(default_factory=dict)
    goals: list[Goal] = field(default_factory=list)
    note: str = ""

    def goal(self, name: str, value: float, op: str, target: float) -> None:
        self.goals.append(Goal(name, value, op, target))

    def as_json(self) -> str:
        return json.dumps(
            {
                "case": self.case,
                "db": self.db,
                "quick": self.quick,
                "figures": self.figures,
                "goals": {
                    g.name: {"value": g.value, "op": g.op, "target": g.target, "met": g.met}
                    for g in self.goals
                },
                "note": self.note,
            },
            sort_keys=True,
        )


def result_from_json(text: str) -> Result:
    """A :class:`Result` back from its ``as_json()`` (a child process's line)."""
    data = json.loads(text)
    result = Result(data["case"], data["db"], data["quick"], data["figures"], note=data["note"])
    for name, goal in data["goals"].items():
        result.goals.append(Goal(name, goal["value"], goal["op"], goal["target"]))
    return result


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(results: Sequence[Result], *, judge: bool = True) -> str:
    """A plain-text table: one row per figure, goals marked with their target and verdict.

    Without ``judge`` (quick runs: a tenth of the sizes, on a busy CI machine) the figures
    stand alone: the timing goals are set for the full sizes and mean nothing there.
    """
    rows: list[tuple[str, ...]] = [("case", "db", "figure", "value", "goal", "")]
    for result in results:
        goals = {g.name: g for g in result.goals} if judge else {}
        for name, value in result.figures.items():
            goal = goals.pop(name, None)
            verdict = "" if goal is None else ("met" if goal.met else "NOT MET")
            target = "" if goal is None else f"{goal.op} {_fmt(goal.target)}"
            rows.append((result.case, result.db, name, _fmt(value), target, verdict))
        for goal in goals.values():
            verdict = "met" if goal.met else "NOT MET"
            target = f"{goal.op} {_fmt(goal.target)}"
            rows.append((result.case, result.db, goal.name, _fmt(goal.value), target, verdict))
        if result.note:
            rows.append((result.case, result.db, "note", result.note, "", ""))
    if not judge:
        rows = [row[:4] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{mem_kb / 1024 / 1024:.0f} GiB"
    except OSError:
        memory = "?"
    import django

    return {
        "cpu": cpu or platform.processor(),
        "cores": str(os.cpu_count()),
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
    }


# -- sizes --------------------------------------------------------------------------------------


@dataclass
class Bench:
    """One run on one database: the vendor, the scale and the environment for child processes."""

    db: str
    quick: bool
    env: dict[str, str]

    def size(self, full: int) -> int:
        """``full`` in a full run, a tenth of it with ``--quick``."""
        return full // 10 if self.quick else full

    def label(self, full: int) -> str:
        n = self.size(full)
        return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k"

    def result(self, case: str) -> Result:
        return Result(case, self.db, self.quick)


def network_bound(recipients: int, latency: float, concurrency: int, batch: int = 50) -> float:
    """Seconds the requests alone take: every request waits ``latency``, ``concurrency`` at once."""
    return math.ceil(recipients / batch) * latency / concurrency


# -- the simulator in its own process ----------------------------------------------------------


class SimulatorProcess:
    """``python -m django_letsads.simulator`` on a free port, steered through its control API."""

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> SimulatorProcess:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "django_letsads.simulator",
                "--port=0",
                f"--latency={self.latency}",
                f"--login={SIM_LOGIN}",
                f"--password={SIM_PASSWORD}",
                "--balance=1000000000",
                "--price=0.01",
            ],
            cwd=ROOT,
            # Always this checkout's simulator, also when the workers are another revision's.
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        if match is None:
            self.proc.kill()
            raise RuntimeError(f"The simulator did not start: {line!r}")
        self.url = match.group(1)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def control(self, name: str, data: dict[str, Any] | None = None) -> Any:
        url = f"{self.url}_simulator/{name}"
        body = None if data is None else json.dumps(data).encode()
        request = urllib.request.Request(url, data=body, method="GET" if data is None else "POST")  # noqa: S310 - loopback only
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
            return json.loads(response.read())

    def set_latency(self, seconds: float) -> None:
        self.control("faults", {"latency": seconds})

    def stats(self) -> dict[str, Any]:
        return dict(self.control("stats"))


# -- worker processes ---------------------------------------------------------------------------


def child_env(bench: Bench, sim: SimulatorProcess | None = None) -> dict[str, str]:
    env = dict(bench.env)
    if sim is not None:
        env["LETSADS_API_URL"] = sim.url
    return env


def run_child(bench: Bench, sim: SimulatorProcess | None, *args: str) -> dict[str, Any]:
    """Run ``benchmarks.runner`` with ``args`` and return what it measured about itself."""
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.runner", *args],
        cwd=CODE,
        env=child_env(bench, sim),
        capture_output=True,
        text=True,
        check=False,
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return dict(json.loads(line[len(RESULT_PREFIX) :]))
    raise RuntimeError(
        f"benchmarks.runner {' '.join(args)} failed ({proc.returncode}):\n"
        f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    )


# -- database -----------------------------------------------------------------------------------


def reset_tables() -> None:
    """Empty the app's tables (fast on a million rows; sequences restart)."""
    from django.db import connection

    from django_letsads.models import Campaign, Message, StatusEvent

    tables = [m._meta.db_table for m in (StatusEvent, Message, Campaign)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            for name in tables:
                cursor.execute(f"DELETE FROM {name}")  # noqa: S608 - names from _meta
            cursor.execute("DELETE FROM sqlite_sequence")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {tables[1]}")


def analyze() -> None:
    """Refresh the planner's statistics after a bulk load, as autovacuum would soon do."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def settle() -> None:
    """Bring a fresh fixture to the state a table has after autovacuum: ``VACUUM (ANALYZE)`` the
    messages, then ``CHECKPOINT``; nothing on SQLite.

    Without it, the measured worker's backend is the first to read the rows the fixture has just
    inserted: it sets their hint bits, and, depending on where the server's checkpoints fall,
    writes whole pages to the WAL the first time it changes each one after a checkpoint. The
    same statements then measured about 44 or about 80 µs of server CPU a message from one round
    to the next (``docs/benchmarks.rst``); settled, every round starts from the same state.
    """
    from django.db import connection

    from django_letsads.models import Message

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {Message._meta.db_table}")
        cursor.execute("CHECKPOINT")


def required_defaults(model: Any, columns: str) -> dict[str, Any]:
    """Column → default of ``model``'s NOT NULL fields with a plain default not in ``columns``."""
    from django.db.models import NOT_PROVIDED

    named = {c.strip() for c in columns.split(",")}
    found = {}
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key or model_field.null or model_field.column in named:
            continue
        default = model_field.default
        if default is not NOT_PROVIDED and not callable(default):
            found[model_field.column] = default
    return found


def insert_messages(
    campaign_id: int | None,
    count: int,
    *,
    status: str = "pending",
    start: int = 0,
    prefix: str = "38050",
) -> None:
    """Insert ``count`` messages with numbers ``prefix`` + 7 digits from ``start``, in SQL.

    A fixture, not the code under test: the import path is measured by its own case. Rows are
    generated by the database (``generate_series`` or a recursive CTE), so a million take seconds.
    """
    from django.db import connection
    from django.utils import timezone

    from django_letsads.models import Message

    table = Message._meta.db_table
    columns = (
        "campaign_id, recipient, recipient_name, sender, text, status, error_code, "
        "error_message, gateway_status, created_at, claim_token, poll_count, poll_failures, "
        "final_at"
    )
    final = "%s" if status in {"delivered", "undelivered", "failed", "expired"} else "NULL"
    values = "%s, {number}, '', '', '', %s, '', '', '', %s, '', 0, 0, " + final
    params: list[Any] = [campaign_id, status, timezone.now()]
    if final != "NULL":
        params.append(timezone.now())
    # Columns this list does not name but the schema requires (``account``, since migration
    # 0014): their defaults, so that one fixture serves this build and an older one (the A/B).
    for name, default in required_defaults(Message, columns).items():
        columns += f", {name}"
        values += ", %s"
        params.append(default)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            number = f"'{prefix}' || lpad(i::text, 7, '0')"
            cursor.execute(
                f"INSERT INTO {table} ({columns}) "  # noqa: S608 - constant SQL
                f"SELECT {values.format(number=number)} "
                "FROM generate_series(%s::bigint, %s::bigint) AS i",
                [*params, start, start + count - 1],
            )
        else:
            number = f"'{prefix}' || substr('0000000' || i, -7, 7)"
            cursor.execute(
                "WITH RECURSIVE seq(i) AS (SELECT %s UNION ALL SELECT i + 1 FROM seq WHERE i < %s) "  # noqa: S608 - constant SQL
                f"INSERT INTO {table} ({columns}) "
                f"SELECT {values.format(number=number)} FROM seq",
                [start, start + count - 1, *params],
            )


def create_campaign(state: str = "sending", name: str = "Benchmark") -> int:
    from django_letsads.models import Campaign

    return int(Campaign.objects.create(name=name, sender="Test", text=TEXT, state=state).pk)


@contextmanager
def timer() -> Iterator[list[float]]:
    """``with timer() as t: ...`` then ``t[0]`` is the elapsed wall time in seconds."""
    elapsed: list[float] = [0.0]
    start = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed[0] = time.perf_counter() - start

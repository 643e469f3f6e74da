"""The bare reference around a measured worker, and the figures made of the two.

Each send and poll case brackets its worker: the bare thread pool (:mod:`benchmarks.bare`) sends
the same requests right before and right after it, and the worker's wall time over the mean of
the two is its **overhead factor**: 1.00 would be a worker that costs nothing beyond the
requests themselves. Taking the reference on both sides cancels a drift of the machine's load
during the case. CPU is reported per message for the worker process and, on PostgreSQL, for the
server backends that served it; beside it, for the bare pool (the mean of its two runs: what the
requests alone cost a client) and for the simulator while it served the worker (the apparatus's
share of the machine's cores, which the worker and its server must share with it).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.cpu import per_item_us, process_cpu
from benchmarks.harness import RESULT_PREFIX, ROOT, SIM_LOGIN, SIM_PASSWORD, SimulatorProcess

Request = dict[str, Any]


def number(i: int, prefix: str = "38050") -> str:
    """The recipient ``fixtures.insert_messages`` gives the ``i``-th message."""
    return f"{prefix}{i:07d}"


def send_requests(
    count: int, *, text: str, sender: str = "Test", per_request: int = 50, start: int = 0
) -> Iterator[Request]:
    """The send requests the worker makes for ``count`` fixture messages of one text."""
    for first in range(start, start + count, per_request):
        last = min(first + per_request, start + count)
        yield {
            "sender": sender,
            "text": text,
            "recipients": [number(i) for i in range(first, last)],
        }


def status_requests(sms_ids: Iterable[int]) -> Iterator[Request]:
    return ({"sms_id": sms_id} for sms_id in sms_ids)


@dataclass(frozen=True)
class BareRun:
    """One run of the bare thread pool: its wall seconds and its process's CPU seconds."""

    seconds: float
    cpu_seconds: float


def run_bare(sim: SimulatorProcess, requests: Iterable[Request], concurrency: int) -> BareRun:
    """Send ``requests`` from the bare thread pool in a process of its own."""
    with tempfile.TemporaryDirectory() as tmp:
        plan = Path(tmp) / "plan.json"
        plan.write_text(
            json.dumps(
                {
                    "url": sim.url,
                    "login": SIM_LOGIN,
                    "password": SIM_PASSWORD,
                    "concurrency": concurrency,
                    "requests": list(requests),
                }
            ),
            encoding="utf-8",
        )
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.bare", str(plan)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX) :])
            if result["wrong"]:
                raise RuntimeError(f"the bare reference got {result['wrong']} wrong answers")
            return BareRun(float(result["seconds"]), float(result["cpu_seconds"]))
    raise RuntimeError(f"benchmarks.bare failed ({proc.returncode}):\n{proc.stderr[-4000:]}")


@dataclass
class Bracketed:
    """A worker's measurement with the bare reference taken before and after it.

    ``simulator_cpu`` is the simulator's CPU seconds during the worker's measurement, ``None``
    when its process could not be read.
    """

    worker: dict[str, Any]
    bare_before: BareRun
    bare_after: BareRun
    simulator_cpu: float | None = None

    @property
    def seconds(self) -> float:
        return float(self.worker["seconds"])

    @property
    def bare(self) -> float:
        return (self.bare_before.seconds + self.bare_after.seconds) / 2

    @property
    def bare_cpu(self) -> float:
        return (self.bare_before.cpu_seconds + self.bare_after.cpu_seconds) / 2

    @property
    def overhead(self) -> float:
        return overhead_factor(self.seconds, self.bare_before, self.bare_after)

    def figures(self, prefix: str, items: int, unit: str = "msg") -> dict[str, float | int]:
        """``<prefix>wall_s``, ``bare_s``, ``overhead`` and CPU per item, rounded for the table."""
        worker_cpu = float(self.worker.get("cpu_seconds", 0.0))
        server_cpu = float(self.worker.get("server_cpu_seconds", 0.0))
        figures: dict[str, float | int] = {
            f"{prefix}wall_s": round(self.seconds, 3),
            f"{prefix}bare_s": round(self.bare, 3),
            f"{prefix}bare_before_s": round(self.bare_before.seconds, 3),
            f"{prefix}bare_after_s": round(self.bare_after.seconds, 3),
            f"{prefix}overhead": round(self.overhead, 3),
            f"{prefix}worker_cpu_us_per_{unit}": round(per_item_us(worker_cpu, items), 1),
            f"{prefix}bare_cpu_us_per_{unit}": round(per_item_us(self.bare_cpu, items), 1),
        }
        if self.simulator_cpu is not None:
            figures[f"{prefix}simulator_cpu_us_per_{unit}"] = round(
                per_item_us(self.simulator_cpu, items), 1
            )
        if self.worker.get("backends"):
            figures[f"{prefix}server_cpu_us_per_{unit}"] = round(per_item_us(server_cpu, items), 1)
            figures[f"{prefix}total_cpu_us_per_{unit}"] = round(
                per_item_us(worker_cpu + server_cpu, items), 1
            )
        return figures


def overhead_factor(worker_seconds: float, *bare: BareRun) -> float:
    """The worker's wall time over the mean of the bare reference's."""
    reference = sum(run.seconds for run in bare) / len(bare)
    return worker_seconds / reference


def bracket(
    sim: SimulatorProcess,
    requests: Callable[[], Iterable[Request]],
    concurrency: int,
    measure: Callable[[], dict[str, Any]],
) -> Bracketed:
    """The bare reference, then ``measure()`` (the worker), then the bare reference again."""
    before = run_bare(sim, requests(), concurrency)
    simulator_cpu = _simulator_reader(sim)
    simulator_started = simulator_cpu()
    worker = measure()
    simulator_ended = simulator_cpu()
    after = run_bare(sim, requests(), concurrency)
    simulator = (
        simulator_ended - simulator_started
        if simulator_started is not None and simulator_ended is not None
        else None
    )
    return Bracketed(worker, before, after, simulator)


def _simulator_reader(sim: SimulatorProcess) -> Callable[[], float | None]:
    """What reads the simulator's CPU so far: ``None`` always when it has no process of its own."""
    proc = sim.proc
    if proc is None:
        return lambda: None
    return lambda: process_cpu(proc.pid)

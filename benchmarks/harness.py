"""What every benchmark case shares: the sizes, the simulator process and the worker processes.

The parent process (``python -m benchmarks``) prepares data and measures; the gateway simulator
and every worker whose speed or memory is a figure run in processes of their own, so neither the
simulator nor the harness is what gets measured. Figures that are goals are ratios of two
measurements taken in the same run, because the machine is shared and its absolute speed varies.
Results and their table are in :mod:`benchmarks.results`, the fixtures in
:mod:`benchmarks.fixtures`.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.results import Result

ROOT = Path(__file__).resolve().parent.parent
#: Where child processes import ``django_letsads`` from: this checkout, or for the A/B a
#: directory holding another revision's package beside this suite (``benchmarks.ab``).
CODE = Path(os.environ.get("LETSADS_BENCH_CODE") or ROOT)
SIM_PASSWORD = "bench-secret-password"
SIM_LOGIN = "380501234567"
RESULT_PREFIX = "BENCH-RESULT "
TEXT = "Sale: -20% & free delivery <today>"


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


@contextmanager
def timer() -> Iterator[list[float]]:
    """``with timer() as t: ...`` then ``t[0]`` is the elapsed wall time in seconds."""
    elapsed: list[float] = [0.0]
    start = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed[0] = time.perf_counter() - start

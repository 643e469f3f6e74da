"""A measured child process: run one worker command or one import, report time and memory.

``python -m benchmarks.runner command letsads_send --concurrency 8`` or
``python -m benchmarks.runner import <campaign id> <csv path>``. The last line of its output is
``BENCH-RESULT {json}`` with the wall time of the work itself (Django's start-up excluded), the
resident memory when the work began and its peak, its CPU time (every thread) and the CPU time of
the PostgreSQL backends that served its connections (:mod:`benchmarks.cpu`). ``LETSADS_BENCH_PROFILE=<file>`` writes a
pyinstrument profile of the work (all threads' time as seen from the main thread) to that file.
"""

from __future__ import annotations

import io
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.cpu import BackendCpu

RESULT_PREFIX = "BENCH-RESULT "


def rss_mb() -> float:
    """Resident memory of this process now, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _command(args: list[str]) -> Callable[[], dict[str, Any]]:
    from django.core.management import call_command

    def work() -> dict[str, Any]:
        out = io.StringIO()
        call_command(*args, stdout=out)
        return {"output": out.getvalue().strip()}

    return work


def _import(args: list[str]) -> Callable[[], dict[str, Any]]:
    from django_letsads.importing import import_recipients
    from django_letsads.models import Campaign

    campaign = Campaign.objects.get(pk=int(args[0]))
    path = Path(args[1])

    def work() -> dict[str, Any]:
        with path.open("rb") as source:
            report = import_recipients(campaign, source, kind="csv")
        return {
            "added": report.added,
            "duplicates": report.duplicates,
            "rejected": report.rejected_count,
        }

    return work


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    import django

    django.setup()
    task, args = argv[0], argv[1:]
    backends = BackendCpu()
    backends.install()
    work = _command(args) if task == "command" else _import(args)
    profile_path = os.environ.get("LETSADS_BENCH_PROFILE")
    profiler: Any = None
    if profile_path:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.001)
        profiler.start()
    start_rss = rss_mb()
    started = time.perf_counter()
    cpu_started = time.process_time()
    details = work()
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    server_cpu_seconds = backends.read()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if profiler is not None:
        profiler.stop()
        Path(profile_path or "").write_text(profiler.output_text(unicode=True, show_all=False))
    result = {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        # The PostgreSQL backends' CPU for this process's connections (0 on SQLite, in-process).
        "server_cpu_seconds": server_cpu_seconds,
        "backends": backends.backends,
        "start_rss_mb": start_rss,
        "peak_rss_mb": peak_rss,
        **details,
    }
    sys.stdout.write(RESULT_PREFIX + json.dumps(result) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])

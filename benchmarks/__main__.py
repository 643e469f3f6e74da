"""``python -m benchmarks [--quick] [--db sqlite|postgres|both] [--case NAME ...] [--check]
[--baseline REV | --no-baseline]``.

Prints the machine, a table of every figure (goals marked met or NOT MET) and one JSON line per
case. ``--quick`` runs a tenth of the sizes and prints the figures without verdicts (CI runs it
to keep the benchmarks working; the timing goals are for the full sizes); ``--check`` exits
non-zero when a goal of a full run is not met, after printing the table. With ``--db both``
each database runs in a process of its own, since Django connects to one per process. A full
run of every case ends with the A/B of CPU per sent message against the release (``--baseline``,
``benchmarks/ab.py``); a quick run, or one with ``--case``, only when asked.
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.ab import BASELINE
from benchmarks.harness import CODE, RESULT_PREFIX, ROOT, SIM_PASSWORD, Bench
from benchmarks.results import Result, machine, result_from_json, table

#: Case name → the databases it runs on with ``--db both`` (``--case`` or one ``--db``: anywhere).
CASES = {
    "send": ("postgres", "sqlite"),
    "poll": ("postgres", "sqlite"),
    "scale": ("postgres",),
    "personal": ("postgres",),
    "admin": ("postgres",),
    "optout": ("postgres", "sqlite"),
    "scheduling": ("postgres", "sqlite"),
    "reports": ("postgres",),
    "confirm": ("postgres", "sqlite"),
    # Only with --baseline (a full run has one by default): see benchmarks/ab.py.
    "ab": ("postgres",),
}
MODULES = {
    "send": "send",
    "poll": "poll",
    "scale": "scale",
    "admin": "admin_list",
    "optout": "optout",
    "scheduling": "scheduling",
    "reports": "reports",
    "personal": "personal",
    "confirm": "confirm",
    "ab": "ab",
}
#: What a run without ``--case`` runs (the A/B comes after them, by ``--baseline``).
DEFAULT_CASES = [name for name in CASES if name != "ab"]
#: One database per run, so that runs on one machine (CI, people) never drop each other's.
PG_NAME = f"letsads_bench_{os.getpid()}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--case", action="append", choices=list(CASES), help="repeatable")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is not met")
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help=f"A/B of CPU per sent message against git revision REV (PostgreSQL); a full run "
        f"without --case compares with {BASELINE} unless --no-baseline",
    )
    parser.add_argument("--no-baseline", action="store_true", help="no A/B in a full run")
    return parser


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(
        host=os.environ.get("PGHOST", "127.0.0.1"),
        port=os.environ.get("PGPORT", "5432"),
        user=os.environ.get("PGUSER", "postgres"),
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(sql)


def run_one_db(db: str, quick: bool, cases: list[str], *, child: bool = False) -> list[Result]:
    """Create the database, migrate, run the cases in this process, drop the database."""
    workdir = Path(tempfile.mkdtemp(prefix="letsads-bench-"))
    env = {
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "LETSADS_BENCH_DB": db,
        "LETSADS_BENCH_SQLITE": str(workdir / "bench.sqlite3"),
        "LETSADS_BENCH_PG_NAME": PG_NAME,
        "LETSADS_PASSWORD": SIM_PASSWORD,
        "LETSADS_TIMEOUT": "30",
        "PYTHONPATH": str(CODE),
    }
    os.environ.update(env)
    if db == "postgres":
        _pg_admin(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
        _pg_admin(f"CREATE DATABASE {PG_NAME}")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    bench = Bench(db, quick, dict(os.environ))
    results = []
    try:
        for name in cases:
            if not quick and db not in CASES[name]:
                continue
            started = time.monotonic()
            result = _run_case(name, bench)
            result.figures["case_s"] = round(time.monotonic() - started, 1)
            sys.stderr.write(f"{name} on {db}: {result.as_json()}\n")
            if child:
                print(RESULT_PREFIX + result.as_json(), flush=True)
            results.append(result)
    finally:
        from django.db import connections

        connections.close_all()
        if db == "postgres":
            _pg_admin(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
        for path in workdir.iterdir():
            path.unlink()
        workdir.rmdir()
    return results


def _run_case(name: str, bench: Bench, attempts: int = 3) -> Result:
    """Run one case; start it again from scratch if the database server went away meanwhile.

    The machine is shared, and other suites restart the local PostgreSQL (the reliability tests
    do, on purpose); a figure measured across a restart would be wrong anyway.
    """
    from django.db import DatabaseError, connections

    module = importlib.import_module(f"benchmarks.{MODULES[name]}")
    for attempt in range(1, attempts + 1):
        try:
            result: Result = module.run(bench)
        except (DatabaseError, RuntimeError) as exc:
            if attempt == attempts:
                raise
            sys.stderr.write(f"{name}: {type(exc).__name__}: {exc}; starting the case again\n")
            connections.close_all()
            time.sleep(5)
        else:
            return result
    raise AssertionError("unreachable")


def baseline_revision(args: argparse.Namespace) -> str | None:
    """The revision to compare with: ``--baseline``, or in a full run of every case the release."""
    if args.no_baseline or args.db == "sqlite":
        return None
    if args.baseline:
        return str(args.baseline)
    if args.case:
        return BASELINE if "ab" in args.case else None
    return None if args.quick else BASELINE


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    cases = [name for name in args.case or DEFAULT_CASES if name != "ab"]
    dbs = ["postgres", "sqlite"] if args.db == "both" else [args.db]
    started = time.monotonic()
    results: list[Result] = []
    revision = baseline_revision(args)
    if revision is not None:  # first: the goal of issue 23 that needs two builds
        from benchmarks import ab

        results.append(ab.compare(revision, args.quick))
        sys.stderr.write(f"ab: {results[-1].as_json()}\n")
    if cases and len(dbs) == 1:
        results += run_one_db(dbs[0], args.quick, cases)
    elif cases:
        for db in dbs:
            command = [sys.executable, "-m", "benchmarks", "--db", db, "--internal-child"]
            command += ["--quick"] if args.quick else []
            # Without --case, a case runs on the databases of its full run, quick or not: a
            # quick run keeps the full run working and need not add runs the full one lacks.
            for case in cases:
                command += ["--case", case] if args.case or db in CASES[case] else []
            proc = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
            if proc.returncode:
                sys.stdout.write(proc.stdout)
                return proc.returncode
            for line in proc.stdout.splitlines():
                if line.startswith(RESULT_PREFIX):
                    results.append(result_from_json(line[len(RESULT_PREFIX) :]))
    info = machine()
    print("Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    print(
        f"Sizes: {'quick (a tenth)' if args.quick else 'full'}; total {time.monotonic() - started:.0f} s"
    )
    print()
    print(table(results, judge=not args.quick))
    print()
    for result in results:
        print(result.as_json())
    # A quick run's figures are not judged (see ``table``), so --check does not judge them either.
    unmet = [g for r in results for g in r.goals if not g.met and not r.quick]
    return 1 if args.check and unmet else 0


if __name__ == "__main__":
    if "--internal-child" in sys.argv:
        sys.argv.remove("--internal-child")
        parsed = _parser().parse_args(sys.argv[1:])
        run_one_db(parsed.db, parsed.quick, parsed.case or DEFAULT_CASES, child=True)
        sys.exit(0)
    sys.exit(main())

"""Settings of the benchmark suite: the test settings on a database of its own.

``LETSADS_BENCH_DB`` chooses ``sqlite`` (a file named by ``LETSADS_BENCH_SQLITE``) or ``postgres``
(the database ``letsads_bench`` on 127.0.0.1, created and dropped by the suite). Worker processes
started by the suite read the same variables, so they share the parent's database.
"""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403 - the benchmark runs the test project's apps and admin

if os.environ.get("LETSADS_BENCH_DB", "sqlite") == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("LETSADS_BENCH_PG_NAME", "letsads_bench"),
            "USER": os.environ.get("PGUSER", "postgres"),
            "HOST": os.environ.get("PGHOST", "127.0.0.1"),
            "PORT": os.environ.get("PGPORT", "5432"),
            # Each process's backends are findable in pg_stat_activity (benchmarks/cpu.py reads
            # their CPU from /proc by the pid psycopg reports).
            "OPTIONS": {"application_name": f"letsads-bench-{os.getpid()}"},
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("LETSADS_BENCH_SQLITE", "/tmp/letsads-bench.sqlite3"),
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }

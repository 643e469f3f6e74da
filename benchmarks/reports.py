"""Case 5: a campaign of 1,000,000 finished messages: its change page with charts, its CSV export.

The campaign spreads over an hour (so the timeline is by minute), four operators and the usual
mix of final statuses. The change page is rendered in this process through Django's test client
as a superuser, a few times; the figure is the median server time, cold (the charts' cache
dropped before each request: the goal) and cached, and its queries are counted against a
campaign of 1,200 messages (they must not grow). The export runs
``manage.py letsads_export`` in a child process that measures its own time and peak memory.
"""

from __future__ import annotations

import statistics
import tempfile
from datetime import timedelta
from pathlib import Path

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from benchmarks.fixtures import analyze, create_campaign, insert_messages, reset_tables
from benchmarks.harness import Bench, run_child, timer
from benchmarks.results import Result

PAGE_GOAL_SECONDS = 1.0
EXPORT_GOAL_ROWS_PER_S = 100_000
EXPORT_GOAL_MEMORY_MB = 100
REPEATS = 5
MINUTES = 60
PREFIXES = ("38050", "38067", "38063", "38097")
STATUSES = ("delivered", "delivered", "delivered", "delivered", "undelivered", "expired", "failed")


def _fill(campaign_id: int, count: int) -> None:
    """``count`` messages, a sixtieth sent in each minute of an hour, final three minutes later."""
    from django_letsads.models import Campaign, Message

    start = timezone.now() - timedelta(hours=2)
    per_minute = count // MINUTES
    for minute in range(MINUTES):
        last = Message.objects.order_by("-id").values_list("id", flat=True).first() or 0
        status = STATUSES[minute % len(STATUSES)]
        prefix = PREFIXES[minute % len(PREFIXES)]
        insert_messages(
            campaign_id, per_minute, status=status, start=minute * per_minute, prefix=prefix
        )
        sent = start + timedelta(minutes=minute)
        Message.objects.filter(id__gt=last).update(
            sent_at=None if status == "failed" else sent,
            final_at=sent + timedelta(minutes=3),
            sms_id=None,
        )
    Campaign.objects.filter(pk=campaign_id).update(
        state="done", started_at=start, finished_at=start + timedelta(minutes=MINUTES + 3)
    )


def _page(client: Client, campaign_id: int, *, cold: bool = True) -> tuple[int, float]:
    """Queries and median server time of the change page; ``cold``: with the cached counts of
    the charts (``reports.campaign_report``) dropped before each request."""
    from django.core.cache import cache

    url = reverse("admin:django_letsads_campaign_change", args=[campaign_id])
    client.get(url)  # warm connections (and, unless cold, the charts' cache)
    times = []
    queries = 0
    for _ in range(REPEATS):
        if cold:
            cache.clear()
        with CaptureQueriesContext(connection) as captured, timer() as elapsed:
            response = client.get(url)
        if response.status_code != 200 or b'id="letsads-timeline"' not in response.content:
            raise RuntimeError(f"{url} answered {response.status_code} without the charts")
        times.append(elapsed[0])
        queries = len(captured.captured_queries)
    return queries, statistics.median(times)


def run(bench: Bench) -> Result:
    from django.contrib.auth import get_user_model

    result = bench.result("reports")
    count = bench.size(1_000_000)
    reset_tables()
    user_model = get_user_model()
    user_model.objects.filter(username="bench").delete()
    client = Client()
    client.force_login(user_model.objects.create_superuser("bench", "bench@example.com", "bench"))

    small = create_campaign(name="Small")
    _fill(small, 1_200)
    large = create_campaign(name="Large")
    _fill(large, count)
    analyze()
    small_queries, _small_seconds = _page(client, small)
    queries, seconds = _page(client, large)
    warm_queries, warm_seconds = _page(client, large, cold=False)

    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "export.csv"
        measured = run_child(
            bench, None, "command", "letsads_export", str(large), "-o", str(target)
        )
        with target.open(encoding="utf-8") as exported:
            rows = sum(1 for _ in exported) - 1
    if rows != count // MINUTES * MINUTES:
        raise RuntimeError(f"the export has {rows} rows")
    rate = rows / measured["seconds"]
    memory = measured["peak_rss_mb"] - measured["start_rss_mb"]
    result.figures.update(
        messages=rows,
        page_queries_1k=small_queries,
        page_queries=queries,
        page_server_s=round(seconds, 3),
        page_queries_cached=warm_queries,
        page_server_s_cached=round(warm_seconds, 3),
        export_s=round(measured["seconds"], 2),
        export_rows_per_s=round(rate),
        # The process's own CPU time: on a shared machine the wall time also holds the waits
        # for a CPU and for the database server.
        export_rows_per_cpu_s=round(rows / max(measured["cpu_seconds"], 1e-9)),
        export_memory_mb=round(memory, 1),
    )
    result.goal("page_queries", queries, "<=", small_queries)
    result.goal("page_server_s", seconds, "<=", PAGE_GOAL_SECONDS)
    result.goal("export_rows_per_s", rate, ">=", EXPORT_GOAL_ROWS_PER_S)
    result.goal("export_memory_mb", memory, "<=", EXPORT_GOAL_MEMORY_MB)
    return result

"""Case 4: the admin's campaign list with 1,000 campaigns and 1,000,000 messages.

The page is rendered in this process through Django's test client (no network), as a logged-in
superuser, a few times; the figure is the median server time. The number of queries is counted
with 10 campaigns and again with 1,000: it must not grow with the campaigns or their messages.
"""

from __future__ import annotations

import statistics
from decimal import Decimal

from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from benchmarks.fixtures import analyze, insert_messages, reset_tables
from benchmarks.harness import TEXT, Bench, timer
from benchmarks.results import Result
from django_letsads.admin import balance
from django_letsads.models import Campaign

GOAL_SECONDS = 0.5
REPEATS = 5
STATUSES = ("delivered", "delivered", "delivered", "undelivered", "queued", "sent", "failed")


def _add_campaigns(first: int, count: int, per_campaign: int) -> None:
    states = [s for s, _ in Campaign.State.choices]
    created = Campaign.objects.bulk_create(
        Campaign(name=f"Campaign {first + i}", sender="Test", text=TEXT, state=states[i % 6])
        for i in range(count)
    )
    for i, campaign in enumerate(created):
        status = STATUSES[i % len(STATUSES)]
        insert_messages(campaign.pk, per_campaign, status=status)


def _measure(client: Client, url: str) -> tuple[int, float]:
    client.get(url)  # warm caches and connections
    times = []
    queries = 0
    for _ in range(REPEATS):
        with CaptureQueriesContext(connection) as captured, timer() as elapsed:
            response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        times.append(elapsed[0])
        queries = len(captured.captured_queries)
    return queries, statistics.median(times)


def run(bench: Bench) -> Result:
    from django.contrib.auth import get_user_model

    result = bench.result("admin")
    campaigns = bench.size(1_000)
    per_campaign = 1_000
    try:
        url = reverse("admin:django_letsads_campaign_changelist")
    except NoReverseMatch:
        result.note = "skipped: the Campaign admin is not registered"
        return result
    reset_tables()
    user_model = get_user_model()
    user_model.objects.filter(username="bench").delete()
    user = user_model.objects.create_superuser("bench", "bench@example.com", "bench")
    client = Client()
    client.force_login(user)
    # The page shows the account balance, cached for BALANCE_CACHE_SECONDS: what a busy admin
    # sees is the cached figure, and no gateway runs here to fetch one.
    cache.set(balance.CACHE_KEY, balance.BalanceInfo(Decimal("1000"), "UAH"), None)

    _add_campaigns(0, 10, per_campaign)
    analyze()
    few_queries, few_seconds = _measure(client, url)
    _add_campaigns(10, campaigns - 10, per_campaign)
    analyze()
    queries, seconds = _measure(client, url)
    result.figures.update(
        campaigns=campaigns,
        messages=campaigns * per_campaign,
        queries_10_campaigns=few_queries,
        queries=queries,
        server_s_10_campaigns=round(few_seconds, 3),
        server_s=round(seconds, 3),
    )
    result.goal("queries", queries, "<=", few_queries)
    result.goal("server_s", seconds, "<=", GOAL_SECONDS)
    return result

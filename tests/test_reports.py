"""Campaign charts (their data and the change page) and the worker banners of the campaign list."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from django_letsads.models import Campaign, Message, WorkerHeartbeat
from django_letsads.reports import PREFIX_DIGITS, Point, bucket_unit, operators, timeline
from django_letsads.status import Status
from tests.factories import make_campaign, numbers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_balance")]

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def set_times(campaign: Campaign, rows: list[tuple[str, timedelta | None, timedelta | None]]):
    """Give the campaign's messages, in id order, a status, a sent time and a final time."""
    ids = list(campaign.messages.order_by("id").values_list("id", flat=True))
    for pk, (status, sent, final) in zip(ids, rows, strict=False):
        Message.objects.filter(pk=pk).update(
            status=status,
            sent_at=T0 + sent if sent is not None else None,
            final_at=T0 + final if final is not None else None,
        )


def test_the_timeline_counts_each_minute_of_a_short_campaign():
    campaign = make_campaign(numbers(8))
    Campaign.objects.filter(pk=campaign.pk).update(
        started_at=T0, finished_at=T0 + timedelta(minutes=6)
    )
    campaign.refresh_from_db()
    m = timedelta(minutes=1)
    set_times(
        campaign,
        [
            (Status.DELIVERED, 0 * m + timedelta(seconds=5), 3 * m),
            (Status.DELIVERED, 0 * m + timedelta(seconds=50), 3 * m + timedelta(seconds=59)),
            (Status.UNDELIVERED, 1 * m, 5 * m),
            (Status.QUEUED, 2 * m + timedelta(seconds=30), None),
            (Status.FAILED, None, 0 * m),  # never accepted: in no line
            (Status.PENDING, None, None),
        ],
    )
    data = timeline(campaign, now=T0 + timedelta(hours=1))
    assert data.unit == "minute"
    assert data.points == [
        Point(T0, accepted=2),
        Point(T0 + m, accepted=1),
        Point(T0 + 2 * m, accepted=1),
        Point(T0 + 3 * m, delivered=2),
        Point(T0 + 4 * m),
        Point(T0 + 5 * m, undelivered=1),
        Point(T0 + 6 * m),
    ]


def test_the_timeline_of_a_running_campaign_ends_now_and_is_empty_before_any_send():
    campaign = make_campaign(numbers(2))
    Campaign.objects.filter(pk=campaign.pk).update(started_at=T0)
    campaign.refresh_from_db()
    assert timeline(campaign, now=T0 + timedelta(minutes=5)).points == []
    set_times(campaign, [(Status.QUEUED, timedelta(minutes=1), None)])
    data = timeline(campaign, now=T0 + timedelta(hours=5))
    assert data.unit == "hour"
    assert [p.accepted for p in data.points] == [1, 0, 0, 0, 0, 0]


@pytest.mark.parametrize(
    ("span", "unit"),
    [
        (timedelta(0), "minute"),
        (timedelta(hours=3), "minute"),
        (timedelta(hours=3, seconds=1), "hour"),
        (timedelta(days=7), "hour"),
        (timedelta(days=8), "day"),
    ],
)
def test_the_bucket_follows_the_campaigns_length(span, unit):
    assert bucket_unit(span) == unit


def test_delivery_rate_by_operator_from_the_number_prefix():
    recipients = (
        numbers(4, prefix="38050") + numbers(2, prefix="38067") + numbers(1, prefix="38063")
    )
    campaign = make_campaign(recipients)
    statuses = {
        "380500000000": Status.DELIVERED,
        "380500000001": Status.DELIVERED,
        "380500000002": Status.UNDELIVERED,
        "380500000003": Status.FAILED,  # not accepted: not in the rate
        "380670000000": Status.DELIVERED,
        "380670000001": Status.EXPIRED,
    }
    for recipient, status in statuses.items():
        campaign.messages.filter(recipient=recipient).update(status=status)
    result = {o.name: (o.total, o.accepted, o.delivered, o.rate) for o in operators(campaign)}
    assert result == {
        "Vodafone": (4, 3, 2, pytest.approx(2 / 3)),
        "Kyivstar": (2, 2, 1, 0.5),
        "lifecell": (1, 0, 0, None),
    }
    assert [o.name for o in operators(campaign)] == ["Vodafone", "Kyivstar", "lifecell"]


def change_page(client: Client, campaign: Campaign, *, cold: bool = True) -> tuple[str, int]:
    url = reverse("admin:django_letsads_campaign_change", args=[campaign.pk])
    if cold:
        cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return response.text, len(captured.captured_queries)


def test_the_change_page_draws_the_three_charts_in_the_same_queries_at_any_size(
    superuser_client,
):
    small = make_campaign(numbers(10), state=Campaign.State.DONE)
    large = make_campaign(numbers(1000, start=10_000), state=Campaign.State.DONE)
    for campaign in (small, large):
        Campaign.objects.filter(pk=campaign.pk).update(started_at=T0, finished_at=T0)
        campaign.messages.update(
            status=Status.DELIVERED, sent_at=T0, final_at=T0 + timedelta(minutes=2)
        )
    change_page(superuser_client, small)  # the first request of a session costs more
    _small_page, small_queries = change_page(superuser_client, small)
    large_page, large_queries = change_page(superuser_client, large)
    assert small_queries == large_queries
    for element in ("letsads-timeline", "letsads-statuses", "letsads-operators"):
        assert f'id="{element}"' in large_page
    assert large_page.count('<svg class="letsads-chart"') == 3
    assert "Vodafone" in large_page
    assert "1,000 (100.0 %)" in large_page
    assert 'data-unit="minute"' in large_page


def test_the_counts_behind_the_charts_are_cached_until_a_status_changes(superuser_client):
    campaign = make_campaign(numbers(5), state=Campaign.State.DONE)
    Campaign.objects.filter(pk=campaign.pk).update(started_at=T0, finished_at=T0)
    campaign.messages.update(status=Status.DELIVERED, sent_at=T0, final_at=T0)
    change_page(superuser_client, campaign)
    _page, cold = change_page(superuser_client, campaign)
    page, warm = change_page(superuser_client, campaign, cold=False)
    assert warm == cold - 2  # neither the timeline nor the operators
    assert "5 (100.0 %)" in page
    first = campaign.messages.order_by("id").first()
    assert first is not None
    Message.objects.filter(pk=first.pk).update(status=Status.UNDELIVERED)
    page, queries = change_page(superuser_client, campaign, cold=False)
    assert queries == cold
    assert "80.0 % of 5 accepted" in page


def test_a_campaign_without_messages_has_no_charts_and_says_why(superuser_client):
    campaign = make_campaign([], state=Campaign.State.DRAFT)
    page, _queries = change_page(superuser_client, campaign)
    assert "The charts appear once the campaign has recipients." in page
    assert '<svg class="letsads-chart"' not in page


def test_a_campaign_not_sent_yet_shows_its_statuses_and_operators(superuser_client):
    campaign = make_campaign(numbers(3), state=Campaign.State.DRAFT)
    page, _queries = change_page(superuser_client, campaign)
    assert "Nothing has been sent yet." in page
    assert page.count('<svg class="letsads-chart"') == 2


# -- worker banners ----------------------------------------------------------------------------


def banners(client: Client) -> dict[str, tuple[str, str]]:
    page = client.get(reverse("admin:django_letsads_campaign_changelist")).text
    found = re.findall(r'id="letsads-worker-(\w+)" data-ok="(\w+)"[^>]*>([^<]*)</p>', page)
    return {kind: (ok, text) for kind, ok, text in found}


def beat(kind: str, pid: int, seen: datetime, round_at: datetime | None = None) -> None:
    WorkerHeartbeat.objects.create(
        kind=kind, host="web1", pid=pid, started_at=seen, last_seen=seen, last_round_at=round_at
    )


def test_the_banner_says_in_red_that_no_send_worker_runs(superuser_client):
    ok, text = banners(superuser_client)["send"]
    assert ok == "false"
    assert "No send worker is running" in text
    assert "manage.py letsads_send --loop" in text


@time_machine.travel(T0, tick=False)
def test_the_banner_counts_running_send_workers_and_their_last_round(superuser_client):
    beat("send", 1, T0 - timedelta(seconds=2), T0 - timedelta(seconds=3))
    beat("send", 2, T0 - timedelta(seconds=4), T0 - timedelta(seconds=20))
    beat("send", 3, T0 - timedelta(minutes=30), T0 - timedelta(minutes=30))  # stale
    found = banners(superuser_client)
    assert found["send"] == ("true", "Send worker: 2 running, last round 3 s ago")
    assert "poll" not in found  # no poller and nothing due: nothing to say


@time_machine.travel(T0, tick=False)
def test_the_banner_says_since_when_a_worker_has_not_run(superuser_client):
    beat("send", 1, T0 - timedelta(minutes=25), T0 - timedelta(minutes=25))
    ok, text = banners(superuser_client)["send"]
    assert ok == "false"
    assert text.startswith("No send worker has run for 25 minutes")


@time_machine.travel(T0, tick=False)
def test_the_poller_banner_turns_red_when_polls_are_due_and_none_runs(superuser_client):
    campaign = make_campaign(numbers(1))
    campaign.messages.update(status=Status.QUEUED, next_poll_at=T0 - timedelta(minutes=1))
    ok, text = banners(superuser_client)["poll"]
    assert ok == "false"
    assert "manage.py letsads_poll --loop" in text
    beat("poll", 7, T0 - timedelta(seconds=1))
    assert banners(superuser_client)["poll"] == (
        "true",
        "Status poller: 1 running, no round finished yet",
    )


@pytest.mark.postgres
def test_postgresql_has_statistics_on_the_number_prefix_the_operators_are_grouped_by():
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        pytest.skip("expression statistics are PostgreSQL 14+")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_statisticsobjdef(oid) FROM pg_statistic_ext WHERE stxname = %s",
            ["letsads_msg_recipient_prefix"],
        )
        (definition,) = cursor.fetchone()
    assert f"1, {PREFIX_DIGITS})" in definition

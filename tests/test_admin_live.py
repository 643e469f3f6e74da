"""Live progress: the JSON view the campaign pages poll, the time left and the delivery rate."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from django_letsads import throughput
from django_letsads.admin import display
from django_letsads.models import Campaign, Message
from django_letsads.status import Status
from tests.factories import make_campaign, numbers, staff_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_balance")]

PROGRESS = "admin:django_letsads_campaign_progress"
CHANGELIST = "admin:django_letsads_campaign_changelist"


def set_status(campaign: Campaign, count: int, status: Status, **fields: object) -> None:
    """Moves ``count`` pending messages of the campaign to ``status`` (test data only)."""
    ids = list(
        campaign.messages.filter(status=Status.PENDING).order_by("pk").values_list("pk", flat=True)
    )[:count]
    Message.objects.filter(pk__in=ids).update(status=status, **fields)


def progress(client: Client, *campaigns: Campaign) -> dict[int, dict]:
    response = client.get(reverse(PROGRESS), {"id": [c.pk for c in campaigns]})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return {item["id"]: item for item in json.loads(response.content)["campaigns"]}


def test_delivery_rate_is_a_dash_while_nothing_is_final(superuser_client):
    campaign = make_campaign(numbers(3), name="Autumn")
    set_status(campaign, 3, Status.QUEUED, sent_at=timezone.now())

    page = superuser_client.get(reverse(CHANGELIST)).content.decode()

    cell = re.search(r'<td class="field-rate">(?:<span[^>]*>)?([^<]*)<', page)
    assert cell
    assert cell.group(1) == "—"


def test_delivery_rate_counts_only_final_outcomes():
    counts = {Status.DELIVERED: 1, Status.QUEUED: 5, Status.SENT: 4, Status.UNDELIVERED: 1}

    assert display.format_rate(counts) == "50%"


def test_progress_view_reports_counts_state_and_rate(superuser_client):
    sending = make_campaign(numbers(4), name="Autumn")
    set_status(sending, 1, Status.DELIVERED, sent_at=timezone.now())
    set_status(sending, 1, Status.QUEUED, sent_at=timezone.now())
    done = make_campaign(numbers(1, start=10), name="Winter", state=Campaign.State.DONE)

    items = progress(superuser_client, sending, done)

    assert items[sending.pk]["state"] == "sending"
    assert items[sending.pk]["active"] is True
    assert items[sending.pk]["recipients"] == 4
    assert items[sending.pk]["rate"] == "100%"
    assert 'data-status="pending"><i' in items[sending.pk]["progress"]
    assert "2 pending" in items[sending.pk]["progress"]
    assert f"campaign__id__exact={sending.pk}" in items[sending.pk]["counts"]
    assert items[done.pk]["active"] is False
    assert items[done.pk]["eta"] == ""


def test_progress_view_estimates_the_time_left_from_the_current_rate(superuser_client):
    campaign = make_campaign(numbers(90), name="Autumn")
    now = timezone.now()
    set_status(campaign, 20, Status.QUEUED, sent_at=now - timedelta(seconds=10))
    set_status(campaign, 10, Status.FAILED, final_at=now - timedelta(seconds=20))
    # Sent long ago: not part of the current rate.
    set_status(campaign, 30, Status.QUEUED, sent_at=now - timedelta(minutes=30))

    item = progress(superuser_client, campaign)[campaign.pk]

    # 30 pending, 30 handed over in the last minute: about a minute left.
    assert item["eta"] == "30 left to send, about 1 min at the current rate."
    assert "about 1 min" in item["progress"]


def test_progress_view_has_no_estimate_before_the_worker_sends(superuser_client):
    campaign = make_campaign(numbers(5), name="Autumn")

    item = progress(superuser_client, campaign)[campaign.pk]

    assert item["eta"] == "5 left to send; no estimate until the worker sends some."


def test_progress_view_says_when_only_reports_are_awaited(superuser_client):
    campaign = make_campaign(numbers(2), name="Autumn")
    set_status(campaign, 2, Status.QUEUED, sent_at=timezone.now())

    item = progress(superuser_client, campaign)[campaign.pk]

    assert item["eta"] == "All handed to the gateway; waiting for delivery reports."


def test_progress_view_is_translated(superuser_client):
    campaign = make_campaign(numbers(2), name="Autumn")

    response = superuser_client.get(
        reverse(PROGRESS), {"id": campaign.pk}, HTTP_ACCEPT_LANGUAGE="uk"
    )

    item = json.loads(response.content)["campaigns"][0]
    assert item["state_label"] == "надсилається"
    assert "ще не надіслано" in item["eta"]


def test_progress_view_needs_the_view_permission():
    campaign = make_campaign(numbers(1))
    url = reverse(PROGRESS)

    assert staff_client().get(url, {"id": campaign.pk}).status_code == 403
    User.objects.filter(username="staff").delete()
    allowed = staff_client("view_campaign").get(url, {"id": campaign.pk})
    assert allowed.status_code == 200


def test_progress_view_sends_anonymous_users_to_the_login(client):
    response = client.get(reverse(PROGRESS), {"id": 1})

    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.parametrize("query", [{"id": "1;drop"}, {"id": ["1"] * 201}])
def test_progress_view_refuses_bad_ids(superuser_client, query):
    response = superuser_client.get(reverse(PROGRESS), query)

    assert response.status_code == 400
    assert "campaign ids" in json.loads(response.content)["error"]


def test_only_sending_campaigns_are_polled(superuser_client):
    sending = make_campaign(numbers(2), name="Autumn")
    done = make_campaign(numbers(2, start=10), name="Winter", state=Campaign.State.DONE)

    page = superuser_client.get(reverse(CHANGELIST)).content.decode()

    assert f'data-letsads-campaign="{sending.pk}" data-letsads-active="1"' in page
    assert f'data-letsads-campaign="{done.pk}" data-letsads-active="0"' in page
    assert "django_letsads/live_progress.js" in page


def test_the_campaign_page_has_live_progress_and_counts(superuser_client):
    campaign = make_campaign(numbers(2), name="Autumn")

    page = superuser_client.get(
        reverse("admin:django_letsads_campaign_change", args=[campaign.pk])
    ).content.decode()

    assert f'data-letsads-campaign="{campaign.pk}" data-letsads-active="1"' in page
    assert f'data-letsads-counts="{campaign.pk}"' in page
    assert f'data-letsads-state="{campaign.pk}"' in page


@pytest.mark.parametrize(
    ("left", "handled", "expected"), [(0, 0, 0.0), (10, 0, None), (120, 60, 120.0), (1, 60, 1.0)]
)
def test_seconds_left(left, handled, expected):
    assert throughput.seconds_left(left, handled) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0.2, "1 s"),
        (40, "40 s"),
        (89, "1 min"),
        (3599, "1 h 00 min"),
        (3600, "1 h 00 min"),
        (7500, "2 h 05 min"),
    ],
)
def test_durations_are_short(seconds, expected):
    assert display.format_duration(seconds) == expected

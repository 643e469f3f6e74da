"""The admin's Schedule and Unschedule actions, the list's schedule column and expiry warnings."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from django_letsads.admin.balance import forget_balance
from django_letsads.models import Campaign
from tests.factories import make_campaign, numbers, staff_client

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:django_letsads_campaign_changelist"
NOON = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _noon(settings):
    settings.TIME_ZONE = "Europe/Kyiv"  # the site's zone: the form's times are read in it
    forget_balance()
    with time_machine.travel(NOON, tick=False):
        yield
    forget_balance()


@pytest.fixture
def boss(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "pw"))
    return client


def draft(count: int = 3, **kwargs) -> Campaign:
    return make_campaign(numbers(count), state=Campaign.State.DRAFT, **kwargs)


def run_action(client: Client, action: str, campaigns: list[Campaign], **extra) -> object:
    data = {"action": action, "_selected_action": [c.pk for c in campaigns], **extra}
    return client.post(reverse(CHANGELIST), data, follow=True)


def test_schedule_shows_the_send_confirmation_with_a_time_field(boss, letsads_simulator):
    campaign = draft(3)

    response = run_action(boss, "schedule_campaigns", [campaign])

    page = response.content.decode()
    assert "Schedule campaigns?" in page
    # sender (text), recipients (a number): the Send confirmation's table
    assert re.findall(r'<td class="text">(.*?)</td>', page)[0] == "Test"
    assert re.findall(r'<td class="num">(.*?)</td>', page)[0] == "3"
    assert "Account balance: 1000" in page
    assert 'name="scheduled_at_0"' in page
    assert 'name="scheduled_at_1"' in page
    assert "Europe/Kyiv" in page
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT


def test_confirming_a_time_schedules_it_in_the_sites_time_zone(boss):
    campaign = draft(3)

    response = run_action(
        boss,
        "schedule_campaigns",
        [campaign],
        post="yes",
        scheduled_at_0="2026-06-05",
        scheduled_at_1="09:30",
    )

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SCHEDULED
    assert campaign.scheduled_at == datetime(2026, 6, 5, 6, 30, tzinfo=UTC)  # 09:30 EEST
    assert "is scheduled: starts" in response.content.decode()


@pytest.mark.parametrize(
    ("date", "clock", "error"),
    [
        ("2026-06-01", "14:59", "Choose a time in the future."),  # 11:59 UTC
        ("", "", "This field is required."),
        ("2026-13-01", "09:00", "Enter a valid date."),
    ],
)
def test_a_bad_time_shows_the_page_again_with_the_error(boss, date, clock, error):
    campaign = draft(2)

    response = run_action(
        boss,
        "schedule_campaigns",
        [campaign],
        post="yes",
        scheduled_at_0=date,
        scheduled_at_1=clock,
    )

    assert error in response.content.decode()
    assert "Schedule campaigns?" in response.content.decode()
    campaign.refresh_from_db()
    assert (campaign.state, campaign.scheduled_at) == (Campaign.State.DRAFT, None)


def test_a_campaign_that_cannot_be_scheduled_is_named_with_the_reason(boss):
    empty = draft(0, name="Empty")
    sending = make_campaign(numbers(1), name="Busy")

    response = run_action(
        boss,
        "schedule_campaigns",
        [empty, sending],
        post="yes",
        scheduled_at_0="2026-06-05",
        scheduled_at_1="09:30",
    )

    page = response.content.decode()
    assert "“Busy” is sending: only a draft can be scheduled." in page
    assert "“Empty” was not scheduled: It has no recipients waiting to be sent." in page
    assert Campaign.objects.get(pk=empty.pk).state == Campaign.State.DRAFT


def test_scheduling_needs_the_send_permission():
    client = staff_client("view_campaign", "change_campaign", name="editor")
    campaign = draft(2)

    assert 'value="schedule_campaigns"' not in client.get(reverse(CHANGELIST)).content.decode()
    run_action(
        client,
        "schedule_campaigns",
        [campaign],
        post="yes",
        scheduled_at_0="2026-06-05",
        scheduled_at_1="09:30",
    )
    assert Campaign.objects.get(pk=campaign.pk).state == Campaign.State.DRAFT


def test_unschedule_makes_it_a_draft_again(boss):
    campaign = draft(2)
    Campaign.objects.filter(pk=campaign.pk).update(
        state=Campaign.State.SCHEDULED, scheduled_at=NOON + timedelta(days=1)
    )

    response = run_action(boss, "unschedule_campaigns", [campaign])

    assert "1 campaign is a draft again." in response.content.decode()
    campaign.refresh_from_db()
    assert (campaign.state, campaign.scheduled_at) == (Campaign.State.DRAFT, None)


def test_the_list_says_when_a_campaign_starts_and_what_holds_it(boss, settings):
    settings.LETSADS = {**settings.LETSADS, "QUIET_HOURS": ("21:00", "09:00")}
    settings.LETSADS["TIME_ZONE"] = "Europe/Kyiv"
    morning = draft(1, name="Morning")
    Campaign.objects.filter(pk=morning.pk).update(
        state=Campaign.State.SCHEDULED, scheduled_at=datetime(2026, 6, 5, 7, 0, tzinfo=UTC)
    )
    night = draft(1, name="Night")
    Campaign.objects.filter(pk=night.pk).update(
        state=Campaign.State.SCHEDULED, scheduled_at=datetime(2026, 6, 5, 20, 0, tzinfo=UTC)
    )
    paced = make_campaign(numbers(1), name="Paced")
    Campaign.objects.filter(pk=paced.pk).update(max_per_minute=30)

    page = boss.get(reverse(CHANGELIST)).content.decode()

    assert "starts June 5, 2026, 10 a.m." in page  # 07:00 UTC in Kyiv
    assert "starts June 5, 2026, 11 p.m.; waiting for quiet hours to end at 09:00" in page
    assert "at most 30 a minute" in page
    with time_machine.travel(datetime(2026, 6, 1, 19, 0, tzinfo=UTC), tick=False):  # 22:00
        page = boss.get(reverse(CHANGELIST)).content.decode()
    assert "waiting for quiet hours to end at 09:00; at most 30 a minute" in page


def test_the_form_shows_scheduled_at_read_only(boss):
    campaign = draft(1)
    Campaign.objects.filter(pk=campaign.pk).update(
        state=Campaign.State.SCHEDULED, scheduled_at=NOON + timedelta(days=1)
    )
    url = reverse("admin:django_letsads_campaign_change", args=[campaign.pk])

    assert 'name="scheduled_at' not in boss.get(url).content.decode()
    boss.post(url, {"name": "Promo", "sender": "Test", "text": "Hi", "scheduled_at": ""})
    campaign.refresh_from_db()
    assert campaign.scheduled_at == NOON + timedelta(days=1)


def test_the_form_refuses_an_expiry_before_the_start(boss):
    campaign = draft(1)
    Campaign.objects.filter(pk=campaign.pk).update(
        state=Campaign.State.SCHEDULED, scheduled_at=NOON + timedelta(days=1)
    )
    url = reverse("admin:django_letsads_campaign_change", args=[campaign.pk])

    response = boss.post(
        url,
        {
            "name": "Promo",
            "sender": "Test",
            "text": "Hi",
            "expires_at_0": "2026-06-01",
            "expires_at_1": "18:00",
        },
    )

    assert "it must expire after it starts" in response.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).expires_at is None


def test_the_send_confirmation_warns_when_expiry_is_near_or_passed(boss):
    soon = draft(1, name="Soon")
    Campaign.objects.filter(pk=soon.pk).update(expires_at=NOON + timedelta(minutes=30))
    gone = draft(1, name="Gone")
    Campaign.objects.filter(pk=gone.pk).update(expires_at=NOON - timedelta(minutes=1))
    later = draft(1, name="Later")
    Campaign.objects.filter(pk=later.pk).update(expires_at=NOON + timedelta(days=1))

    page = run_action(boss, "send_campaigns", [soon, gone, later]).content.decode()

    assert "“Soon” expires at June 1, 2026, 3:30 p.m.: messages not sent by then" in page
    assert "“Gone” expired at June 1, 2026, 2:59 p.m.: it will not be sent." in page
    assert "“Later”" not in page.split("messagelist")[1].split("</ul>")[0]


@pytest.mark.letsads_simulator(balance=Decimal("1"))
def test_scheduling_over_the_balance_needs_the_same_tick_as_sending(
    boss, settings, letsads_simulator
):
    settings.LETSADS = {**settings.LETSADS, "PRICE_PER_SEGMENT": Decimal("0.5")}
    campaign = draft(3)  # 1.5 for a balance of 1
    when = {"scheduled_at_0": "2026-06-05", "scheduled_at_1": "09:30"}

    refused = run_action(boss, "schedule_campaigns", [campaign], post="yes", **when)
    assert "tick “send anyway”" in refused.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).state == Campaign.State.DRAFT

    run_action(
        boss, "schedule_campaigns", [campaign], post="yes", letsads_send_anyway="yes", **when
    )
    assert Campaign.objects.get(pk=campaign.pk).state == Campaign.State.SCHEDULED

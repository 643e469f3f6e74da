"""Campaigns that follow the clock: schedules, expiry, quiet hours (with DST) and the pace.

The clock is fixed with time-machine, so nothing here depends on when or where it runs.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.checks import run_checks
from django.test import override_settings

from django_letsads import scheduling
from django_letsads.campaigns import (
    poll_now,
    schedule_campaign,
    start_campaign,
    unschedule_campaign,
)
from django_letsads.conf import letsads_settings
from django_letsads.exceptions import LetsAdsConfigurationError
from django_letsads.models import Campaign, Message, StatusEvent
from django_letsads.scheduling import ScheduleError, quiet_hours_end
from django_letsads.worker import PollWorker, SendWorker
from django_letsads.worker.claims import claim
from tests.factories import make_campaign, make_outbox_messages, numbers

S = Message.Status
State = Campaign.State
pytestmark = pytest.mark.django_db

KYIV = ZoneInfo("Europe/Kyiv")
NOON = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def kyiv(*args: int) -> datetime:
    return datetime(*args, tzinfo=KYIV)  # type: ignore[misc]


@pytest.fixture
def quiet(settings):
    """Quiet hours 21:00-09:00 in Kyiv (the default window, the zone of the DST tests)."""
    settings.LETSADS = {**settings.LETSADS, "QUIET_HOURS": ("21:00", "09:00")}
    settings.LETSADS["TIME_ZONE"] = "Europe/Kyiv"
    return settings


def statuses(campaign: Campaign) -> Counter[str]:
    return Counter(campaign.messages.values_list("status", flat=True))


# -- scheduling ----------------------------------------------------------------------------------


@time_machine.travel(NOON, tick=False)
def test_schedule_and_unschedule_a_draft():
    campaign = make_campaign(numbers(3), state=State.DRAFT)
    when = NOON + timedelta(days=3)

    schedule_campaign(campaign.pk, when)
    campaign.refresh_from_db()
    assert (campaign.state, campaign.scheduled_at) == (State.SCHEDULED, when)

    assert unschedule_campaign(campaign.pk) is True
    campaign.refresh_from_db()
    assert (campaign.state, campaign.scheduled_at) == (State.DRAFT, None)
    assert unschedule_campaign(campaign.pk) is False


@pytest.mark.parametrize(
    ("setup", "when", "code"),
    [
        ({}, NOON - timedelta(minutes=1), "IN_THE_PAST"),
        ({}, NOON, "IN_THE_PAST"),
        ({}, datetime(2026, 6, 2, 9, 0), "NAIVE_TIME"),  # naive: the point of the test
        ({"state": State.SENDING}, NOON + timedelta(hours=1), "NOT_DRAFT"),
        ({"state": State.DONE}, NOON + timedelta(hours=1), "NOT_DRAFT"),
        (
            {"expires_at": NOON + timedelta(hours=1)},
            NOON + timedelta(hours=2),
            "EXPIRES_BEFORE_START",
        ),
        ({"max_per_minute": 0}, NOON + timedelta(hours=1), "INVALID_PACE"),
        ({"recipients": 0}, NOON + timedelta(hours=1), "NO_RECIPIENTS"),
    ],
)
@time_machine.travel(NOON, tick=False)
def test_a_bad_schedule_is_refused_and_changes_nothing(setup, when, code):
    setup = dict(setup)
    campaign = make_campaign(
        numbers(setup.pop("recipients", 2)), state=setup.pop("state", State.DRAFT)
    )
    Campaign.objects.filter(pk=campaign.pk).update(**setup)
    before = Campaign.objects.filter(pk=campaign.pk).values().get()

    with pytest.raises(ScheduleError) as caught:
        schedule_campaign(campaign.pk, when)

    assert caught.value.code == code
    assert str(caught.value)  # a sentence for a person
    assert Campaign.objects.filter(pk=campaign.pk).values().get() == before


def test_a_scheduled_campaign_waits_for_its_time_then_starts_once(letsads_simulator, caplog):
    campaign = make_campaign(numbers(120), state=State.DRAFT)
    start = NOON + timedelta(hours=2)
    with time_machine.travel(NOON, tick=False):
        schedule_campaign(campaign.pk, start)
    with time_machine.travel(start - timedelta(seconds=1), tick=False):
        report = SendWorker().run_once()
    assert report.idle
    assert letsads_simulator.sent_recipients() == []
    assert Campaign.objects.get(pk=campaign.pk).state == State.SCHEDULED

    caplog.set_level(logging.INFO, logger="django_letsads.scheduling")
    with time_machine.travel(start, tick=False):
        report = SendWorker().run_once()
        again = SendWorker().run_once()

    assert report.counts["campaigns_started"] == 1
    assert "campaigns_started" not in again.counts
    assert statuses(campaign) == {S.QUEUED: 120}
    assert sorted(letsads_simulator.sent_recipients()) == numbers(120)
    campaign.refresh_from_db()
    assert (campaign.state, campaign.started_at) == (State.SENDING, start)
    started = [r for r in caplog.records if "started on schedule" in r.getMessage()]
    assert len(started) == 1
    assert str(campaign.pk) in started[0].getMessage()


def test_a_campaign_due_while_no_worker_ran_starts_when_one_comes_back(letsads_simulator):
    campaign = make_campaign(numbers(5), state=State.DRAFT)
    with time_machine.travel(NOON, tick=False):
        schedule_campaign(campaign.pk, NOON + timedelta(hours=1))
    with time_machine.travel(NOON + timedelta(days=2), tick=False):
        SendWorker().run_once()
    assert statuses(campaign) == {S.QUEUED: 5}


def test_a_campaign_that_expired_before_its_worker_came_back_is_never_sent(letsads_simulator):
    campaign = make_campaign(numbers(5), state=State.DRAFT)
    Campaign.objects.filter(pk=campaign.pk).update(expires_at=NOON + timedelta(hours=3))
    with time_machine.travel(NOON, tick=False):
        schedule_campaign(campaign.pk, NOON + timedelta(hours=1))
    with time_machine.travel(NOON + timedelta(hours=4), tick=False):
        report = SendWorker().run_once()
    assert letsads_simulator.sent_recipients() == []
    assert statuses(campaign) == {S.EXPIRED: 5}
    assert report.counts["campaigns_expired"] == 1
    assert "campaigns_started" not in report.counts
    assert Campaign.objects.get(pk=campaign.pk).state == State.DONE


# -- expiry --------------------------------------------------------------------------------------


@pytest.mark.letsads_simulator(undelivered_share=0)
def test_expiry_turns_exactly_the_pending_messages_expired(letsads_simulator):
    campaign = make_campaign(numbers(100))
    Campaign.objects.filter(pk=campaign.pk).update(expires_at=NOON + timedelta(hours=1))
    with time_machine.travel(NOON, tick=False):
        SendWorker(limit=40).run_once()
    assert statuses(campaign) == {S.QUEUED: 40, S.PENDING: 60}
    sent = set(campaign.messages.filter(status=S.QUEUED).values_list("id", flat=True))

    with time_machine.travel(NOON + timedelta(hours=1), tick=False):
        report = SendWorker().run_once()

    assert report.counts["campaign_messages_expired"] == 60
    assert statuses(campaign) == {S.QUEUED: 40, S.EXPIRED: 60}
    assert len(letsads_simulator.sent_recipients()) == 40
    expired = campaign.messages.filter(status=S.EXPIRED)
    assert set(expired.values_list("error_code", flat=True)) == {"CAMPAIGN_EXPIRED"}
    assert not sent & set(expired.values_list("id", flat=True))
    events = StatusEvent.objects.filter(message__campaign=campaign, new_status=S.EXPIRED)
    assert events.count() == 60
    assert set(events.values_list("old_status", "code")) == {(S.PENDING, "CAMPAIGN_EXPIRED")}
    campaign.refresh_from_db()
    assert campaign.state == State.DONE

    # The messages the gateway accepted are still followed to their end.
    letsads_simulator.advance(3600)
    poll_now(campaign.messages.all())
    PollWorker().run_once()
    assert statuses(campaign) == {S.DELIVERED: 40, S.EXPIRED: 60}


@time_machine.travel(NOON, tick=False)
def test_an_expired_campaign_is_not_started_by_send_campaign():
    campaign = make_campaign(numbers(2), state=State.DRAFT)
    Campaign.objects.filter(pk=campaign.pk).update(expires_at=NOON - timedelta(minutes=1))
    result = start_campaign(campaign.pk)
    assert result.started is False
    assert "expired" in result.reason
    assert Campaign.objects.get(pk=campaign.pk).state == State.DRAFT


@time_machine.travel(NOON, tick=False)
def test_a_campaign_past_its_expiry_is_never_claimed_even_before_a_round_expires_it():
    campaign = make_campaign(numbers(3))
    Campaign.objects.filter(pk=campaign.pk).update(expires_at=NOON)
    assert claim(10, "t") == []
    assert statuses(campaign) == {S.PENDING: 3}


# -- quiet hours ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "held_until"),
    [
        (kyiv(2026, 6, 1, 20, 59), None),
        (kyiv(2026, 6, 1, 21, 0), kyiv(2026, 6, 2, 9, 0)),
        (kyiv(2026, 6, 1, 23, 59), kyiv(2026, 6, 2, 9, 0)),
        (kyiv(2026, 6, 2, 0, 0), kyiv(2026, 6, 2, 9, 0)),
        (kyiv(2026, 6, 2, 8, 59, 59), kyiv(2026, 6, 2, 9, 0)),
        (kyiv(2026, 6, 2, 9, 0), None),
        (kyiv(2026, 6, 2, 12, 0), None),
    ],
)
def test_quiet_hours_cross_midnight(quiet, moment, held_until):
    assert quiet_hours_end(moment) == held_until


@pytest.mark.parametrize(
    ("moment", "held"),
    [(time(12, 59), False), (time(13, 0), True), (time(13, 59), True), (time(14, 0), False)],
)
def test_quiet_hours_within_one_day(settings, moment, held):
    settings.LETSADS = {**settings.LETSADS, "QUIET_HOURS": ("13:00", "14:00")}
    at = datetime.combine(NOON.date(), moment, tzinfo=UTC)
    assert (quiet_hours_end(at) is not None) is held


# Europe/Kyiv: clocks go forward 03:00 -> 04:00 on 29 March 2026 (UTC+2 -> UTC+3) and back
# 04:00 -> 03:00 on 25 October 2026. The window stays 21:00-09:00 on the wall clock.
@pytest.mark.parametrize(
    ("utc", "held_until_utc"),
    [
        # The night into the spring change: starts at 21:00 EET, ends at 09:00 EEST.
        (datetime(2026, 3, 28, 18, 59, tzinfo=UTC), None),
        (datetime(2026, 3, 28, 19, 0, tzinfo=UTC), datetime(2026, 3, 29, 6, 0, tzinfo=UTC)),
        (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), datetime(2026, 3, 29, 6, 0, tzinfo=UTC)),
        (datetime(2026, 3, 29, 5, 59, tzinfo=UTC), datetime(2026, 3, 29, 6, 0, tzinfo=UTC)),
        (datetime(2026, 3, 29, 6, 0, tzinfo=UTC), None),
        (datetime(2026, 3, 29, 17, 59, tzinfo=UTC), None),
        (datetime(2026, 3, 29, 18, 0, tzinfo=UTC), datetime(2026, 3, 30, 6, 0, tzinfo=UTC)),
        # The night into the autumn change: starts at 21:00 EEST, ends at 09:00 EET.
        (datetime(2026, 10, 24, 17, 59, tzinfo=UTC), None),
        (datetime(2026, 10, 24, 18, 0, tzinfo=UTC), datetime(2026, 10, 25, 7, 0, tzinfo=UTC)),
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 7, 0, tzinfo=UTC)),
        (datetime(2026, 10, 25, 6, 30, tzinfo=UTC), datetime(2026, 10, 25, 7, 0, tzinfo=UTC)),
        (datetime(2026, 10, 25, 7, 0, tzinfo=UTC), None),
        (datetime(2026, 10, 25, 18, 59, tzinfo=UTC), None),
        (datetime(2026, 10, 25, 19, 0, tzinfo=UTC), datetime(2026, 10, 26, 7, 0, tzinfo=UTC)),
    ],
)
def test_quiet_hours_keep_the_wall_clock_across_both_dst_changes(quiet, utc, held_until_utc):
    end = quiet_hours_end(utc)
    assert (end and end.astimezone(UTC)) == held_until_utc
    if end is not None:
        assert end.astimezone(KYIV).strftime("%H:%M") == "09:00"


@pytest.mark.parametrize(
    "night",
    [datetime(2026, 3, 29, 5, 30, tzinfo=UTC), datetime(2026, 10, 25, 6, 30, tzinfo=UTC)],
    ids=["spring-08:30", "autumn-08:30"],
)
def test_the_worker_holds_campaigns_in_quiet_hours_but_not_one_time_codes(
    quiet, letsads_simulator, night
):
    campaign = make_campaign(numbers(4))
    night_owls = make_campaign(numbers(3, prefix="38067"), name="Night shift")
    Campaign.objects.filter(pk=night_owls.pk).update(ignore_quiet_hours=True)
    codes = make_outbox_messages(numbers(2, prefix="38093"))

    with time_machine.travel(night, tick=False):
        SendWorker().run_once()
    assert statuses(campaign) == {S.PENDING: 4}
    assert statuses(night_owls) == {S.QUEUED: 3}
    assert set(
        Message.objects.filter(pk__in=[m.pk for m in codes]).values_list("status", flat=True)
    ) == {S.QUEUED}

    with time_machine.travel(night + timedelta(minutes=30), tick=False):  # 09:00 in Kyiv
        SendWorker().run_once()
    assert statuses(campaign) == {S.QUEUED: 4}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("21:00-09:00", "pair"),
        (("21:00",), "pair"),
        (("25:00", "09:00"), "HH:MM"),
        (("9pm", "09:00"), "HH:MM"),
        (("21:00", "21:00"), "same time"),
        ((time(21, 0, tzinfo=UTC), "09:00"), "time zone"),
    ],
)
def test_a_malformed_quiet_hours_setting_is_a_system_check_error(value, problem):
    with override_settings(LETSADS={"QUIET_HOURS": value}):
        errors = [m for m in run_checks() if m.id == "django_letsads.E030"]
        assert len(errors) == 1
        assert problem in errors[0].msg
        with pytest.raises(LetsAdsConfigurationError, match="QUIET_HOURS"):
            letsads_settings.QUIET_HOURS  # noqa: B018


@pytest.mark.parametrize("value", [None, ("21:00", "09:00"), [time(22, 30), time(7, 0)]])
def test_good_quiet_hours_pass_the_check(value):
    with override_settings(LETSADS={"QUIET_HOURS": value, "TIME_ZONE": "Europe/Kyiv"}):
        assert not [
            m for m in run_checks() if m.id in ("django_letsads.E030", "django_letsads.E031")
        ]


def test_an_unknown_time_zone_is_a_system_check_error():
    with override_settings(LETSADS={"TIME_ZONE": "Europe/Atlantis"}):
        assert [m.id for m in run_checks() if m.id == "django_letsads.E031"] == [
            "django_letsads.E031"
        ]


# -- pace ----------------------------------------------------------------------------------------


def test_the_pace_caps_claims_and_spares_other_campaigns():
    paced = make_campaign(numbers(500), name="Call us back")
    Campaign.objects.filter(pk=paced.pk).update(max_per_minute=60)  # one a second, burst 6
    free = make_campaign(numbers(200, prefix="38067"), name="Free")
    taken: Counter[int | None] = Counter()

    def claim_at(seconds: float) -> None:
        with time_machine.travel(NOON + timedelta(seconds=seconds), tick=False):
            for message in claim(1000, f"t{seconds}"):
                taken[message.campaign_id] += 1

    claim_at(0)
    assert taken == {paced.pk: scheduling.PACE_BURST_SECONDS, free.pk: 200}
    claim_at(0.5)
    assert taken[paced.pk] == 6  # nothing more until its next slot
    for second in range(1, 61):
        claim_at(second)
    # 6 at once, then one a second: 6 + 60 over the minute, whatever the number of claims.
    assert taken[paced.pk] == 66
    claim_at(600)  # after a long pause, again no more than the burst
    assert taken[paced.pk] == 72


def test_a_negative_or_zero_pace_is_refused_by_the_form():
    from django_letsads.admin.forms import CampaignForm

    for value in ("-5", "0"):
        form = CampaignForm(
            data={"name": "x", "sender": "Test", "text": "Hello", "max_per_minute": value}
        )
        assert not form.is_valid()
        assert "max_per_minute" in form.errors

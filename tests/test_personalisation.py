# ruff: noqa: RUF001 - Cyrillic texts are the subject here
"""Personalised campaigns before sending: per-recipient segments counted in bulk (issue 18)."""

from __future__ import annotations

import random

import pytest
from django.test import override_settings

from django_letsads import campaigns, field_stats
from django_letsads.bulk_rendering import Renderer, measure
from django_letsads.leaving_out import leave_out
from django_letsads.models import Campaign, Message, OptOut, StatusEvent
from django_letsads.personalisation import text_distribution
from django_letsads.status import Status
from django_letsads.text import analyze, configured_limits, transliterate
from tests.factories import numbers

pytestmark = pytest.mark.django_db


def campaign_with(text: str, rows: list[dict[str, str] | None], **fields: object) -> Campaign:
    campaign = Campaign.objects.create(
        name="Personal", sender="Test", text=text, state=Campaign.State.DRAFT, **fields
    )
    Message.objects.bulk_create(
        Message(campaign=campaign, recipient=number, data=data, status=Status.PENDING)
        for number, data in zip(numbers(len(rows)), rows, strict=True)
    )
    return campaign


def test_segment_distribution_distinct_texts_and_left_out() -> None:
    # 153 Latin letters + the name: "Ann" fits one GSM-7 segment? No: 160 is the single limit.
    filler = "x" * 150
    rows: list[dict[str, str] | None] = [
        {"name": "Ann"},  # 150 + 2 + 3 = 155: 1 segment
        {"name": "Ann"},
        {"name": "Bartholomew"},  # 163: 2 segments
        {"name": "Олена"},  # UCS-2: 157 units, 3 segments
        {"name": ""},  # empty: left out (no default)
        {"city": "Kyiv"},  # no name: left out
        None,  # pasted number: no data, left out
        {"name": "Z" * 400},  # 552 GSM-7 characters: over the limit
    ]
    campaign = campaign_with(filler + ", {name}", rows)
    result = text_distribution(campaign)
    assert result.segments == {1: 2, 2: 1, 3: 1}
    assert result.recipients == 4
    assert result.total_segments == 2 + 2 + 3
    assert result.distinct_texts == 3
    assert result.missing == 3
    assert result.missing_fields == ("name",)
    assert result.too_long == 1
    assert result.too_long_numbers == (numbers(8)[7],)
    assert result.longest == filler + ", Bartholomew"
    assert result.shortest == filler + ", Ann"


def test_defaults_fill_missing_values_and_braces_stay_literal() -> None:
    campaign = campaign_with(
        "{{Hi}} {name|friend}, code {code}",
        [{"name": "Ann", "code": "1"}, {"code": "2"}, {"name": "", "code": "2"}],
    )
    result = text_distribution(campaign)
    assert result.missing == 0
    assert result.distinct_texts == 2  # "{Hi} friend, code 2" twice
    assert result.recipients == 3
    assert result.longest == "{Hi} friend, code 2"


def test_opted_out_numbers_are_not_counted() -> None:
    campaign = campaign_with("Hi {name}", [{"name": "A"}, {"name": "B"}])
    OptOut.objects.create(number=numbers(2)[1])
    assert text_distribution(campaign).recipients == 1


def test_plain_text_is_one_distinct_text() -> None:
    campaign = campaign_with("Hello", [None, None, {"name": "A"}])
    result = text_distribution(campaign)
    assert (result.segments, result.distinct_texts) == ({1: 3}, 1)


def test_the_unsubscribe_link_makes_every_text_distinct() -> None:
    with override_settings(LETSADS={"UNSUBSCRIBE_BASE_URL": "https://e.com/sms/"}):
        campaign = campaign_with("Hi {name|you} {unsubscribe_url}", [None, None, None])
        result = text_distribution(campaign)
    assert result.distinct_texts == 3
    assert result.longest.startswith("Hi you https://e.com/sms/")


def test_transliterated_campaign_counts_the_transliterated_rendering() -> None:
    rows: list[dict[str, str] | None] = [{"name": "Олена"}, {"name": "Юрій"}]
    campaign = campaign_with("Вітаємо, {name}! Знижка 20%", rows, transliterate=True)
    result = text_distribution(campaign)
    assert result.encodings == {"GSM-7": 2}
    assert result.longest == transliterate("Вітаємо, Олена! Знижка 20%")
    as_written = text_distribution(campaign, transliterated=False)
    assert as_written.encodings == {"UCS-2": 2}


@pytest.mark.parametrize(
    "text",
    [
        "{a}{b}",  # no edge between the values: the whole text is transliterated
        "Пане{a}!",
        "{a}'{b} Єва",
        "Знам'янка, {a}, {b|Щука}: {c}",
    ],
)
def test_piecewise_transliteration_is_the_whole_text_transliterated(text: str) -> None:
    from django_letsads import merge

    rng = random.Random(18)
    pool = "абвгґєжзиіїйщьюяЄЇЙЮЯЗГ'’ ,.-ABC😀"
    renderer = Renderer(merge.parse(text), transliterated=True, fields="abc")
    for _ in range(300):
        values = {k: "".join(rng.choices(pool, k=rng.randint(0, 8))) for k in "abc"}
        try:
            plain = merge.parse(text).render(values)
        except merge.MissingValueError:
            continue
        assert renderer.render(values) == transliterate(plain)


def test_fast_measure_agrees_with_analyze() -> None:
    rng = random.Random(18)
    pool = ["a", "Z", " ", "€", "{", "я", "Ї", "😀", "é", "\n", "’"]
    limits = configured_limits()
    for _ in range(2000):
        text = "".join(
            rng.choices(pool, weights=[30, 10, 10, 1, 1, 5, 1, 1, 2, 1, 1], k=rng.randint(0, 480))
        )
        info = analyze(text)
        assert measure(text, limits) == (info.encoding, info.segments, info.over_limit), text


def test_fields_without_data_names_the_fields_no_row_has() -> None:
    campaign = campaign_with("x", [{"name": "A"}, None, {"city": ""}])
    missing = field_stats.fields_without_data(campaign, ["name", "city", "code", "unsubscribe_url"])
    assert missing == ["code"]


def test_starting_cancels_exactly_the_left_out_recipients_with_history() -> None:
    filler = "x" * 440
    rows: list[dict[str, str] | None] = [
        {"name": "Ann"},
        {"name": ""},
        None,
        {"name": "Z" * 30},  # 440 + 30 = 470 > 459
        {"name": "Ann"},
    ]
    campaign = campaign_with(filler + "{name}", rows)
    shown = text_distribution(campaign)
    assert campaigns.start_campaign(campaign.pk).started
    messages = {m.recipient: m for m in Message.objects.filter(campaign=campaign)}
    phones = numbers(5)
    assert [messages[p].status for p in phones] == [
        Status.PENDING,
        Status.CANCELLED,
        Status.CANCELLED,
        Status.CANCELLED,
        Status.PENDING,
    ]
    assert [messages[p].error_code for p in phones] == [
        "",
        "MISSING_FIELD",
        "MISSING_FIELD",
        "TEXT_TOO_LONG",
        "",
    ]
    assert messages[phones[1]].final_at is not None
    events = StatusEvent.objects.filter(message__campaign=campaign, new_status=Status.CANCELLED)
    assert sorted(events.values_list("code", flat=True)) == [
        "MISSING_FIELD",
        "MISSING_FIELD",
        "TEXT_TOO_LONG",
    ]
    # What is left is what the confirmation counted.
    assert (
        Message.objects.filter(campaign=campaign, status=Status.PENDING).count() == shown.recipients
    )
    assert (shown.missing, shown.too_long) == (2, 1)


def test_leave_out_changes_nothing_for_a_plain_text() -> None:
    campaign = campaign_with("Hello {{you}}", [None, {"name": "A"}])
    assert leave_out(campaign).missing == 0
    assert Message.objects.filter(status=Status.PENDING).count() == 2


def test_opted_out_numbers_are_left_for_the_stop_list() -> None:
    campaign = campaign_with("Hi {name}", [None, {"name": "A"}])
    OptOut.objects.create(number=numbers(1)[0])
    assert leave_out(campaign).missing == 0


def test_two_unit_characters_are_counted_as_the_gateway_counts_them() -> None:
    rows: list[dict[str, str] | None] = [
        {"name": "€€€"},  # GSM-7 with extension characters: 150 + 6 septets, 1 segment
        {"name": "€" * 5},  # 160 septets: still 1 segment
        {"name": "€" * 6},  # 162: 2 segments
        {"name": "😀"},  # UCS-2, the emoji two units: 152 units, 3 segments
    ]
    campaign = campaign_with("x" * 150 + "{name}", rows)
    result = text_distribution(campaign)
    expected: dict[int, int] = {}
    for row in rows:
        assert row is not None
        segments = analyze("x" * 150 + row["name"]).segments
        expected[segments] = expected.get(segments, 0) + 1
    assert result.segments == expected == {1: 2, 2: 1, 3: 1}
    assert result.encodings == {"GSM-7": 3, "UCS-2": 1}


def test_a_scheduled_campaign_leaves_out_when_it_starts() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from django_letsads.scheduling import start_due_campaigns

    campaign = campaign_with("Hi {name}", [{"name": "Ann"}, None])
    campaign.state = Campaign.State.SCHEDULED
    campaign.scheduled_at = timezone.now() - timedelta(minutes=1)
    campaign.save()

    assert start_due_campaigns() == [campaign.pk]

    left_out = Message.objects.get(campaign=campaign, data__isnull=True)
    assert (left_out.status, left_out.error_code) == (Status.CANCELLED, "MISSING_FIELD")
    assert Message.objects.filter(campaign=campaign, status=Status.PENDING).count() == 1


def test_the_estimate_prices_a_personalised_campaign_per_recipient(settings) -> None:
    from decimal import Decimal

    from django_letsads import pricing

    settings.LETSADS = {**settings.LETSADS, "PRICE_PER_SEGMENT": Decimal("0.50")}
    rows: list[dict[str, str] | None] = [{"name": "Олена"}, {"name": "Ігор" * 20}, None]
    campaign = campaign_with("Вітаємо, {name}!", rows)
    row = pricing.estimate([campaign], campaign_counts(campaign)).rows[0]
    # As written: UCS-2, 1 and 2 segments; the pasted number is left out.
    assert (row.messages, row.segments, row.cost) == (2, 3, Decimal("1.50"))
    assert row.distribution is not None
    assert row.distribution.missing == 1
    # Transliterated: GSM-7, 1 and 1 segments.
    assert (row.other_segments, row.other_cost) == (2, Decimal("1.00"))

    # A placeholder inside a word: the other choice would transliterate every text whole.
    campaign.text = "Привіт, {name}у!"
    assert pricing.estimate([campaign], campaign_counts(campaign)).rows[0].other_segments is None


def campaign_counts(campaign: Campaign) -> dict[int, dict[str, int]]:
    return campaigns.status_counts([campaign.pk])


def test_values_are_read_as_the_worker_reads_them() -> None:
    rows: list[dict[str, object] | None] = [
        {"name": None},  # JSON null: no value
        {"name": 5},
        {"name": True},
        {"name": "null"},  # the word is a value
    ]
    campaign = campaign_with("Hi {name}", rows)  # type: ignore[arg-type]
    result = text_distribution(campaign)
    assert (result.missing, result.distinct_texts) == (1, 3)
    assert result.longest in {"Hi true", "Hi null"}  # "true" as JSON writes it, not "1"
    assert result.shortest == "Hi 5"

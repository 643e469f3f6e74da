# ruff: noqa: RUF001 - Cyrillic texts are the subject here
"""Personalised campaigns in the admin (issue 18): the Send confirmation's per-recipient figures,
leaving out what was said, field errors, the counter's data and the text locked once sending."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from django_letsads.models import Campaign, Message, StatusEvent
from django_letsads.status import Status
from tests.factories import numbers, staff_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]

CHANGELIST = reverse("admin:django_letsads_campaign_changelist")
FILLER = "x" * 150


def campaign_with(text: str, rows: list[dict[str, str] | None], start: int = 0) -> Campaign:
    campaign = Campaign.objects.create(
        name="Personal", sender="Test", text=text, state=Campaign.State.DRAFT
    )
    add_rows(campaign, rows, start)
    return campaign


def add_rows(campaign: Campaign, rows: list[dict[str, str] | None], start: int = 0) -> None:
    Message.objects.bulk_create(
        Message(campaign=campaign, recipient=number, data=data, status=Status.PENDING)
        for number, data in zip(numbers(len(rows), start=start), rows, strict=True)
    )


ROWS: list[dict[str, str] | None] = [
    {"name": "Ann"},  # 155 characters: 1 segment
    {"name": "Ann"},
    {"name": "Bartholomew"},  # 163: 2 segments
    {"name": "Олена"},  # UCS-2: 3 segments
    {"name": ""},  # no value, no default: left out
    None,  # pasted: left out
    {"name": "Z" * 400},  # over the limit: left out
]


def open_send(client: Client, campaign: Campaign) -> str:
    return client.post(
        CHANGELIST, {"action": "send_campaigns", "_selected_action": [campaign.pk]}
    ).content.decode()


def hidden(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(letsads_[^"]+)" value="([^"]+)"', page))


def confirm(client: Client, campaign: Campaign, fields: dict[str, str]) -> str:
    data = {"action": "send_campaigns", "_selected_action": [campaign.pk], "post": "yes"}
    return client.post(CHANGELIST, {**data, **fields}, follow=True).content.decode()


def test_the_confirmation_shows_the_segment_distribution_and_who_is_left_out(
    superuser_client: Client,
) -> None:
    campaign = campaign_with(FILLER + ", {name}", ROWS)
    page = open_send(superuser_client, campaign)

    segments = re.findall(r'data-segments="(\d+)" data-recipients="(\d+)"', page)
    assert segments == [("1", "2"), ("2", "1"), ("3", "1")]
    assert 'class="num letsads-total-segments"><strong>7</strong>' in page
    assert "3 distinct texts: the gateway needs at least 3 requests." in page
    assert "2 recipients have no value for {name} and the text gives no default" in page
    assert (
        f"1 recipient's text is over the gateway's limit: left out, not sent "
        f"(cancelled): {numbers(7)[6]}." in page
    )
    # The main table: 4 recipients will be sent, 7 segments in all.
    cells = re.findall(r'<td class="(?:num|text)">(.*?)</td>', page)
    assert cells[1] == "4"
    assert "1: 2 · 2: 1 · 3: 1" in cells


def test_recipient_data_is_shown_as_text_not_markup(superuser_client: Client) -> None:
    campaign = campaign_with("Hi {name}", [{"name": "<b>Ann</b>"}])
    page = open_send(superuser_client, campaign)
    assert "<b>Ann</b>" not in page
    assert "Hi &lt;b&gt;Ann&lt;/b&gt;" in page


def test_confirming_starts_and_leaves_out_exactly_what_was_shown(superuser_client: Client) -> None:
    campaign = campaign_with(FILLER + ", {name}", ROWS)
    confirm(superuser_client, campaign, hidden(open_send(superuser_client, campaign)))

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SENDING
    by_status = dict(
        Message.objects.filter(campaign=campaign)
        .values_list("recipient", "error_code")
        .filter(status=Status.CANCELLED)
    )
    phones = numbers(7)
    assert by_status == {
        phones[4]: "MISSING_FIELD",
        phones[5]: "MISSING_FIELD",
        phones[6]: "TEXT_TOO_LONG",
    }
    assert Message.objects.filter(campaign=campaign, status=Status.PENDING).count() == 4
    assert StatusEvent.objects.filter(code="TEXT_TOO_LONG").count() == 1


def test_new_data_after_the_page_was_shown_sends_nothing(superuser_client: Client) -> None:
    campaign = campaign_with("Hi {name}", [{"name": "Ann"}, None])
    shown = hidden(open_send(superuser_client, campaign))
    # Same number of recipients, but one more now has a value: the figures changed.
    Message.objects.filter(campaign=campaign, data__isnull=True).update(data={"name": "Bob"})

    page = confirm(superuser_client, campaign, shown)

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT
    assert "The campaign changed since you looked" in page


def test_a_field_no_recipient_has_stops_that_campaign_at_the_action(
    superuser_client: Client,
) -> None:
    campaign = campaign_with("Hi {name}, code {cdoe|none}", [{"name": "Ann", "code": "1"}])
    page = superuser_client.post(
        CHANGELIST, {"action": "send_campaigns", "_selected_action": [campaign.pk]}, follow=True
    ).content.decode()
    assert "uses {cdoe}, which no recipient has in the imported data" in unescape(page)
    assert "Send campaigns?" not in page
    page = superuser_client.post(
        CHANGELIST,
        {"action": "schedule_campaigns", "_selected_action": [campaign.pk]},
        follow=True,
    ).content.decode()
    assert "uses {cdoe}" in unescape(page)


def change_url(campaign: Campaign) -> str:
    return reverse("admin:django_letsads_campaign_change", args=[campaign.pk])


def form_data(campaign: Campaign, **changes: object) -> dict[str, object]:
    return {"name": campaign.name, "sender": campaign.sender, "text": campaign.text, **changes}


def test_the_form_names_a_field_no_recipient_has(superuser_client: Client) -> None:
    campaign = campaign_with("Hi", [{"name": "Ann", "city": "Київ"}, None])
    response = superuser_client.post(
        change_url(campaign), form_data(campaign, text="Hi {name} from {city}, {code|x} {cdoe}")
    )
    assert response.status_code == 200
    assert "No recipient has {code}, {cdoe} in the imported data." in unescape(
        response.content.decode()
    )
    # Known fields and the built-in link are fine.
    response = superuser_client.post(
        change_url(campaign), form_data(campaign, text="Hi {name} from {city|here}")
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.text == "Hi {name} from {city|here}"


def test_the_text_is_locked_once_sending_starts(superuser_client: Client) -> None:
    campaign = campaign_with("Hi {name}", [{"name": "Ann"}])
    campaign.state = Campaign.State.SENDING
    campaign.save()
    page = superuser_client.get(change_url(campaign)).content.decode()
    assert 'name="text"' not in page
    superuser_client.post(change_url(campaign), form_data(campaign, text="Bye {name}"))
    campaign.refresh_from_db()
    assert campaign.text == "Hi {name}"


def extremes_url(campaign: Campaign) -> str:
    return reverse("admin:django_letsads_campaign_field_extremes", args=[campaign.pk])


def test_the_counter_gets_each_fields_extremes(superuser_client: Client) -> None:
    campaign = campaign_with(
        "Hi", [{"name": "Ann"}, {"name": "Олександра"}, {"name": "Bo"}, {"name": ""}, None]
    )
    page = superuser_client.get(change_url(campaign)).content.decode()
    assert f'data-extremes-url="{extremes_url(campaign)}"' in page

    answer = superuser_client.get(extremes_url(campaign), {"fields": "name,code,bad name"})

    assert json.loads(answer.content) == {
        "fields": {
            "name": {"longest": "Олександра", "shortest": "Bo", "non_gsm7": True, "missing": True},
            "code": {"longest": None, "shortest": None, "non_gsm7": False, "missing": True},
        }
    }


def test_gsm7_values_are_not_reported_as_ucs2(superuser_client: Client) -> None:
    campaign = campaign_with("Hi", [{"name": "A€{}[]~^|\\ é"}, {"name": "Bo"}])
    answer = json.loads(superuser_client.get(extremes_url(campaign), {"fields": "name"}).content)
    assert answer["fields"]["name"]["non_gsm7"] is False
    assert answer["fields"]["name"]["missing"] is False


def test_the_counter_data_needs_permission_to_view_the_campaign() -> None:
    campaign = campaign_with("Hi", [{"name": "Ann"}])
    client = staff_client("view_message", name="clerk")
    assert client.get(extremes_url(campaign), {"fields": "name"}).status_code == 403


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("uk", ["Персоналізовані тексти", "2 сегменти", "5 різних текстів", "1 отримувач не"]),
        (
            "ru",
            ["Персонализированные тексты", "2 сегмента", "5 различных текстов", "У 1 получателя"],
        ),
    ],
)
def test_the_figures_are_translated_with_plural_forms(
    superuser_client: Client, language: str, expected: list[str]
) -> None:
    rows: list[dict[str, str] | None] = [{"name": f"N{i}" + "y" * 10} for i in range(5)]
    campaign = campaign_with("z" * 150 + " {name}", [*rows, None])
    page = superuser_client.post(
        CHANGELIST,
        {"action": "send_campaigns", "_selected_action": [campaign.pk]},
        HTTP_ACCEPT_LANGUAGE=language,
    ).content.decode()
    for phrase in expected:
        assert phrase in page

# ruff: noqa: RUF001 - Cyrillic texts and typographic marks are the subject here
"""Knowing the price before spending it: the estimate, the over-balance tick, transliterated sends."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.checks import run_checks
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from django_letsads import pricing, text
from django_letsads.campaigns import status_counts
from django_letsads.conf import letsads_settings
from django_letsads.exceptions import LetsAdsConfigurationError
from django_letsads.models import Campaign
from tests.factories import make_campaign, numbers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_balance")]

CHANGELIST = "admin:django_letsads_campaign_changelist"
ONE = "Sale: -20% on everything"  # GSM-7, 1 segment
TWO = "x" * 200  # GSM-7, 2 segments
THREE = "Знижка 20% на все! " * 8  # 152 UCS-2 characters, 3 segments
CYRILLIC = "Знижка 20% на все, поспішайте! " * 4  # 124 UCS-2: 2 segments; transliterated 1


@pytest.fixture
def price():
    with override_settings(LETSADS={**_letsads(), "PRICE_PER_SEGMENT": Decimal("0.45")}):
        yield Decimal("0.45")


def _letsads() -> dict[str, object]:
    from django.conf import settings

    return dict(settings.LETSADS)


def draft(count: int, text_: str, *, transliterate: bool = False, name: str = "C") -> Campaign:
    campaign = make_campaign(numbers(count), text=text_, state=Campaign.State.DRAFT, name=name)
    if transliterate:
        Campaign.objects.filter(pk=campaign.pk).update(transliterate=True)
        campaign.refresh_from_db()
    return campaign


def estimate_for(*campaigns: Campaign, balance: Decimal | None = None) -> pricing.PriceEstimate:
    counts = status_counts(c.pk for c in campaigns)
    return pricing.estimate(list(campaigns), counts, balance=balance)


# -- the estimate -------------------------------------------------------------------------------


def test_estimate_is_exact_for_mixed_one_two_and_three_segment_campaigns(price):
    assert [text.analyze(t).segments for t in (ONE, TWO, THREE)] == [1, 2, 3]
    campaigns = [draft(7, ONE, name="a"), draft(5, TWO, name="b"), draft(3, THREE, name="c")]

    result = estimate_for(*campaigns, balance=Decimal("100"))

    assert [row.segments for row in result.rows] == [7, 10, 9]
    assert [row.cost for row in result.rows] == [Decimal("3.15"), Decimal("4.50"), Decimal("4.05")]
    assert result.segments == 26
    assert result.total == Decimal("11.70")
    assert result.balance_after == Decimal("88.30")
    assert not result.over_balance


def test_estimate_counts_only_messages_still_to_send(price):
    campaign = draft(4, TWO)
    campaign.messages.filter(pk=campaign.messages.first().pk).update(status="cancelled")
    assert estimate_for(campaign).total == Decimal("2.70")  # 3 messages x 2 segments


def test_estimate_prices_the_transliterated_text_and_the_other_choice(price):
    plain = draft(10, CYRILLIC, name="plain")
    latin = draft(10, CYRILLIC, transliterate=True, name="latin")

    by_name = {row.campaign.name: row for row in estimate_for(plain, latin).rows}

    assert (by_name["plain"].segments, by_name["plain"].cost) == (20, Decimal("9.00"))
    assert (by_name["plain"].other_segments, by_name["plain"].other_cost) == (10, Decimal("4.50"))
    assert (by_name["latin"].encoding, by_name["latin"].segments) == ("GSM-7", 10)
    assert by_name["latin"].other_cost == Decimal("9.00")
    assert by_name["latin"].still_ucs2 == ()


def test_a_text_that_stays_ucs2_after_transliteration_says_why(price):
    campaign = draft(1, "Привіт 😀 – знижка", transliterate=True)
    [row] = estimate_for(campaign).rows
    assert row.encoding == "UCS-2"
    assert row.still_ucs2 == ("😀", "–")
    assert "U+1F600" in row.still_ucs2_display


def test_latin_text_has_no_other_choice(price):
    [row] = estimate_for(draft(2, ONE)).rows
    assert row.other_segments is None
    assert row.other_cost is None


def test_without_a_price_segments_are_counted_but_nothing_is_priced():
    result = estimate_for(draft(3, TWO), balance=Decimal("1"))
    assert result.segments == 6
    assert result.total is None
    assert result.balance_after is None
    assert not result.over_balance


def test_over_balance():
    with override_settings(LETSADS={**_letsads(), "PRICE_PER_SEGMENT": "0.50"}):
        result = estimate_for(draft(3, TWO), balance=Decimal("2.99"))
    assert result.total == Decimal("3.00")
    assert result.over_balance


# -- the setting and its check --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("0.45"), Decimal("0.45")),
        ("0.45", Decimal("0.45")),
        (0.45, Decimal("0.45")),
        (1, Decimal("1")),
        (None, None),
    ],
)
def test_price_setting_accepts_numbers(value, expected):
    with override_settings(LETSADS={**_letsads(), "PRICE_PER_SEGMENT": value}):
        assert expected == letsads_settings.PRICE_PER_SEGMENT
        assert not [m for m in run_checks() if m.id and m.id.startswith("django_letsads.E05")]


@pytest.mark.parametrize(
    ("value", "check_id"),
    [
        ("cheap", "django_letsads.E050"),
        ([0.45], "django_letsads.E050"),
        (True, "django_letsads.E050"),
        ("NaN", "django_letsads.E050"),
        (Decimal("-0.45"), "django_letsads.E051"),
        (-1, "django_letsads.E051"),
    ],
)
def test_bad_price_is_a_check_error_and_fails_loudly_at_use(value, check_id):
    with override_settings(LETSADS={**_letsads(), "PRICE_PER_SEGMENT": value}):
        errors = [m for m in run_checks() if m.id and m.id.startswith("django_letsads.E05")]
        assert [m.id for m in errors] == [check_id]
        assert "PRICE_PER_SEGMENT" in errors[0].msg
        with pytest.raises(LetsAdsConfigurationError, match="PRICE_PER_SEGMENT"):
            letsads_settings.PRICE_PER_SEGMENT  # noqa: B018


# -- the confirmation -----------------------------------------------------------------------------


@pytest.fixture
def admin_client(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "pw"))
    return client


def send(client: Client, campaigns: list[Campaign], **extra: str) -> str:
    data = {"action": "send_campaigns", "_selected_action": [c.pk for c in campaigns], **extra}
    if extra.get("post") == "yes":
        # Post back the confirmation page's hidden inputs (its fingerprints), as the browser does.
        page = client.post(reverse(CHANGELIST), {**data, "post": ""}).content.decode()
        data.update(
            re.findall(r'<input type="hidden" name="(letsads_[^"]+)" value="([^"]+)"', page)
        )
    return client.post(reverse(CHANGELIST), data, follow=True).content.decode()


def cells(page: str, css: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(rf'<td class="[^"]*{css}[^"]*"[^>]*>(.*?)</td>', page, re.S)
    ]


@pytest.mark.letsads_simulator(balance=Decimal("100"))
def test_confirmation_shows_cost_per_campaign_total_and_balance_after(
    admin_client, letsads_simulator, price
):
    one, three = draft(7, ONE, name="one"), draft(3, THREE, name="three")
    latin = draft(10, CYRILLIC, transliterate=True, name="latin")

    page = send(admin_client, [one, three, latin])

    costs = cells(page, "letsads-cost")
    assert costs == ["3.15 UAH", "4.05 UAH", "4.50 UAH", "11.70 UAH"]
    assert "as written: 20 segments, 9.00 UAH" in page
    assert "Balance 100.00 UAH; after sending: 88.30 UAH" in page
    assert "letsads_send_anyway" not in page  # enough money: no extra tick


@pytest.mark.letsads_simulator(balance=Decimal("2"))
def test_over_balance_confirmation_needs_the_tick(admin_client, letsads_simulator, price):
    campaign = draft(3, TWO)  # 6 segments: 2.70 UAH

    page = send(admin_client, [campaign])
    assert "exceeds the balance" in page
    assert 'name="letsads_send_anyway"' in page

    # Confirming without the tick (a hand-made POST; the browser would not submit) starts nothing.
    page = send(admin_client, [campaign], post="yes")
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT
    assert "tick “send anyway”" in page
    assert 'name="letsads_send_anyway"' in page  # the confirmation again

    send(admin_client, [campaign], post="yes", letsads_send_anyway="yes")
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SENDING


@pytest.mark.letsads_simulator(balance=Decimal("2"))
def test_without_a_price_there_is_no_tick(admin_client, letsads_simulator):
    campaign = draft(3, TWO)
    send(admin_client, [campaign], post="yes")
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SENDING


def test_confirmation_without_a_price_still_shows_the_other_choice(admin_client):
    page = send(admin_client, [draft(2, CYRILLIC)])
    assert "transliterated: 2 segments" in page
    assert "letsads-cost" not in page


# -- sending ------------------------------------------------------------------------------------


def test_the_worker_sends_the_transliterated_text(letsads_simulator):
    campaign = make_campaign(numbers(3), text="Знам’янка: знижка 20% для Юрія!")
    Campaign.objects.filter(pk=campaign.pk).update(transliterate=True)

    call_command("letsads_send")

    assert {entry.text for entry in letsads_simulator.sends()} == {
        "Znamianka: znyzhka 20% dlia Yuriia!"
    }
    assert set(campaign.messages.values_list("status", flat=True)) == {"queued"}


def test_without_the_flag_the_text_goes_as_written(letsads_simulator):
    make_campaign(numbers(2), text="Знижка")
    call_command("letsads_send")
    assert {entry.text for entry in letsads_simulator.sends()} == {"Знижка"}


# -- the form -----------------------------------------------------------------------------------


def campaign_form(text_: str, *, transliterate: bool):
    from django_letsads.admin.forms import CampaignForm

    data = {"name": "N", "sender": "Test", "text": text_}
    if transliterate:
        data["transliterate"] = "on"
    return CampaignForm(data=data)


def test_form_validates_the_text_that_will_be_sent():
    long_cyrillic = "Сало " * 82  # 410 UCS-2 characters: over 402; transliterated 410 GSM-7
    assert "text" in campaign_form(long_cyrillic, transliterate=False).errors
    form = campaign_form(long_cyrillic, transliterate=True)
    assert form.is_valid(), form.errors

    grows = "Щ" * 150  # 150 UCS-2 characters fit; transliterated "Shch" x 150 = 600 do not
    assert campaign_form(grows, transliterate=False).is_valid()
    form = campaign_form(grows, transliterate=True)
    assert not form.is_valid()
    assert "Transliterated: The text is 600 characters long in GSM-7" in form.errors["text"][0]


def test_form_tells_the_counter_where_the_checkbox_is():
    html = str(campaign_form("", transliterate=False)["text"])
    assert 'data-transliterate="id_transliterate"' in html
    assert '"gsm7_twins"' in html


@pytest.mark.letsads_simulator(balance=Decimal("1"))
def test_estimate_is_translated(admin_client, letsads_simulator, price):
    campaign = draft(5, CYRILLIC)
    page = admin_client.post(
        reverse(CHANGELIST),
        {"action": "send_campaigns", "_selected_action": [campaign.pk]},
        HTTP_ACCEPT_LANGUAGE="uk",
    ).content.decode()
    for phrase in [
        "Орієнтовна вартість",
        "транслітерацією: 5 сегментів",
        "перевищує баланс",
        "Надіслати попри це",
    ]:
        assert phrase in page

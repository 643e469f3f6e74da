"""A price per account: ``LETSADS["promo"]["PRICE_PER_SEGMENT"]`` overrides the shared price.

The top-level ``PRICE_PER_SEGMENT`` is the price of the accounts without their own; the estimate
and the Send confirmation price each campaign at its account's price; an account's bad price is
a system-check error that names it.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.checks import run_checks
from django.test import Client, override_settings

from django_letsads import pricing
from django_letsads.accounts import get_account
from django_letsads.admin.balance import forget_balance
from django_letsads.campaigns import status_counts
from django_letsads.exceptions import LetsAdsConfigurationError
from django_letsads.models import Campaign
from django_letsads.simulator import Simulator
from tests.factories import make_campaign, numbers
from tests.test_admin import run_action

pytestmark = pytest.mark.django_db

TWO = "x" * 200  # GSM-7, 2 segments


def accounts(promo_price: Any = Decimal("0.52"), **shared: Any) -> dict[str, Any]:
    promo: dict[str, Any] = {"LOGIN": "380500000002", "PASSWORD": "pw2"}
    if promo_price is not None:
        promo["PRICE_PER_SEGMENT"] = promo_price
    return {
        "default": {"LOGIN": "380500000001", "PASSWORD": "pw1"},
        "promo": promo,
        "QUIET_HOURS": None,
        **shared,
    }


def draft(count: int, account: str, start: int = 0) -> Campaign:
    campaign = make_campaign(
        numbers(count, start=start), text=TWO, state=Campaign.State.DRAFT, name=account
    )
    Campaign.objects.filter(pk=campaign.pk).update(account=account)
    campaign.refresh_from_db()
    return campaign


def price_errors() -> list[tuple[str, str]]:
    return [
        (m.id, m.msg)
        for m in run_checks()
        if m.id and m.id.startswith(("django_letsads.E05", "django_letsads.E08"))
    ]


def test_an_estimate_prices_each_campaign_at_its_accounts_price() -> None:
    shop, promo = draft(3, "default"), draft(2, "promo", start=10)
    with override_settings(LETSADS=accounts(PRICE_PER_SEGMENT=Decimal("0.45"))):
        estimate = pricing.estimate([shop, promo], status_counts([shop.pk, promo.pk]))

    costs = [(row.campaign.account, row.segments, row.price, row.cost) for row in estimate.rows]
    assert costs == [
        ("default", 6, Decimal("0.45"), Decimal("2.70")),  # 3 x 2 segments at the shared price
        ("promo", 4, Decimal("0.52"), Decimal("2.08")),  # 2 x 2 segments at its own
    ]
    assert estimate.total == Decimal("4.78")
    assert estimate.price is None  # no one price for both


def test_an_account_without_its_own_price_has_the_shared_one() -> None:
    with override_settings(LETSADS=accounts(promo_price=None, PRICE_PER_SEGMENT="0.45")):
        assert pricing.price_of("promo") == Decimal("0.45")
        assert Decimal("0.45") == get_account("promo").PRICE_PER_SEGMENT
    with override_settings(LETSADS=accounts()):  # no shared price: only promo has one
        assert pricing.price_of("default") is None
        assert pricing.price_of("promo") == Decimal("0.52")
        assert price_errors() == []  # a price inside an account is not a misplaced shared key


def test_without_a_price_for_every_account_there_is_no_total() -> None:
    shop, promo = draft(1, "default"), draft(1, "promo", start=10)
    with override_settings(LETSADS=accounts()):
        estimate = pricing.estimate([shop, promo], status_counts([shop.pk, promo.pk]))
    assert [row.cost for row in estimate.rows] == [None, Decimal("1.04")]
    assert (estimate.priced, estimate.total) == (False, None)


@pytest.mark.parametrize(
    ("value", "check_id", "says"),
    [
        ("cheap", "django_letsads.E050", "it must be a number."),
        (Decimal("-0.52"), "django_letsads.E051", "a price cannot be negative."),
    ],
)
def test_a_bad_price_of_one_account_is_a_check_error_that_names_it(
    value: Any, check_id: str, says: str
) -> None:
    with override_settings(LETSADS=accounts(promo_price=value, PRICE_PER_SEGMENT="0.45")):
        assert price_errors() == [
            (check_id, f"LETSADS['promo']['PRICE_PER_SEGMENT'] is {value!r}; {says}")
        ]
        with pytest.raises(LetsAdsConfigurationError, match=r"LETSADS\['promo'\]\['PRICE_PER"):
            pricing.price_of("promo")
        assert pricing.price_of("default") == Decimal("0.45")


@pytest.fixture
def two_gateway_accounts(settings: Any) -> Iterator[None]:
    forget_balance()
    with Simulator(speed=0) as sim:
        sim.add_account("380500000001", "pw1", balance=Decimal("1000"))
        sim.add_account("380500000002", "pw2", balance=Decimal("2.00"))
        letsads = accounts(PRICE_PER_SEGMENT=Decimal("0.10"))
        letsads["default"]["API_URL"] = sim.url
        letsads["promo"]["API_URL"] = sim.url
        settings.LETSADS = letsads
        yield
    forget_balance()


@pytest.mark.usefixtures("two_gateway_accounts")
def test_the_send_confirmation_uses_the_price_of_the_campaigns_account(
    superuser_client: Client,
) -> None:
    promo = draft(2, "promo")

    page = run_action(superuser_client, "send_campaigns", [promo]).content.decode()

    # 2 recipients x 2 segments at promo's 0.52, against promo's balance of 2.00.
    assert 'id="letsads-estimate-total"><strong>2.08 UAH</strong>' in page
    assert "Balance 2.00 UAH; after sending: -0.08 UAH" in page
    assert 'id="letsads-over-balance"' in page
    confirmed = run_action(superuser_client, "send_campaigns", [promo], post="yes")
    assert "tick “send anyway”" in confirmed.content.decode()
    promo.refresh_from_db()
    assert promo.state == Campaign.State.DRAFT

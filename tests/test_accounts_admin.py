"""Several accounts in the admin: the account as a choice, a column and a filter; each balance."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from django_letsads.admin.balance import forget_balance
from django_letsads.models import Campaign, Message
from django_letsads.simulator import Simulator
from tests.factories import make_campaign, numbers
from tests.test_admin import run_action

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:django_letsads_campaign_changelist"
ADD = "admin:django_letsads_campaign_add"


@pytest.fixture(autouse=True)
def two_accounts(settings) -> Iterator[Simulator]:
    forget_balance()
    with Simulator(speed=0) as sim:
        sim.add_account("380500000001", "pw1", balance=Decimal("1000"))
        sim.add_account("380500000002", "pw2", balance=Decimal("7.25"))
        settings.LETSADS = {
            "default": {"LOGIN": "380500000001", "PASSWORD": "pw1", "API_URL": sim.url},
            "promo": {"LOGIN": "380500000002", "PASSWORD": "pw2", "API_URL": sim.url},
            "QUIET_HOURS": None,
        }
        yield sim
    forget_balance()


def test_the_list_shows_each_balance_an_account_column_and_filter(superuser_client: Client):
    promo = make_campaign(numbers(1), name="Spring", state=Campaign.State.DRAFT)
    Campaign.objects.filter(pk=promo.pk).update(account="promo")

    page = superuser_client.get(reverse(CHANGELIST)).content.decode()

    assert "Balance of account default: 1000.00 UAH" in page
    assert "Balance of account promo: 7.25 UAH" in page
    assert 'class="field-account"' in page
    assert "?account=promo" in page  # the filter
    filtered = superuser_client.get(reverse(CHANGELIST), {"account": "promo"}).content.decode()
    assert "Spring" in filtered


def test_the_form_offers_the_configured_accounts_and_saves_the_choice(superuser_client: Client):
    page = superuser_client.get(reverse(ADD)).content.decode()
    assert '<option value="promo">promo</option>' in page
    assert '<option value="default" selected>default</option>' in page

    data = {"name": "Promo", "sender": "Test", "text": "Hi", "account": "promo"}
    response = superuser_client.post(reverse(ADD), data)
    assert response.status_code == 302
    assert Campaign.objects.get(name="Promo").account == "promo"

    response = superuser_client.post(reverse(ADD), {**data, "name": "Bad", "account": "gone"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Campaign.objects.filter(name="Bad").exists()


def test_a_campaign_on_a_removed_account_shows_it_and_must_change_it(superuser_client: Client):
    campaign = make_campaign(numbers(1), name="Old", state=Campaign.State.DRAFT)
    Campaign.objects.filter(pk=campaign.pk).update(account="gone")
    url = reverse("admin:django_letsads_campaign_change", args=[campaign.pk])

    page = superuser_client.get(url).content.decode()
    assert "gone (not configured)" in page

    data = {"name": "Old", "sender": "Test", "text": campaign.text, "account": "gone"}
    page = superuser_client.post(url, data).content.decode()
    assert "The account gone is not configured; choose one of: default, promo." in page
    superuser_client.post(url, {**data, "account": "promo"})
    campaign.refresh_from_db()
    assert campaign.account == "promo"


def test_send_confirmation_shows_the_campaigns_account_balance(superuser_client: Client):
    campaign = make_campaign(numbers(2), name="P", state=Campaign.State.DRAFT)
    Campaign.objects.filter(pk=campaign.pk).update(account="promo")

    page = run_action(superuser_client, "send_campaigns", [campaign]).content.decode()

    assert "Balance of account promo: 7.25 UAH" in page


def test_send_takes_the_campaigns_of_one_account_at_a_time(superuser_client: Client):
    shop = make_campaign(numbers(2), name="Shop", state=Campaign.State.DRAFT)
    promo = make_campaign(numbers(2, start=10), name="Promo", state=Campaign.State.DRAFT)
    Campaign.objects.filter(pk=promo.pk).update(account="promo")

    page = run_action(superuser_client, "send_campaigns", [shop, promo], post="yes")

    assert "send with different accounts (default, promo)" in page.content.decode()
    assert set(Campaign.objects.values_list("state", flat=True)) == {Campaign.State.DRAFT}


def test_a_single_account_shows_no_account_column(superuser_client: Client, settings):
    settings.LETSADS = {"LOGIN": "380500000001", "PASSWORD": "pw1", "API_URL": "http://127.0.0.1:9"}
    make_campaign(numbers(1), name="Only", state=Campaign.State.DRAFT)
    page = superuser_client.get(reverse(CHANGELIST)).content.decode()
    assert "field-live_state" in page
    assert "field-account" not in page
    assert 'name="account"' not in superuser_client.get(reverse(ADD)).content.decode()


def test_the_account_texts_are_translated(superuser_client: Client):
    campaign = make_campaign(numbers(1), name="Old", state=Campaign.State.DRAFT)
    Campaign.objects.filter(pk=campaign.pk).update(account="gone")
    url = reverse("admin:django_letsads_campaign_change", args=[campaign.pk])

    page = superuser_client.get(reverse(CHANGELIST), HTTP_ACCEPT_LANGUAGE="uk").content.decode()
    assert "Баланс акаунта promo: 7,25 UAH" in page  # a decimal comma in Ukrainian
    page = superuser_client.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "gone (не настроен)" in page


def test_a_messages_page_shows_its_account(superuser_client: Client):
    campaign = make_campaign(numbers(1), name="P", state=Campaign.State.DRAFT)
    message = campaign.messages.get()
    Message.objects.filter(pk=message.pk).update(account="promo")

    url = reverse("admin:django_letsads_message_change", args=[message.pk])
    page = superuser_client.get(url).content.decode()

    assert '<div class="readonly">promo</div>' in page

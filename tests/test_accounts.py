"""Several LetsAds accounts: two simulators on two ports, one account each, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from django_letsads import get_connection, send_sms
from django_letsads.accounts import aliases, balance_of, client_for, get_account
from django_letsads.campaigns import poll_now, resume_campaign
from django_letsads.exceptions import LetsAdsConfigurationError
from django_letsads.models import Campaign, Message
from django_letsads.simulator import Simulator
from django_letsads.worker import PollWorker, SendWorker
from tests.factories import make_campaign, make_outbox_messages, numbers

S = Message.Status
pytestmark = pytest.mark.django_db

DEFAULT_LOGIN, PROMO_LOGIN = "380500000001", "380500000002"


@dataclass
class Accounts:
    default: Simulator
    promo: Simulator


def account(sim: Simulator, login: str, sender: str) -> dict[str, object]:
    return {"LOGIN": login, "PASSWORD": f"pw-{login}", "SENDER": sender, "API_URL": sim.url}


@pytest.fixture
def accounts(settings) -> Iterator[Accounts]:
    # One gateway numbers messages across all its accounts: the second simulator goes on from
    # ids the first never reaches, as the real gateway would.
    with Simulator(speed=0) as one, Simulator(speed=0, first_id=9_000_000) as two:
        one.add_account(DEFAULT_LOGIN, f"pw-{DEFAULT_LOGIN}", senders={"Shop"})
        two.add_account(PROMO_LOGIN, f"pw-{PROMO_LOGIN}", senders={"Promo"})
        settings.LETSADS = {
            "default": account(one, DEFAULT_LOGIN, "Shop"),
            "promo": {**account(two, PROMO_LOGIN, "Promo"), "CONCURRENCY": 2},
            "POLL_SCHEDULE": [600, 10800],
            "QUIET_HOURS": None,
        }
        yield Accounts(one, two)


def on(sim: Simulator) -> list[str]:
    return sorted(sim.sent_recipients())


# -- settings and the public API ----------------------------------------------------------------


def test_aliases_default_first_and_unknown_alias_names_the_configured(accounts):
    assert aliases() == ["default", "promo"]
    assert get_account("promo").SENDER == "Promo"
    assert get_account("promo").CONCURRENCY == 2
    assert get_account().CONCURRENCY == 4  # the documented default, per account
    with pytest.raises(LetsAdsConfigurationError, match=r"'nope'.*'default', 'promo'"):
        get_account("nope")
    with pytest.raises(LetsAdsConfigurationError, match=r"'nope'.*'default', 'promo'"):
        get_connection(using="nope")
    with pytest.raises(LetsAdsConfigurationError, match=r"'nope'.*'default', 'promo'"):
        send_sms("Hi", ["380671112233"], using="nope")


def test_flat_settings_are_the_default_account(settings):
    settings.LETSADS = {"LOGIN": "380501234567", "PASSWORD": "x", "SENDER": "Flat"}
    assert aliases() == ["default"]
    assert get_account("default").SENDER == "Flat"
    with pytest.raises(LetsAdsConfigurationError, match=r"'promo'.*has: 'default'"):
        get_account("promo")


def test_send_sms_using_an_account_goes_to_its_gateway_with_its_sender(accounts, settings):
    settings.SMS_BACKEND = "django_letsads.backends.letsads.SmsBackend"

    promo = send_sms("Promo text", ["380671112233"], using="promo")
    default = send_sms("Default text", ["380671112244"])

    assert [r.status for r in promo + default] == [S.QUEUED, S.QUEUED]
    assert on(accounts.promo) == ["380671112233"]
    assert on(accounts.default) == ["380671112244"]
    assert [e.sender for e in accounts.promo.sends()] == ["Promo"]
    assert [e.login for e in accounts.promo.sends()] == [PROMO_LOGIN]


def test_a_connection_of_an_account_sends_sms_messages_with_it(accounts, settings):
    from django_letsads import SmsMessage

    settings.SMS_BACKEND = "django_letsads.backends.letsads.SmsBackend"
    with get_connection(using="promo") as connection:
        assert connection.using == "promo"
        SmsMessage("One", ["380671112233"], connection=connection).send()
        SmsMessage("Two", ["380671112244"], using="promo").send()
    assert on(accounts.promo) == ["380671112233", "380671112244"]
    assert on(accounts.default) == []
    with pytest.raises(ValueError, match="pass one or the other"):
        SmsMessage("x", ["380671112233"], connection=connection, using="default")


def test_locmem_and_outbox_record_the_account(accounts, settings, sms_outbox):
    send_sms("Hi", ["380671112233"], using="promo")
    assert sms_outbox[0].using == "promo"
    assert sms_outbox[0].results[0].status == S.QUEUED

    settings.SMS_BACKEND = "django_letsads.backends.outbox.SmsBackend"
    send_sms("Stored", ["380671112244"], using="promo")
    send_sms("Stored", ["380671112255"])
    rows = dict(Message.objects.values_list("recipient", "account"))
    assert rows == {"380671112244": "promo", "380671112255": "default"}
    assert Message.objects.get(recipient="380671112244").sender == "Promo"


def test_client_and_balance_per_account(accounts):
    accounts.promo.set_balance(PROMO_LOGIN, Decimal("12.5"))
    assert balance_of("promo").amount == Decimal("12.5")
    assert balance_of().amount == Decimal("1000")
    with client_for("promo") as client:
        assert client.balance().amount == Decimal("12.5")


# -- the worker ---------------------------------------------------------------------------------


def test_a_campaign_on_each_account_goes_to_its_simulator_and_polls_go_back(accounts):
    shop = make_campaign(numbers(60), sender="Shop", name="shop")
    promo = make_campaign(numbers(70, start=500), sender="Promo", name="promo")
    Campaign.objects.filter(pk=promo.pk).update(account="promo")
    make_outbox_messages(["380671112233"], text="Code 1")
    Message.objects.filter(recipient="380671112233").update(sender="Promo", account="promo")

    report = SendWorker().run_once()

    assert report.counts["queued"] == 131
    assert sorted(on(accounts.default)) == sorted(shop.messages.values_list("recipient", flat=True))
    assert len(on(accounts.promo)) == 71
    assert "380671112233" in on(accounts.promo)
    # Each campaign message records the account that sent it, for the poller.
    assert set(promo.messages.values_list("account", flat=True)) == {"promo"}
    assert set(shop.messages.values_list("account", flat=True)) == {"default"}

    for sim in (accounts.default, accounts.promo):
        sim.advance(3600)
    poll_now(Message.objects.all())
    before = {name: len(sim.log()) for name, sim in vars(accounts).items()}
    PollWorker().run_once()
    polls = {
        name: [e for e in sim.log()[before[name] :] if e.kind == "status"]
        for name, sim in vars(accounts).items()
    }
    assert len(polls["default"]) == 60
    assert len(polls["promo"]) == 71
    assert {e.login for e in polls["promo"]} == {PROMO_LOGIN}
    assert {e.auth_ok for e in polls["promo"] + polls["default"]} == {True}
    assert Message.objects.filter(status__in=[S.DELIVERED, S.UNDELIVERED]).count() == 131


def test_not_enough_money_on_one_account_pauses_only_its_campaigns(accounts):
    shop = make_campaign(numbers(100), sender="Shop", name="shop")
    promo = make_campaign(numbers(100, start=500), sender="Promo", name="promo")
    Campaign.objects.filter(pk=promo.pk).update(account="promo")
    promo_outbox = make_outbox_messages(["380671112233"], text="Promo code")
    Message.objects.filter(pk=promo_outbox[0].pk).update(sender="Promo", account="promo")
    accounts.promo.set_balance(PROMO_LOGIN, Decimal("0"))

    worker = SendWorker()
    report = worker.run_once()

    promo.refresh_from_db()
    shop.refresh_from_db()
    assert promo.state == Campaign.State.PAUSED
    assert "NOT_ENOUGH_MONEY" in promo.pause_reason
    assert shop.state == Campaign.State.SENDING
    assert shop.messages.filter(status=S.QUEUED).count() == 100
    assert set(promo.messages.values_list("status", flat=True)) == {S.PENDING}
    assert Message.objects.get(pk=promo_outbox[0].pk).status == S.PENDING  # held, not lost
    assert report.account_errors["promo"].code == "NOT_ENOUGH_MONEY"
    # The other account did its work: the loop does not back off the whole worker.
    assert report.stop_error is None
    assert "account promo: NOT_ENOUGH_MONEY" in report.summary()

    # Next round: the account in trouble is held for a while; the rest goes on.
    make_outbox_messages(["380671112299"], text="Shop code")
    Message.objects.filter(recipient="380671112299").update(sender="Shop")
    report = worker.run_once()
    assert report.held == ["promo"]
    assert report.counts["queued"] == 1
    assert Message.objects.get(pk=promo_outbox[0].pk).status == S.PENDING

    # Topped up and resumed, a new worker sends the rest with the promo account.
    accounts.promo.top_up(PROMO_LOGIN, Decimal("1000"))
    resume_campaign(promo.pk)
    SendWorker().run_once()
    assert promo.messages.filter(status=S.QUEUED).count() == 100
    assert Message.objects.get(pk=promo_outbox[0].pk).status == S.QUEUED


def test_one_account_alone_still_stops_the_round_as_before(accounts):
    accounts.promo.set_balance(PROMO_LOGIN, Decimal("0"))
    make_campaign(numbers(5), sender="Promo")
    Campaign.objects.update(account="promo")

    report = SendWorker().run_once()

    assert report.stop_error is not None
    assert report.stop_error.code == "NOT_ENOUGH_MONEY"


def test_worker_for_one_account_leaves_the_others(accounts):
    make_campaign(numbers(5), sender="Shop", name="shop")
    promo = make_campaign(numbers(5, start=500), sender="Promo", name="promo")
    Campaign.objects.filter(pk=promo.pk).update(account="promo")

    SendWorker(accounts=["promo"]).run_once()

    assert len(on(accounts.promo)) == 5
    assert on(accounts.default) == []
    with pytest.raises(LetsAdsConfigurationError, match="'gone'"):
        SendWorker(accounts=["gone"]).run_once()


def test_work_of_an_account_removed_from_settings_is_left_and_reported(accounts, caplog):
    gone = make_campaign(numbers(5), sender="Promo", name="gone")
    Campaign.objects.filter(pk=gone.pk).update(account="old")
    make_outbox_messages(["380671112233"])
    Message.objects.filter(recipient="380671112233").update(account="old")

    report = SendWorker().run_once()

    assert on(accounts.default) == []
    assert on(accounts.promo) == []
    assert Message.objects.filter(status=S.PENDING).count() == 6
    assert report.left_behind == {"old": "1 campaign(s), pending messages"}
    assert "left for accounts not configured: old" in report.summary()
    assert "accounts not in settings.LETSADS" in caplog.text

    # Queued with the removed account: not polled with another account's login.
    Message.objects.filter(recipient="380671112233").update(
        status=S.QUEUED, sms_id=1, next_poll_at=None
    )
    poll_now(Message.objects.filter(recipient="380671112233"))
    report = PollWorker().run_once()
    assert report.counts["polled"] == 0
    assert report.left_behind == {"old": "messages to poll"}
    assert Message.objects.get(recipient="380671112233").status == S.QUEUED


def test_letsads_balance_per_account(accounts, capsys):
    accounts.promo.set_balance(PROMO_LOGIN, Decimal("7.25"))
    call_command("letsads_balance")
    assert capsys.readouterr().out.strip() == "1000.00 UAH"
    call_command("letsads_balance", "--account", "promo")
    assert capsys.readouterr().out.strip() == "7.25 UAH"
    call_command("letsads_balance", "--all")
    assert capsys.readouterr().out.splitlines() == ["default: 1000.00 UAH", "promo: 7.25 UAH"]
    with pytest.raises(CommandError, match=r"'nope'.*'default', 'promo'"):
        call_command("letsads_balance", "--account", "nope")


@pytest.fixture
def nested_letsads(settings):
    settings.LETSADS = {
        "default": {"LOGIN": "380500000009", "PASSWORD": "x", "SENDER": "Test"},
        "promo": {"LOGIN": "380500000002", "PASSWORD": "y", "API_URL": "http://127.0.0.1:9"},
        "QUIET_HOURS": None,
    }


def test_the_simulator_fixture_stands_in_for_the_default_account(
    nested_letsads, letsads_simulator, settings
):
    from django.conf import settings as django_settings

    assert django_settings.LETSADS["default"]["API_URL"] == letsads_simulator.url
    assert django_settings.LETSADS["promo"]["API_URL"] == "http://127.0.0.1:9"
    assert balance_of().amount == Decimal("1000")
    with pytest.raises(CommandError, match=r"--account: .*'nope'.*'default', 'promo'"):
        call_command("letsads_send", "--account", "nope")


def test_send_command_serves_the_accounts_it_is_given(accounts):
    promo = make_campaign(numbers(3), sender="Promo", name="promo")
    Campaign.objects.filter(pk=promo.pk).update(account="promo")
    make_campaign(numbers(3, start=10), sender="Shop", name="shop")

    call_command("letsads_send", "--account", "promo")

    assert len(on(accounts.promo)) == 3
    assert on(accounts.default) == []


def test_status_command_reports_each_accounts_balance(accounts):
    import io

    accounts.promo.set_balance(PROMO_LOGIN, Decimal("0"))
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("letsads_status", stdout=out)
    text = out.getvalue()
    assert "Balance: 1000.00 UAH" in text
    assert "Balance of promo: 0.00 UAH" in text
    assert "CRITICAL: account promo: balance is 0.00 UAH" in text


def test_an_account_without_its_password_stops_the_round_before_any_claim(accounts, settings):
    settings.LETSADS = {**settings.LETSADS, "promo": {"LOGIN": PROMO_LOGIN, "SENDER": "Promo"}}
    make_campaign(numbers(3), sender="Shop")

    with pytest.raises(LetsAdsConfigurationError, match=r"LETSADS\['promo'\]\['PASSWORD'\]"):
        SendWorker().run_once()

    assert on(accounts.default) == []
    assert set(Message.objects.values_list("status", flat=True)) == {S.PENDING}

"""Several accounts: the system checks and the workers' settings rules name each account's keys."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from django_letsads.exceptions import LetsAdsConfigurationError
from django_letsads.models import Campaign, Message
from django_letsads.settings_rules import require_valid_settings
from tests.factories import make_campaign, make_outbox_messages, numbers

LETSADS = "django_letsads.backends.letsads.SmsBackend"


def account(login: str = "380501234567", **extra: object) -> dict[str, object]:
    return {"LOGIN": login, "PASSWORD": "secret", "SENDER": "Test", **extra}


def messages(letsads: object, **kwargs: object) -> list[tuple[str, str]]:
    with override_settings(SMS_BACKEND=LETSADS, LETSADS=letsads):
        found = run_checks(**kwargs)  # type: ignore[arg-type]
    return sorted((m.id or "", m.msg) for m in found if (m.id or "").startswith("django_letsads."))


def test_two_complete_accounts_pass():
    assert messages({"default": account(), "promo": account("380501234568")}) == []


def test_a_missing_password_is_named_with_its_account():
    promo = account("380501234568")
    del promo["PASSWORD"]
    (found,) = messages({"default": account(), "promo": promo})
    assert found[0] == "django_letsads.W020"
    assert found[1].startswith("LETSADS['promo']['PASSWORD'] is not set")


def test_each_accounts_values_are_checked_and_named():
    letsads = {
        "default": account(),
        "promo": account("380501234568", TIMEOUT=0, API_URL="http://example.com", SENDER="x" * 20),
    }
    found = dict(messages(letsads))
    assert found["django_letsads.E011"].startswith("LETSADS['promo']['TIMEOUT'] is 0")
    assert found["django_letsads.W001"].startswith("LETSADS['promo']['API_URL'] sends")
    assert found["django_letsads.E003"].startswith("LETSADS['promo']['SENDER'] cannot be sent")
    # The workers refuse to start with the same words.
    with (
        override_settings(LETSADS=letsads),
        pytest.raises(LetsAdsConfigurationError, match=r"LETSADS\['promo'\]\['TIMEOUT'\]"),
    ):
        require_valid_settings()


def test_a_shared_key_inside_an_account_is_an_error():
    found = messages({"default": account(), "promo": account("2", POLL_SCHEDULE=[60])})
    assert found == [
        (
            "django_letsads.E082",
            "LETSADS['promo']['POLL_SCHEDULE'] is set for one account, but POLL_SCHEDULE is "
            "shared by all accounts.",
        )
    ]


def test_an_account_key_beside_accounts_and_no_default_are_errors():
    found = dict(messages({"promo": account(), "LOGIN": "380501234567"}))
    assert "'promo'" in found["django_letsads.E080"]
    assert found["django_letsads.E081"].startswith("LETSADS['LOGIN'] is at the top")


def test_two_aliases_with_one_login_are_a_warning():
    found = messages({"default": account(), "promo": account()})
    assert found == [
        ("django_letsads.W080", "LETSADS accounts 'default' and 'promo' use the same LOGIN.")
    ]


def test_flat_settings_still_name_keys_as_before():
    flat = account(TIMEOUT=-1)
    del flat["PASSWORD"]
    found = dict(messages(flat))
    assert found["django_letsads.E011"].startswith("LETSADS['TIMEOUT'] is -1")
    assert found["django_letsads.W020"].startswith("LETSADS['PASSWORD'] is not set")


@pytest.mark.django_db
def test_work_on_an_account_no_longer_configured_is_a_database_warning():
    letsads = {"default": account()}
    campaign = make_campaign(numbers(2), state=Campaign.State.DRAFT)
    assert messages(letsads, databases=["default"]) == []
    Campaign.objects.filter(pk=campaign.pk).update(account="promo")
    make_outbox_messages(["380671112233"])
    Message.objects.filter(campaign=None).update(account="old")

    found = messages(letsads, databases=["default"])
    assert [i for i, _ in found] == ["django_letsads.W081"]
    assert "'old' (pending messages), 'promo' (1 campaign(s))" in found[0][1]
    assert messages(letsads) == []  # database checks only when asked

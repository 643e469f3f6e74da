"""Settings of the wrong type (issue 14, item 6): ``check`` reports each as an error and never
crashes; the workers refuse to start with the same message, before any claim or request."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from django_letsads.exceptions import LetsAdsConfigurationError
from django_letsads.models import Message
from django_letsads.status import Status
from django_letsads.worker import PollWorker, SendWorker
from tests.factories import make_outbox_messages, numbers

BASE = {
    "LOGIN": "380501234567",
    "PASSWORD": "secret",
    "SENDER": "Test",
    "API_URL": "https://api.letsads.com",
}
LETSADS_BACKEND = "django_letsads.backends.letsads.SmsBackend"

#: (setting, bad value, the check's id)
BAD_SETTINGS: list[tuple[str, Any, str]] = [
    ("API_URL", "http://[::1", "django_letsads.E007"),
    ("API_URL", " https://api.letsads.com", "django_letsads.E007"),
    ("API_URL", "https://api.letsads.com:99999/", "django_letsads.E007"),
    ("API_URL", None, "django_letsads.E007"),
    ("TIMEOUT", "abc", "django_letsads.E011"),
    ("TIMEOUT", None, "django_letsads.E011"),
    ("TIMEOUT", 0, "django_letsads.E011"),
    ("TIMEOUT", -1, "django_letsads.E011"),
    ("TIMEOUT", float("nan"), "django_letsads.E011"),
    ("TIMEOUT", True, "django_letsads.E011"),
    ("BATCH_SIZE", "x", "django_letsads.E012"),
    ("BATCH_SIZE", 2.5, "django_letsads.E012"),
    ("BALANCE_CACHE_SECONDS", "x", "django_letsads.E012"),
    ("BALANCE_CACHE_SECONDS", -1, "django_letsads.E012"),
    ("CONCURRENCY", 0, "django_letsads.E012"),
    ("CLAIM_SIZE", "100", "django_letsads.E012"),
    ("CLAIM_LEASE", None, "django_letsads.E012"),
    ("CONNECT_RETRIES", -1, "django_letsads.E012"),
    ("POLL_RETRY_DELAY", "soon", "django_letsads.E012"),
    ("RATE_LIMIT", "fast", "django_letsads.E013"),
    ("POLL_SCHEDULE", [0], "django_letsads.E004"),
    ("POLL_SCHEDULE", [600, 60], "django_letsads.E004"),
    ("POLL_SCHEDULE", "600", "django_letsads.E004"),
]


def letsads_ids() -> list[str]:
    return sorted(m.id for m in run_checks() if m.id and m.id.startswith("django_letsads."))


def messages_of(check_id: str) -> list[str]:
    return [m.msg for m in run_checks() if m.id == check_id]


@pytest.mark.parametrize("value", ["x", ["LOGIN", "x"], 42])
def test_a_letsads_setting_that_is_not_a_dict_is_an_error_not_a_crash(value: Any) -> None:
    with override_settings(SMS_BACKEND=LETSADS_BACKEND, LETSADS=value):
        # The other checks see the defaults (so the missing LOGIN may be reported too).
        assert "django_letsads.E010" in letsads_ids()
        (message,) = messages_of("django_letsads.E010")
    assert "settings.LETSADS" in message
    assert "not a dict" in message


@pytest.mark.parametrize(("key", "value", "check_id"), BAD_SETTINGS)
def test_each_bad_setting_is_a_check_error(key: str, value: Any, check_id: str) -> None:
    with override_settings(SMS_BACKEND=LETSADS_BACKEND, LETSADS={**BASE, key: value}):
        assert letsads_ids() == [check_id]
        (message,) = messages_of(check_id)
    assert f"LETSADS[{key!r}]" in message


def test_a_batch_size_of_the_right_type_but_out_of_range_is_still_only_a_warning() -> None:
    with override_settings(SMS_BACKEND=LETSADS_BACKEND, LETSADS={**BASE, "BATCH_SIZE": 0}):
        assert letsads_ids() == ["django_letsads.W002"]


def test_manage_py_check_reports_them_all_at_once_and_does_not_crash() -> None:
    bad = {"API_URL": "http://[::1", "TIMEOUT": "abc", "BATCH_SIZE": "x", "POLL_SCHEDULE": [0]}
    with (
        override_settings(SMS_BACKEND=LETSADS_BACKEND, LETSADS={**BASE, **bad}),
        pytest.raises(SystemCheckError) as info,
    ):
        call_command("check")
    for check_id in ("E004", "E007", "E011", "E012"):
        assert f"django_letsads.{check_id}" in str(info.value)


@pytest.mark.django_db
@pytest.mark.parametrize("worker", [SendWorker, PollWorker], ids=["send", "poll"])
@pytest.mark.parametrize(("key", "value", "check_id"), BAD_SETTINGS)
def test_a_worker_refuses_to_start_with_the_checks_message(
    settings, worker: type[SendWorker], key: str, value: Any, check_id: str
) -> None:
    make_outbox_messages(numbers(2))
    settings.LETSADS = {**BASE, "API_URL": "http://127.0.0.1:9/", key: value}
    with override_settings():
        (expected,) = messages_of(check_id)
    with pytest.raises(LetsAdsConfigurationError) as info:
        worker().run_once()
    assert expected in str(info.value)
    assert check_id in str(info.value)
    # Refused before anything was claimed: nothing is left ``sending``.
    assert set(Message.objects.values_list("status", flat=True)) == {Status.PENDING}


@pytest.mark.django_db
def test_a_worker_refuses_a_letsads_setting_that_is_not_a_dict(settings) -> None:
    settings.LETSADS = "x"
    with pytest.raises(LetsAdsConfigurationError, match=r"django_letsads\.E010"):
        SendWorker().run_once()


@pytest.mark.django_db
def test_the_send_command_refuses_a_zero_timeout_before_claiming(settings) -> None:
    make_outbox_messages(numbers(2))
    settings.LETSADS = {**BASE, "TIMEOUT": 0}
    with pytest.raises(LetsAdsConfigurationError, match="TIMEOUT"):
        call_command("letsads_send")
    assert set(Message.objects.values_list("status", flat=True)) == {Status.PENDING}

"""System checks read settings when they run and name what is wrong."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.test import override_settings

BASE = {
    "LOGIN": "380501234567",
    "PASSWORD": "secret",
    "SENDER": "Test",
    "API_URL": "https://api.letsads.com",
}
LETSADS = "django_letsads.backends.letsads.SmsBackend"


def ids():
    return sorted(m.id for m in run_checks() if m.id and m.id.startswith("django_letsads."))


def check_ids(backend=LETSADS, **letsads):
    with override_settings(SMS_BACKEND=backend, LETSADS={**BASE, **letsads}):
        return ids()


def test_a_complete_configuration_passes():
    assert check_ids() == []


@pytest.mark.parametrize("missing", ["LOGIN", "PASSWORD"])
def test_missing_credentials_for_the_letsads_backend(missing):
    assert check_ids(**{missing: ""}) == ["django_letsads.E001"]


def test_missing_credentials_for_the_outbox_backend():
    assert check_ids("django_letsads.backends.outbox.SmsBackend", LOGIN="") == [
        "django_letsads.E001"
    ]


def test_test_backends_need_no_credentials():
    assert check_ids("django_letsads.backends.locmem.SmsBackend", LOGIN="", PASSWORD="") == []


@pytest.mark.parametrize(
    "path",
    ["nope.SmsBackend", "django_letsads.backends.letsads.Nope", "django_letsads.text.analyze"],
)
def test_unimportable_or_wrong_backend(path):
    assert check_ids(path) == ["django_letsads.E002"]


@pytest.mark.parametrize("sender", ["", "Much too long", "Магазин", "1234567890123456"])
def test_sender_that_cannot_be_valid(sender):
    assert check_ids(SENDER=sender) == ["django_letsads.E003"]


@pytest.mark.parametrize(
    "schedule", [[], [600, 600], [10800, 600], [0, 600], [-5], "600", [600.5], [True]]
)
def test_bad_poll_schedule(schedule):
    assert check_ids(POLL_SCHEDULE=schedule) == ["django_letsads.E004"]


def test_good_poll_schedule():
    assert check_ids(POLL_SCHEDULE=[60, 600, 3600]) == []


def test_unknown_region():
    assert check_ids(DEFAULT_REGION="XX") == ["django_letsads.E005"]


def test_text_limits():
    assert check_ids(MAX_LENGTH_UCS2=0) == ["django_letsads.E006"]
    assert check_ids(MAX_LENGTH_UCS2=201) == []
    assert check_ids(MAX_LENGTH_GSM7=1000) == ["django_letsads.W003"]


def test_plain_http_to_another_host_warns():
    assert check_ids(API_URL="http://api.letsads.com") == ["django_letsads.W001"]
    assert check_ids(API_URL="http://127.0.0.1:8025/") == []


def test_batch_size_outside_the_gateway_limit_warns():
    assert check_ids(BATCH_SIZE=100) == ["django_letsads.W002"]


def test_error_messages_never_show_the_password():
    with override_settings(LETSADS={**BASE, "PASSWORD": "s3cr3t-pw", "SENDER": ""}):
        messages = run_checks()
    assert messages
    assert all("s3cr3t-pw" not in str(m) for m in messages)


@pytest.mark.parametrize("value", [0, -5, "600", 1.5, True])
def test_worker_stale_after_must_be_positive_whole_seconds(value):
    assert "django_letsads.E060" in check_ids(WORKER_STALE_AFTER=value)


def test_worker_stale_after_default_passes():
    assert "django_letsads.E060" not in check_ids(WORKER_STALE_AFTER=600)

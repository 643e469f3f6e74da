"""System checks read settings when they run and name what is wrong."""

from __future__ import annotations

import pytest
from django.core import checks
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from django_letsads import send_sms
from django_letsads.exceptions import LetsAdsConfigurationError

BASE = {
    "LOGIN": "380501234567",
    "PASSWORD": "secret",
    "SENDER": "Test",
    "API_URL": "https://api.letsads.com",
}
LETSADS = "django_letsads.backends.letsads.SmsBackend"


def ids(*, deploy=False):
    messages = run_checks(include_deployment_checks=deploy)
    return sorted(m.id for m in messages if m.id and m.id.startswith("django_letsads."))


def check_ids(backend=LETSADS, *, deploy=False, **letsads):
    with override_settings(SMS_BACKEND=backend, LETSADS={**BASE, **letsads}):
        return ids(deploy=deploy)


def test_a_complete_configuration_passes():
    assert check_ids() == []


@pytest.mark.parametrize("missing", ["LOGIN", "PASSWORD"])
def test_missing_credentials_are_only_a_warning_in_ordinary_checks(missing):
    with override_settings(SMS_BACKEND=LETSADS, LETSADS={**BASE, missing: ""}):
        (message,) = [m for m in run_checks() if m.id == "django_letsads.W020"]
    assert message.level == checks.WARNING
    assert not message.is_serious()  # migrate, test and runserver go on
    assert missing in message.msg


@pytest.mark.parametrize("missing", ["LOGIN", "PASSWORD"])
def test_missing_credentials_are_an_error_under_check_deploy(missing):
    assert check_ids(deploy=True, **{missing: ""}) == [
        "django_letsads.E001",
        "django_letsads.W020",
    ]
    with override_settings(SMS_BACKEND=LETSADS, LETSADS={**BASE, missing: ""}):
        deploy = run_checks(include_deployment_checks=True)
    assert [m.level for m in deploy if m.id == "django_letsads.E001"] == [checks.ERROR]


def test_missing_credentials_for_the_outbox_backend():
    outbox = "django_letsads.backends.outbox.SmsBackend"
    assert check_ids(outbox, LOGIN="") == ["django_letsads.W020"]
    assert check_ids(outbox, LOGIN="", deploy=True) == [
        "django_letsads.E001",
        "django_letsads.W020",
    ]


def test_test_backends_need_no_credentials():
    locmem = "django_letsads.backends.locmem.SmsBackend"
    assert check_ids(locmem, LOGIN="", PASSWORD="") == []
    assert check_ids(locmem, LOGIN="", PASSWORD="", deploy=True) == []


def test_check_passes_and_check_deploy_fails_without_the_password(capsys):
    # A credential needed only to talk to the gateway must not stop manage.py.
    with override_settings(SMS_BACKEND=LETSADS, LETSADS={**BASE, "PASSWORD": ""}):
        call_command("check")
        with pytest.raises(SystemCheckError, match=r"django_letsads\.E001"):
            call_command("check", "--deploy")
    assert "django_letsads.W020" in capsys.readouterr().err


def test_sending_without_the_password_still_raises_a_configuration_error():
    with (
        override_settings(SMS_BACKEND=LETSADS, LETSADS={**BASE, "PASSWORD": ""}),
        pytest.raises(LetsAdsConfigurationError, match="PASSWORD"),
    ):
        send_sms("Hello", ["+380501234567"])


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


def task_backends(module):
    return (
        {"default": {"BACKEND": f"{module}.backends.immediate.ImmediateBackend"}},
        {"default": {"BACKEND": f"{module}.backends.dummy.DummyBackend"}},
    )


def test_use_tasks_with_the_immediate_backend_warns():
    from django_letsads.tasks import _tasks_module

    module = _tasks_module()
    if module is None:
        pytest.skip("needs django.tasks (Django 6) or the django-tasks backport")
    immediate, dummy = task_backends(module.__name__)
    with override_settings(TASKS=immediate):
        assert check_ids(USE_TASKS=True) == ["django_letsads.W021"]
        assert check_ids(USE_TASKS=False) == []
    with override_settings(TASKS=dummy):
        assert check_ids(USE_TASKS=True) == []

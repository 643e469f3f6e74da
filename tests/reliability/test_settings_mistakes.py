"""Settings mistakes: reported by ``manage.py check`` and by a clear error at first use, before
any message is claimed or any request goes out."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.core.management import call_command

from django_letsads import send_sms
from django_letsads.campaigns import poll_now
from django_letsads.exceptions import LetsAdsConfigurationError
from django_letsads.models import Message
from django_letsads.worker import PollWorker, SendWorker
from tests.factories import make_outbox_messages, numbers

pytestmark = [pytest.mark.reliability, pytest.mark.django_db]

LETSADS_BACKEND = "django_letsads.backends.letsads.SmsBackend"


def check_ids(*, deploy: bool = False) -> set[str]:
    ids = {message.id or "" for message in run_checks(include_deployment_checks=deploy)}
    return {i for i in ids if i.startswith("django_letsads.")}


@pytest.fixture
def gateway(letsads_simulator, settings):
    settings.SMS_BACKEND = LETSADS_BACKEND
    assert check_ids() == set()
    return letsads_simulator


def test_missing_password_is_a_deploy_check_error_and_a_clear_error_at_first_use(gateway, settings):
    settings.LETSADS = {**settings.LETSADS, "PASSWORD": ""}
    make_outbox_messages(numbers(3))

    assert "django_letsads.W020" in check_ids()  # a warning: migrate and tests still run
    assert "django_letsads.E001" in check_ids(deploy=True)
    with pytest.raises(LetsAdsConfigurationError, match="PASSWORD"):
        send_sms("Hi", ["380501234567"])
    with pytest.raises(LetsAdsConfigurationError, match="PASSWORD"):
        call_command("letsads_send")
    # Nothing was claimed, nothing was sent.
    assert set(Message.objects.values_list("status", flat=True)) == {Message.Status.PENDING}
    assert gateway.log() == []


@pytest.mark.parametrize("url", ["api.letsads.com", "ftp://api.letsads.com/", "letsads"])
def test_bad_url_is_a_check_error_and_a_clear_error_at_first_use(gateway, settings, url):
    settings.LETSADS = {**settings.LETSADS, "API_URL": url}
    make_outbox_messages(numbers(3))

    assert "django_letsads.E007" in check_ids()
    with pytest.raises(LetsAdsConfigurationError, match="API_URL"):
        send_sms("Hi", ["380501234567"])
    with pytest.raises(LetsAdsConfigurationError, match="API_URL"):
        SendWorker().run_once()
    assert set(Message.objects.values_list("status", flat=True)) == {Message.Status.PENDING}


def test_plain_http_to_a_remote_host_is_a_security_warning(settings):
    settings.LETSADS = {**settings.LETSADS, "API_URL": "http://api.letsads.com"}
    assert "django_letsads.W001" in check_ids()


@pytest.mark.parametrize("schedule", ["600", [], ["soon"], [-5, 600], None])
def test_bad_poll_schedule_is_a_check_error_and_a_clear_error_at_first_use(
    gateway, settings, schedule
):
    make_outbox_messages(numbers(2))
    SendWorker().run_once()  # sent with the good schedule; now the setting goes wrong
    poll_now(Message.objects.all())
    settings.LETSADS = {**settings.LETSADS, "POLL_SCHEDULE": schedule}
    make_outbox_messages(numbers(3, start=10))
    requests_before = len(gateway.log())

    assert "django_letsads.E004" in check_ids()
    with pytest.raises(LetsAdsConfigurationError, match="POLL_SCHEDULE"):
        SendWorker().run_once()
    with pytest.raises(LetsAdsConfigurationError, match="POLL_SCHEDULE"):
        PollWorker().run_once()
    # The error came before any claim or request: nothing is sent and left without its id.
    assert len(gateway.log()) == requests_before
    statuses = sorted(Message.objects.values_list("status", flat=True))
    assert statuses == [Message.Status.PENDING] * 3 + [Message.Status.QUEUED] * 2

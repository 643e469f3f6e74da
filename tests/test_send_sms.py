"""The public API: send_sms, SmsMessage and get_connection, through the locmem backend."""

from __future__ import annotations

import pytest

import django_letsads
from django_letsads import SmsMessage, get_connection, send_sms
from django_letsads.backends.locmem import SmsBackend as LocmemBackend
from django_letsads.exceptions import InvalidSenderError
from django_letsads.results import SmsResult
from django_letsads.status import Status


def test_the_package_exports_the_api():
    assert django_letsads.send_sms is send_sms
    assert set(django_letsads.__all__) >= {"send_sms", "SmsMessage", "get_connection"}
    with pytest.raises(AttributeError):
        django_letsads.nothing_here  # noqa: B018


def test_send_sms_returns_one_result_per_input_in_order(sms_outbox):
    inputs = ["+380 50 123 45 67", "garbage", "375291234567", "050 123 45 67"]
    results = send_sms("Hi", inputs)
    assert all(isinstance(r, SmsResult) for r in results)
    assert [r.input for r in results] == inputs
    assert [r.recipient for r in results] == [
        "380501234567",
        "garbage",
        "375291234567",
        "380501234567",
    ]
    assert [r.status for r in results] == [
        Status.QUEUED,
        Status.FAILED,
        Status.QUEUED,
        Status.QUEUED,
    ]
    assert [r.duplicate for r in results] == [False, False, False, True]
    assert results[1].error_code == "INVALID_NUMBER"
    assert results[1].sms_id is None
    assert [r.ok for r in results] == [True, False, True, True]


def test_a_single_recipient_string_is_one_recipient(sms_outbox):
    assert len(send_sms("Hi", "380501234567")) == 1


def test_no_recipients_sends_nothing(sms_outbox):
    assert send_sms("Hi", []) == []
    assert sms_outbox == []


def test_sender_defaults_to_the_setting(sms_outbox, settings):
    settings.LETSADS = {**settings.LETSADS, "SENDER": "Default"}
    send_sms("Hi", ["380501234567"])
    message = sms_outbox[0]
    assert message.sender is None  # the message keeps what the caller gave


def test_a_default_sender_that_cannot_be_valid_raises(settings):
    settings.LETSADS = {**settings.LETSADS, "SENDER": "Far too long a name"}
    with pytest.raises(InvalidSenderError):
        send_sms("Hi", ["380501234567"])


def test_sms_message_measures_its_text():
    message = SmsMessage("Привіт " * 12, ["380501234567"])
    assert message.encoding == "UCS-2"
    assert message.length == 84
    assert message.segments == 2
    latin = SmsMessage("Hello {name}", "380501234567")
    assert (latin.encoding, latin.length, latin.segments) == ("GSM-7", 14, 1)


def test_sms_message_send_keeps_results(sms_outbox):
    message = SmsMessage("Hi", ["380501234567", "x"], sender="Shop")
    assert message.results is None
    results = message.send()
    assert message.results == results
    assert "Shop" in repr(message)


def test_get_connection_uses_sms_backend_setting(settings):
    settings.SMS_BACKEND = "django_letsads.backends.locmem.SmsBackend"
    assert isinstance(get_connection(), LocmemBackend)
    assert get_connection(fail_silently=True).fail_silently


def test_connection_is_a_context_manager():
    with get_connection() as connection:
        assert connection.open() is False

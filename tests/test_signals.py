"""pre_send may change or cancel a message; post_send sees the results; status_changed exists."""

from __future__ import annotations

import pytest

from django_letsads import SmsMessage, send_sms
from django_letsads.signals import CancelSend, post_send, pre_send, status_changed
from django_letsads.status import Status


@pytest.fixture
def receivers():
    connected = []

    def connect(signal, receiver):
        signal.connect(receiver, weak=False)
        connected.append((signal, receiver))

    yield connect
    for signal, receiver in connected:
        signal.disconnect(receiver)


def test_pre_send_can_change_the_message_before_validation(receivers, sms_outbox):
    def rewrite(sender, message, backend, **kwargs):
        message.text = message.text.replace("{name}", "Olena")
        message.recipients = [*message.recipients, "375291234567"]

    receivers(pre_send, rewrite)
    results = send_sms("Hi {name}", ["380501234567"])
    assert sms_outbox[0].text == "Hi Olena"
    assert [r.recipient for r in results] == ["380501234567", "375291234567"]


def test_pre_send_can_cancel_a_message(receivers, sms_outbox):
    def veto(sender, message, **kwargs):
        if "forbidden" in message.text:
            raise CancelSend("quiet hours")

    receivers(pre_send, veto)
    results = send_sms("forbidden text", ["380501234567", "x"])
    assert [(r.status, r.error_code, r.reason) for r in results] == [
        (Status.CANCELLED, "CANCELLED", "quiet hours")
    ] * 2
    assert sms_outbox == []
    assert send_sms("fine", ["380501234567"])[0].status == Status.QUEUED


def test_post_send_receives_the_results(receivers, sms_outbox):
    seen = []

    def record(sender, message, results, backend, **kwargs):
        seen.append((message, results, type(backend).__module__))

    receivers(post_send, record)
    message = SmsMessage("Hi", ["380501234567", "bad"])
    results = message.send()
    assert seen == [(message, results, "django_letsads.backends.locmem")]


def test_post_send_is_sent_before_an_account_error_is_raised(
    receivers, letsads_simulator, settings
):
    from django_letsads.exceptions import AuthError

    settings.SMS_BACKEND = "django_letsads.backends.letsads.SmsBackend"
    settings.LETSADS = {**settings.LETSADS, "PASSWORD": "wrong"}
    seen = []
    receivers(post_send, lambda sender, results, **kw: seen.append(results))
    with pytest.raises(AuthError):
        send_sms("Hi", ["380501234567"])
    assert [r.error_code for r in seen[0]] == ["AUTH_DATA"]


def test_status_changed_is_a_signal_with_documented_arguments(receivers):
    got = []
    receivers(status_changed, lambda sender, **kwargs: got.append(kwargs))
    status_changed.send(
        sender=object,
        message="m",
        old_status="queued",
        new_status="delivered",
        code="MESSAGE_IS_DELIVERED",
    )
    assert got[0]["old_status"] == "queued"
    assert got[0]["new_status"] == "delivered"

"""The backends for tests and development, and the outbox backend that stores for the worker."""

from __future__ import annotations

import io

import pytest
from django.db import transaction

from django_letsads import SmsMessage, get_connection, send_sms
from django_letsads.backends.base import BaseSmsBackend
from django_letsads.exceptions import InvalidTextError, LetsAdsConfigurationError
from django_letsads.status import Status

UA = "380501234567"
BY = "375291234567"


def test_locmem_appends_to_the_outbox(sms_outbox, settings):
    settings.SMS_BACKEND = "django_letsads.backends.locmem.SmsBackend"
    results = send_sms("Code 1234", ["+380 50 123 45 67", BY, "0501234567"], sender="Shop")
    assert len(sms_outbox) == 1
    assert sms_outbox[0].text == "Code 1234"
    assert sms_outbox[0].sender == "Shop"
    assert [r.status for r in results] == [Status.QUEUED] * 3
    assert results[0].sms_id == results[2].sms_id
    assert results[2].duplicate
    assert results[0].sms_id != results[1].sms_id


def test_outbox_starts_empty_in_each_test(sms_outbox):
    assert sms_outbox == []


def test_locmem_validates_like_the_real_backend(sms_outbox, settings):
    settings.SMS_BACKEND = "django_letsads.backends.locmem.SmsBackend"
    with pytest.raises(InvalidTextError):
        send_sms("a" * 500, [UA])
    assert sms_outbox == []


def test_dummy_reports_queued_and_keeps_nothing(sms_outbox):
    results = send_sms(
        "Hi", [UA, "bad"], connection=get_connection("django_letsads.backends.dummy.SmsBackend")
    )
    assert [r.status for r in results] == [Status.QUEUED, Status.FAILED]
    assert sms_outbox == []


def test_console_writes_a_readable_message():
    stream = io.StringIO()
    connection = get_connection("django_letsads.backends.console.SmsBackend", stream=stream)
    send_sms("Привіт!", [UA, BY], sender="Shop", connection=connection)
    output = stream.getvalue()
    assert "From: Shop" in output
    assert f"To: {UA}, {BY}" in output
    assert "UCS-2, 7 characters, 1 segment" in output
    assert "Привіт!" in output


def test_filebased_writes_one_file_per_message(tmp_path, settings):
    settings.LETSADS = {**settings.LETSADS, "FILE_PATH": str(tmp_path / "sms")}
    connection = get_connection("django_letsads.backends.filebased.SmsBackend")
    send_sms("First", [UA], connection=connection)
    send_sms("Second", [BY], connection=connection)
    files = sorted((tmp_path / "sms").iterdir())
    assert len(files) == 2
    contents = {f.read_text(encoding="utf-8") for f in files}
    assert any("First" in c and UA in c for c in contents)
    assert any("Second" in c and BY in c for c in contents)


def test_filebased_needs_a_path(settings):
    settings.LETSADS = {**settings.LETSADS, "FILE_PATH": ""}
    with pytest.raises(LetsAdsConfigurationError):
        get_connection("django_letsads.backends.filebased.SmsBackend")


@pytest.mark.django_db
def test_outbox_backend_stores_pending_messages_for_the_worker():
    from django_letsads.models import Message

    connection = get_connection("django_letsads.backends.outbox.SmsBackend")
    results = send_sms(
        "Your order shipped", [UA, "0501234567", BY, "bad"], sender="Shop", connection=connection
    )
    assert [r.status for r in results] == [
        Status.PENDING,
        Status.PENDING,
        Status.PENDING,
        Status.FAILED,
    ]
    assert results[1].duplicate
    rows = Message.objects.order_by("id")
    assert [(m.recipient, m.sender, m.text, m.status) for m in rows] == [
        (UA, "Shop", "Your order shipped", Status.PENDING),
        (BY, "Shop", "Your order shipped", Status.PENDING),
    ]
    assert all(m.campaign_id is None for m in rows)
    assert [e.new_status for m in rows for e in m.events.all()] == [Status.PENDING] * 2
    assert Message.objects.sendable().count() == 2


@pytest.mark.django_db(transaction=True)
def test_outbox_rows_roll_back_with_the_callers_transaction():
    from django_letsads.models import Message

    connection = get_connection("django_letsads.backends.outbox.SmsBackend")

    def place_order():
        with transaction.atomic():
            send_sms("Hi", [UA], connection=connection)
            raise RuntimeError("the order failed")

    with pytest.raises(RuntimeError):
        place_order()
    assert not Message.objects.exists()


def test_get_connection_reports_a_bad_backend_path():
    with pytest.raises(LetsAdsConfigurationError):
        get_connection("django_letsads.backends.nope.SmsBackend")
    with pytest.raises(LetsAdsConfigurationError):
        get_connection("django_letsads.text.analyze")


def test_a_backend_must_implement_deliver():
    with pytest.raises(NotImplementedError, match="BaseSmsBackend"):
        SmsMessage("Hi", [UA], connection=BaseSmsBackend()).send()


def test_send_messages_counts_messages_accepted(sms_outbox):
    connection = get_connection("django_letsads.backends.locmem.SmsBackend")
    messages = [SmsMessage("One", [UA]), SmsMessage("Two", ["bad"]), SmsMessage("Three", [BY])]
    assert connection.send_messages(messages) == 2
    assert connection.send_messages([]) == 0
    assert [m.text for m in sms_outbox] == ["One", "Three"]


def test_sms_outbox_fixture_switches_to_the_locmem_backend(sms_outbox, settings):
    assert settings.SMS_BACKEND == "django_letsads.backends.locmem.SmsBackend"


def test_the_django_test_runner_mixin_empties_the_outbox():
    from django.test import SimpleTestCase

    import django_letsads
    from django_letsads.backends.locmem import LetsAdsTestMixin

    class OrderTests(LetsAdsTestMixin, SimpleTestCase):
        pass

    django_letsads.outbox.append("left over")
    OrderTests._pre_setup()
    assert django_letsads.outbox == []

"""send_sms(..., merge_data=...) and SmsMessage(..., merge_data=...) through every backend."""

from __future__ import annotations

import io

import pytest

import django_letsads
from django_letsads import SmsMessage, get_connection, send_sms
from django_letsads.exceptions import InvalidTextError, NotEnoughMoneyError
from django_letsads.models import Message
from django_letsads.status import Status
from django_letsads.worker import SendWorker

A, B, C = "380501234567", "380671234567", "380931234567"
TEXT = "Вітаємо, {name|клієнте}! Ваш код {code}."
DATA = {
    "+380 (50) 123-45-67": {"name": "Олена", "code": "17"},
    "0671234567": {"code": "42"},
    C: {"code": "42"},
}


def test_locmem_keeps_one_entry_per_distinct_text_and_each_recipients_text():
    results = send_sms(TEXT, [A, B, C], merge_data=DATA)

    assert [r.status for r in results] == [Status.QUEUED] * 3
    sent = [(m.text, m.recipients) for m in django_letsads.outbox]
    assert sent == [
        ("Вітаємо, Олена! Ваш код 17.", [A]),
        ("Вітаємо, клієнте! Ваш код 42.", [B, C]),
    ]
    assert django_letsads.outbox[0].merge_data == {A: {"name": "Олена", "code": "17"}}


def test_sms_message_keys_merge_data_by_normalised_number_and_reports_the_texts():
    message = SmsMessage(TEXT, ["+380 50 123 45 67", B, C], merge_data=DATA)
    assert set(message.merge_data) == {A, B, C}

    message.send()

    assert message.rendered_texts == {
        A: "Вітаємо, Олена! Ваш код 17.",
        B: "Вітаємо, клієнте! Ваш код 42.",
        C: "Вітаємо, клієнте! Ваш код 42.",
    }


def test_without_merge_data_braces_are_sent_as_written():
    send_sms("Code {code} {{x}}", [A])

    assert django_letsads.outbox[0].text == "Code {code} {{x}}"


def test_values_are_text_and_never_evaluated():
    send_sms("{a}|{b}", [A], merge_data={A: {"a": "{b} {{c}}", "b": "{0.__class__} %s"}})

    assert django_letsads.outbox[0].text == "{b} {{c}}|{0.__class__} %s"


@pytest.mark.parametrize(
    ("merge_data", "error", "words"),
    [
        ([(A, {"code": "1"})], TypeError, "merge_data must be a mapping"),
        ("380501234567", TypeError, "merge_data must be a mapping"),
        ({380501234567: {"code": "1"}}, TypeError, "keys must be phone numbers as str"),
        ({A: "1"}, TypeError, r"merge_data\['380501234567'\] must be a mapping"),
        ({A: {"code": 1}}, TypeError, r"\['code'\] must be a str, not int"),
        ({A: {"code": None}}, TypeError, "must be a str, not NoneType"),
        ({A: {1: "x"}}, TypeError, "field name that is not a str"),
        ({"hello": {"code": "1"}}, ValueError, "not a phone number"),
        ({"380991112233": {"code": "1"}}, ValueError, "not one of the recipients"),
        ({A: {"code": "1"}, "0501234567": {"code": "2"}}, ValueError, "two keys"),
    ],
)
def test_bad_merge_data_is_refused_naming_the_problem(merge_data, error, words):
    with pytest.raises(error, match=words):
        send_sms("Code {code}", [A, B], merge_data=merge_data)
    assert django_letsads.outbox == []


def test_a_field_missing_for_one_recipient_refuses_the_whole_call():
    with pytest.raises(InvalidTextError, match=r"No value for \{code\} for 380671234567") as caught:
        send_sms(TEXT, [A, B], merge_data={A: {"code": "1"}})

    assert caught.value.code == "MISSING_FIELD"
    assert django_letsads.outbox == []


def test_a_bad_template_is_refused_with_its_position():
    with pytest.raises(InvalidTextError, match="position") as caught:
        send_sms("Hi {first name}", [A], merge_data={})

    assert caught.value.code == "INVALID_TEMPLATE"


def test_fail_silently_turns_a_missing_field_into_failed_results():
    results = send_sms(TEXT, [A, B], merge_data={A: {"code": "1"}}, fail_silently=True)

    assert {(r.status, r.error_code) for r in results} == {(Status.FAILED, "MISSING_FIELD")}
    assert django_letsads.outbox == []


def test_every_rendering_is_checked_against_the_length_limit():
    long = "x" * 1000
    with pytest.raises(InvalidTextError) as caught:
        send_sms("Hi {name|}", [A, B], merge_data={B: {"name": long}})

    assert caught.value.code == "MESSAGE_TOO_LONG"
    assert django_letsads.outbox == []


def test_the_console_backend_writes_each_distinct_text():
    stream = io.StringIO()
    connection = get_connection("django_letsads.backends.console.SmsBackend", stream=stream)

    send_sms(TEXT, [A, B, C], merge_data=DATA, connection=connection)

    out = stream.getvalue()
    assert out.count("From: ") == 2
    assert f"To: {B}, {C}" in out
    assert "Вітаємо, Олена! Ваш код 17." in out


@pytest.mark.django_db
def test_the_letsads_backend_sends_each_distinct_text_in_shared_requests(
    letsads_simulator, settings
):
    settings.SMS_BACKEND = "django_letsads.backends.letsads.SmsBackend"
    many = [f"38050{i:07d}" for i in range(120)]
    merge_data = {n: {"code": "A" if i < 70 else "B"} for i, n in enumerate(many)}

    results = send_sms("Code {code}", many, merge_data=merge_data)

    assert {r.status for r in results} == {Status.QUEUED}
    sends = [(e.text, len(e.recipients)) for e in letsads_simulator.sends()]
    assert sends == [("Code A", 50), ("Code A", 20), ("Code B", 50)]


@pytest.mark.django_db
def test_after_an_account_error_the_other_texts_are_not_sent(letsads_simulator, settings):
    from decimal import Decimal

    settings.SMS_BACKEND = "django_letsads.backends.letsads.SmsBackend"
    login = next(iter(letsads_simulator.gateway.accounts))
    letsads_simulator.account(login).balance = Decimal("0")

    with pytest.raises(NotEnoughMoneyError):
        send_sms("Code {code}", [A, B], merge_data={A: {"code": "1"}, B: {"code": "2"}})

    assert len(letsads_simulator.gateway.log()) == 1


@pytest.mark.django_db
def test_the_outbox_stores_each_rendered_text_with_its_data_and_the_worker_sends_it(
    letsads_simulator, settings
):
    settings.SMS_BACKEND = "django_letsads.backends.outbox.SmsBackend"

    results = send_sms(TEXT, [A, B, C], merge_data=DATA)

    assert {r.status for r in results} == {Status.PENDING}
    rows = {m.recipient: (m.text, m.data) for m in Message.objects.all()}
    assert rows == {
        A: ("Вітаємо, Олена! Ваш код 17.", {"name": "Олена", "code": "17"}),
        B: ("Вітаємо, клієнте! Ваш код 42.", {"code": "42"}),
        C: ("Вітаємо, клієнте! Ваш код 42.", {"code": "42"}),
    }
    assert set(Message.objects.values_list("events__note", flat=True)) == {
        "send_sms, personalised text"
    }

    SendWorker().run_once()

    sent = sorted((e.text, tuple(sorted(e.recipients))) for e in letsads_simulator.sends())
    assert sent == [
        ("Вітаємо, Олена! Ваш код 17.", (A,)),
        ("Вітаємо, клієнте! Ваш код 42.", (B, C)),
    ]


def test_a_personalised_message_through_another_account_takes_its_sender(settings):
    settings.LETSADS = {
        "default": {"LOGIN": "380500000001", "PASSWORD": "x", "SENDER": "Shop"},
        "promo": {"LOGIN": "380500000002", "PASSWORD": "y", "SENDER": "Promo"},
    }
    stream = io.StringIO()
    console = get_connection(
        "django_letsads.backends.console.SmsBackend", stream=stream, using="promo"
    )

    send_sms("Hi {name|you}", [A, B], merge_data={A: {"name": "Ann"}}, connection=console)
    send_sms("Hi {name|you}", [A], merge_data={A: {"name": "Ann"}}, using="promo")

    assert stream.getvalue().count("From: Promo") == 2
    assert [(m.text, m.using) for m in django_letsads.outbox] == [("Hi Ann", "promo")]

"""The LetsAds backend over real HTTP against the simulator: batching, every error code, faults."""

from __future__ import annotations

from decimal import Decimal

import pytest

from django_letsads import SmsMessage, get_connection, send_sms
from django_letsads.exceptions import (
    ApiDisabledError,
    AuthError,
    InvalidSenderError,
    InvalidTextError,
    LetsAdsConfigurationError,
    NotEnoughMoneyError,
    NotModeratedError,
    SenderError,
)
from django_letsads.status import Status

LETSADS = "django_letsads.backends.letsads.SmsBackend"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _letsads_backend(settings):
    settings.SMS_BACKEND = LETSADS


def numbers(count, start=1_000_000):
    return [f"38050{start + i}" for i in range(count)]


def test_120_recipients_mixing_valid_invalid_duplicate_and_gateway_incorrect(letsads_simulator):
    valid = numbers(100)
    bad_for_gateway = [valid[7], valid[55], valid[99]]
    letsads_simulator.add_bad_recipients(*bad_for_gateway)
    invalid = ["not a number", "380001234567", "12345", "", "+999 1234"]
    duplicates = [f"+380 50 {n[5:8]} {n[8:]}" for n in valid[:15]]  # same numbers, other format
    recipients = valid + invalid + duplicates
    assert len(recipients) == 120

    results = send_sms("Sale starts today!", recipients)

    assert len(results) == 120
    assert [r.input for r in results] == recipients
    by_input = dict(zip(recipients, results, strict=True))
    for number in bad_for_gateway:
        result = by_input[number]
        assert result.status == Status.FAILED
        assert result.error_code == f"INCORRECT_RECIPIENT_{number}"
        assert result.sms_id is None
    for raw in invalid:
        assert by_input[raw].status == Status.FAILED
        assert by_input[raw].error_code == "INVALID_NUMBER"
        assert by_input[raw].reason
    queued = [r for r in results[:100] if r.status == Status.QUEUED]
    assert len(queued) == 97
    for result in queued:
        stored = letsads_simulator.message(result.sms_id)
        assert stored is not None
        assert stored.recipient == result.recipient
        assert stored.text == "Sale starts today!"
    for original, duplicate in zip(results[:15], results[105:], strict=True):
        assert duplicate.duplicate
        assert duplicate.recipient == original.recipient
        assert (duplicate.status, duplicate.sms_id, duplicate.error_code) == (
            original.status,
            original.sms_id,
            original.error_code,
        )
    assert not any(r.duplicate for r in results[:105])
    # Each good number billed exactly once, bad and invalid ones never.
    sent = letsads_simulator.sent_recipients()
    assert sorted(sent) == sorted(r.recipient for r in queued)
    # Batches of at most 50; every INCORRECT_RECIPIENT answer costs one extra request.
    send_requests = [e for e in letsads_simulator.log() if e.kind == "send"]
    assert all(len(e.recipients) <= 50 for e in send_requests)
    assert len(send_requests) == 2 + len(bad_for_gateway)  # 100 distinct valid: 2 batches


def test_batch_size_setting_splits_requests(letsads_simulator, settings):
    settings.LETSADS = {**settings.LETSADS, "BATCH_SIZE": 7}
    results = send_sms("Hi", numbers(20))
    assert all(r.status == Status.QUEUED for r in results)
    assert [len(e.recipients) for e in letsads_simulator.sends()] == [7, 7, 6]


def test_sms_ids_are_in_recipient_order(letsads_simulator):
    results = send_sms("Hi", numbers(3))
    assert [r.sms_id for r in results] == sorted(r.sms_id for r in results)
    assert [letsads_simulator.message(r.sms_id).recipient for r in results] == numbers(3)


@pytest.mark.parametrize(
    ("account", "exception", "code"),
    [
        ({"api_enabled": False}, ApiDisabledError, "API_DISABLED"),
        ({"moderated": False}, NotModeratedError, "USER_NOT_MODERATED"),
        ({"balance": Decimal("0")}, NotEnoughMoneyError, "NOT_ENOUGH_MONEY"),
        ({"senders": {"Other"}}, SenderError, "INVALID_FROM"),
    ],
)
def test_account_errors_raise_after_recording_results(letsads_simulator, account, exception, code):
    for key, value in account.items():
        setattr(letsads_simulator.account(letsads_simulator_login()), key, value)
    message = SmsMessage("Hi", [*numbers(3), "bad"])
    with pytest.raises(exception) as caught:
        message.send()
    assert caught.value.code == code
    assert [r.status for r in message.results] == [Status.FAILED] * 4
    assert [r.error_code for r in message.results] == [code] * 3 + ["INVALID_NUMBER"]
    assert letsads_simulator.sent_recipients() == []


def letsads_simulator_login():
    from django_letsads.conf import letsads_settings

    return letsads_settings.LOGIN


def test_wrong_password_is_auth_data_and_never_shows_the_password(letsads_simulator, settings):
    settings.LETSADS = {**settings.LETSADS, "PASSWORD": "wrong-secret-xyz"}
    with pytest.raises(AuthError) as caught:
        send_sms("Hi", numbers(1))
    assert caught.value.code == "AUTH_DATA"
    assert "wrong-secret-xyz" not in str(caught.value)
    assert "wrong-secret-xyz" not in repr(caught.value)
    assert "wrong-secret-xyz" not in repr(get_connection())


def test_fail_silently_returns_failed_results_instead_of_raising(letsads_simulator):
    letsads_simulator.account(letsads_simulator_login()).api_enabled = False
    results = send_sms("Hi", numbers(2), fail_silently=True)
    assert [(r.status, r.error_code) for r in results] == [(Status.FAILED, "API_DISABLED")] * 2


def test_money_running_out_mid_run_stops_later_batches(letsads_simulator):
    # 0.50 per message: enough for the first batch of 50, not for the second.
    letsads_simulator.set_balance(letsads_simulator_login(), Decimal("30"))
    message = SmsMessage("Hi", numbers(120))
    with pytest.raises(NotEnoughMoneyError):
        message.send()
    statuses = [r.status for r in message.results]
    assert statuses == [Status.QUEUED] * 50 + [Status.FAILED] * 70
    assert {r.error_code for r in message.results[50:]} == {"NOT_ENOUGH_MONEY"}
    # The third batch was never requested: the account error stops the run.
    assert len([e for e in letsads_simulator.log() if e.kind == "send"]) == 2


def test_gateway_message_too_long_fails_without_raising(letsads_simulator, settings):
    settings.LETSADS = {**settings.LETSADS, "MAX_LENGTH_GSM7": 1000}
    results = send_sms("a" * 500, numbers(60))
    assert {(r.status, r.error_code) for r in results} == {(Status.FAILED, "MESSAGE_TOO_LONG")}
    # The same text would be refused again: one request, not two.
    assert len(letsads_simulator.log()) == 1


def test_max_messages_count_fails_the_request(letsads_simulator):
    letsads_simulator.gateway.max_recipients = 10
    results = send_sms("Hi", numbers(12))
    assert {(r.status, r.error_code) for r in results} == {(Status.FAILED, "MAX_MESSAGES_COUNT")}


def test_own_validation_refuses_before_any_request(letsads_simulator):
    with pytest.raises(InvalidTextError):
        send_sms("a" * 460, numbers(2))
    with pytest.raises(InvalidTextError):
        send_sms("", numbers(2))
    with pytest.raises(InvalidSenderError):
        send_sms("Hi", numbers(2), sender="Much too long sender")
    assert letsads_simulator.log() == []


def test_own_validation_with_fail_silently_gives_failed_results(letsads_simulator):
    results = send_sms("a" * 460, [*numbers(2), "x"], fail_silently=True)
    assert [r.error_code for r in results] == [
        "MESSAGE_TOO_LONG",
        "MESSAGE_TOO_LONG",
        "INVALID_NUMBER",
    ]
    assert letsads_simulator.log() == []


def test_all_numbers_invalid_makes_no_request(letsads_simulator):
    results = send_sms("Hi", ["abc", "123"])
    assert [r.status for r in results] == [Status.FAILED, Status.FAILED]
    assert letsads_simulator.log() == []


def test_unknown_error_is_unknown_and_not_retried(letsads_simulator):
    letsads_simulator.inject("unknown_error", only="send")
    results = send_sms("Hi", numbers(2))
    assert {(r.status, r.error_code) for r in results} == {(Status.UNKNOWN, "UNKNOWN_ERROR")}
    assert len(letsads_simulator.log()) == 1


@pytest.mark.parametrize(
    ("fault", "code"),
    [("http_502", "HTTP_502"), ("drop", "CONNECTION_LOST"), ("truncated", "MALFORMED_XML")],
)
def test_ambiguous_transport_faults_are_unknown_and_never_resent(letsads_simulator, fault, code):
    letsads_simulator.inject(fault, only="send")
    results = send_sms("Hi", numbers(60))
    assert [r.status for r in results] == [Status.UNKNOWN] * 50 + [Status.QUEUED] * 10
    assert results[0].error_code == code
    # The gateway did queue the first batch; it is not sent a second time.
    assert len([e for e in letsads_simulator.log() if e.kind == "send"]) == 2
    assert all(letsads_simulator.billed_count(n) == 1 for n in numbers(60))


@pytest.mark.letsads_simulator(timeout_seconds=3)
def test_timeout_is_unknown(letsads_simulator, settings):
    settings.LETSADS = {**settings.LETSADS, "TIMEOUT": 0.3}
    letsads_simulator.inject("timeout", only="send")
    results = send_sms("Hi", numbers(2))
    assert {(r.status, r.error_code) for r in results} == {(Status.UNKNOWN, "TIMEOUT")}


def test_unreachable_gateway_is_failed_after_bounded_retries(letsads_simulator, settings):
    settings.LETSADS = {**settings.LETSADS, "CONNECT_RETRIES": 1}
    letsads_simulator.down()
    results = send_sms("Hi", numbers(2))
    assert {(r.status, r.error_code) for r in results} == {(Status.FAILED, "UNREACHABLE")}


def test_a_connection_reuses_one_http_session(letsads_simulator):
    with get_connection() as connection:
        for _ in range(5):
            results = send_sms("Hi", numbers(2), connection=connection)
            assert {r.status for r in results} == {Status.QUEUED}
    assert letsads_simulator.connections_accepted == 1


def test_missing_credentials_are_a_configuration_error_even_when_silent(settings):
    settings.LETSADS = {"LOGIN": "", "PASSWORD": ""}
    with pytest.raises(LetsAdsConfigurationError):
        send_sms("Hi", numbers(1), fail_silently=True)


def test_explicit_options_override_settings(letsads_simulator, settings):
    from django_letsads.conf import letsads_settings

    url, login, password = (
        letsads_settings.API_URL,
        letsads_settings.LOGIN,
        letsads_settings.PASSWORD,
    )
    settings.LETSADS = {"LOGIN": "", "PASSWORD": "", "API_URL": "http://127.0.0.1:9/"}
    connection = get_connection(LETSADS, login=login, password=password, api_url=url)
    results = send_sms("Hi", numbers(1), connection=connection)
    assert results[0].status == Status.QUEUED

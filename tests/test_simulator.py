"""Conformance of the simulator with the LetsAds protocol, over real HTTP with the real client."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests
from django.conf import settings

from django_letsads import protocol
from django_letsads.client import LetsAdsClient
from django_letsads.exceptions import (
    ApiDisabledError,
    AuthError,
    IncorrectRecipientError,
    MalformedRequestError,
    MaxMessagesCountError,
    MessageNotExistError,
    MessageTooLongError,
    NoMessageError,
    NotEnoughMoneyError,
    NotModeratedError,
    SenderError,
    error_for_code,
)
from django_letsads.simulator import IN_QUEUE, IS_DELIVERED, IS_SENT, NOT_DELIVERED

A, B, C = "380671234567", "380671234568", "380671234569"


@pytest.fixture
def sim(letsads_simulator):
    return letsads_simulator


@pytest.fixture
def client(sim):
    cfg = settings.LETSADS
    with LetsAdsClient(cfg["LOGIN"], cfg["PASSWORD"], api_url=cfg["API_URL"], timeout=5) as c:
        yield c


def post_raw(sim, body: bytes) -> bytes:
    answer = requests.post(sim.url, data=body, timeout=5)
    assert answer.status_code == 200
    return answer.content


def login() -> str:
    return settings.LETSADS["LOGIN"]


# -- send -------------------------------------------------------------------------------------


def test_fixture_points_settings_at_the_simulator(sim):
    assert settings.LETSADS["API_URL"] == sim.url
    assert sim.url.startswith("http://127.0.0.1:")
    assert sim.account(settings.LETSADS["LOGIN"]).senders >= {"Test", settings.LETSADS["SENDER"]}


def test_send_returns_one_growing_id_per_recipient_in_order(sim, client):
    first = client.send("Test", "Hello", [A, B, C])
    second = client.send("Test", "Hello", [A])
    assert len(first) == 3
    assert first == sorted(first)
    assert first[0] > 999_999
    assert second[0] > first[-1]
    assert [sim.message(i).recipient for i in first] == [A, B, C]


def test_send_is_logged_as_received_without_the_password(sim, client):
    ids = client.send("Test", "Hello", [A, B])
    (entry,) = sim.log()
    assert entry.kind == "send"
    assert entry.login == login()
    assert entry.auth_ok
    assert (entry.sender, entry.text, entry.recipients) == ("Test", "Hello", (A, B))
    assert entry.sms_ids == tuple(ids)
    assert entry.processed
    assert (entry.name, entry.code, entry.fault) == ("Complete", "2 messages put into queue", None)
    assert settings.LETSADS["PASSWORD"] not in repr(sim.log())
    assert settings.LETSADS["PASSWORD"] not in repr(sim.account(login()))
    assert settings.LETSADS["PASSWORD"] not in str(sim.stats())


@pytest.mark.parametrize(
    ("count", "description"), [(1, "1 message put into queue"), (2, "2 messages put into queue")]
)
def test_complete_answer_is_byte_faithful(sim, count, description):
    recipients = [A, B][:count]
    body = protocol.build_send(login(), settings.LETSADS["PASSWORD"], "Test", "Hi", recipients)
    answer = post_raw(sim, body)
    first = sim.gateway.first_id
    ids = "".join(f"<sms_id>{first + i}</sms_id>" for i in range(count))
    assert answer == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b"<response><name>Complete</name><description>"
        + description.encode()
        + b"</description>"
        + ids.encode()
        + b"</response>"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Tom & Jerry <b>bold</b> > all",
        "Привіт, світе! Ваш код: 1234",
        "Emoji 😀👍 and €",
        "lines\r\nand\ttabs\n",
        "  leading and trailing spaces  ",
        "quotes ' \" and ]]> end",
    ],
)
def test_text_reaches_the_gateway_exactly(sim, client, text):
    (sms_id,) = client.send("Test", text, [A])
    assert sim.message(sms_id).text == text
    assert sim.log()[-1].text == text


def test_sent_recipients_and_billed_count_show_duplicates(sim, client):
    client.send("Test", "one", [A, B])
    client.send("Test", "two", [A])
    assert sim.sent_recipients() == [A, B, A]
    assert sim.billed_count(A) == 2
    assert sim.billed_count(B) == 1
    assert sim.billed_count(C) == 0


# -- status -----------------------------------------------------------------------------------


@pytest.mark.letsads_simulator(speed=0, sent_after=600, final_after=3600)
def test_status_advances_with_the_clock(sim, client):
    delivered, failed = client.send("Test", "Hi", ["380671234567", "380671234505"])
    assert client.status(delivered) == IN_QUEUE
    sim.clock.advance(599)
    assert client.status(delivered) == IN_QUEUE
    sim.clock.advance(1)
    assert client.status(delivered) == IS_SENT
    assert client.status(failed) == IS_SENT
    sim.clock.advance(3000)
    assert client.status(delivered) == IS_DELIVERED
    assert client.status(failed) == NOT_DELIVERED  # ends in 05: in the default 10 % share
    assert sim.message(delivered).status == IS_DELIVERED


@pytest.mark.letsads_simulator(speed=0, undelivered=lambda number: number == "380671234567")
def test_delivery_rule_is_configurable(sim, client):
    bad, good = client.send("Test", "Hi", [A, B])
    sim.advance(10_000)
    assert (client.status(bad), client.status(good)) == (NOT_DELIVERED, IS_DELIVERED)


@pytest.mark.letsads_simulator(speed=0)
def test_forced_status_wins(sim, client):
    (sms_id,) = client.send("Test", "Hi", [A])
    sim.force_status(sms_id, NOT_DELIVERED)
    assert client.status(sms_id) == NOT_DELIVERED


def test_status_answer_has_the_leading_space_of_the_providers_page(sim, client):
    (sms_id,) = client.send("Test", "Hi", [A])
    body = protocol.build_status(login(), settings.LETSADS["PASSWORD"], sms_id)
    assert post_raw(sim, body) == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b"<response><name> Status</name><description>MESSAGE_IN_QUEUE</description></response>"
    )


@pytest.mark.parametrize("sms_id", ["999", "1633217000", "abc", ""])
def test_unknown_message_is_message_not_exist(client, sms_id):
    with pytest.raises(MessageNotExistError) as info:
        client.status(sms_id)
    assert info.value.code == "MESSAGE_NOT_EXIST"


def test_message_of_another_account_does_not_exist(sim, client):
    sim.add_account("380990000000", "other")
    with LetsAdsClient("380990000000", "other", api_url=sim.url) as other:
        (sms_id,) = other.send("Test", "Hi", [A])
    with pytest.raises(MessageNotExistError):
        client.status(sms_id)


# -- balance and billing ----------------------------------------------------------------------


def test_balance_is_a_decimal_with_currency(sim, client):
    sim.set_balance(login(), Decimal("123.45"))
    balance = client.balance()
    assert balance.amount == Decimal("123.45")
    assert balance.currency == "UAH"
    body = protocol.build_balance(login(), settings.LETSADS["PASSWORD"])
    assert post_raw(sim, body).endswith(
        b"<name>Balance</name><description>123.45</description><currency>UAH</currency></response>"
    )


@pytest.mark.parametrize(
    ("text", "segments"),
    [("a" * 160, 1), ("a" * 161, 2), ("я" * 70, 1), ("я" * 71, 2), ("я" * 402, 6)],
)
@pytest.mark.letsads_simulator(balance=Decimal("100"), price=Decimal("0.25"))
def test_billing_is_per_segment_per_recipient(sim, client, text, segments):
    client.send("Test", text, [A, B, C])
    assert client.balance().amount == Decimal("100") - Decimal("0.25") * segments * 3


@pytest.mark.letsads_simulator(balance=Decimal("1.00"), price=Decimal("0.50"))
def test_not_enough_money_refuses_the_whole_request(sim, client):
    with pytest.raises(NotEnoughMoneyError) as info:
        client.send("Test", "Hi", [A, B, C])
    assert info.value.code == "NOT_ENOUGH_MONEY"
    assert sim.sent_recipients() == []
    assert client.balance().amount == Decimal("1.00")
    assert not sim.log()[0].processed
    client.send("Test", "Hi", [A, B])  # exactly covered
    assert client.balance().amount == Decimal("0")
    sim.top_up(login(), Decimal("0.5"))
    assert client.send("Test", "Hi", [C])


# -- every error code -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sender", "text", "recipients", "error", "code"),
    [
        ("Test", "", [A], NoMessageError, "NO_MESSAGE"),
        ("Test", "   ", [A], NoMessageError, "NO_MESSAGE"),
        ("Test", "a" * 460, [A], MessageTooLongError, "MESSAGE_TOO_LONG"),
        ("Test", "{" * 230, [A], MessageTooLongError, "MESSAGE_TOO_LONG"),
        ("Test", "я" * 403, [A], MessageTooLongError, "MESSAGE_TOO_LONG"),
        ("Test", "😀" * 202, [A], MessageTooLongError, "MESSAGE_TOO_LONG"),
        ("Test", "Hi", [A] * 51, MaxMessagesCountError, "MAX_MESSAGES_COUNT"),
        ("TwelveChars1", "Hi", [A], SenderError, "INCORRECT_FROM"),
        ("Shop UA", "Hi", [A], SenderError, "INCORRECT_FROM"),
        ("1234567890123456", "Hi", [A], SenderError, "INCORRECT_FROM"),
        ("", "Hi", [A], SenderError, "INCORRECT_FROM"),
        ("Other", "Hi", [A], SenderError, "INVALID_FROM"),
    ],
)
def test_send_errors(sim, client, sender, text, recipients, error, code):
    with pytest.raises(error) as info:
        client.send(sender, text, recipients)
    assert info.value.code == code
    assert sim.sent_recipients() == []
    assert sim.log()[-1].code == code


@pytest.mark.parametrize("text", ["a" * 459, "я" * 402, "{" * 229 + "a", "😀" * 201])
def test_texts_at_the_limit_are_accepted(client, text):
    assert len(client.send("Test", text, [A])) == 1


@pytest.mark.parametrize(
    ("recipients", "bad"),
    [
        ([A, "12345", "abc"], "12345"),
        ([A, "+380671234567"], "+380671234567"),
        (["380 67 123 45 67", A], "380 67 123 45 67"),
        ([A, "1234567890123456"], "1234567890123456"),
    ],
)
def test_incorrect_recipient_names_the_first_and_sends_nothing(sim, client, recipients, bad):
    with pytest.raises(IncorrectRecipientError) as info:
        client.send("Test", "Hi", recipients)
    assert info.value.code == f"INCORRECT_RECIPIENT_{bad}"
    assert info.value.recipient == bad
    assert sim.sent_recipients() == []


def test_configured_bad_recipient(sim, client):
    sim.add_bad_recipients(B)
    with pytest.raises(IncorrectRecipientError) as info:
        client.send("Test", "Hi", [A, B, C])
    assert info.value.recipient == B
    assert client.send("Test", "Hi", [A, C])


def test_wrong_password_and_unknown_login_are_auth_data(sim):
    for user, password in [(login(), "wrong"), ("380000000000", "x")]:
        with LetsAdsClient(user, password, api_url=sim.url) as bad:
            for call in (
                bad.balance,
                lambda c=bad: c.status(1),
                lambda c=bad: c.send("Test", "x", [A]),
            ):
                with pytest.raises(AuthError) as info:
                    call()
                assert info.value.code == "AUTH_DATA"
    assert all(not entry.auth_ok for entry in sim.log())
    assert sim.sent_recipients() == []


def test_api_disabled_for_every_request(sim, client):
    sim.account(login()).api_enabled = False
    for call in (client.balance, lambda: client.status(1), lambda: client.send("Test", "x", [A])):
        with pytest.raises(ApiDisabledError) as info:
            call()
        assert info.value.code == "API_DISABLED"


def test_unmoderated_account_cannot_send_but_can_read(sim, client):
    sim.account(login()).moderated = False
    with pytest.raises(NotModeratedError) as info:
        client.send("Test", "Hi", [A])
    assert info.value.code == "USER_NOT_MODERATED"
    assert client.balance().amount == Decimal("1000")


_HOSTILE = [
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    b"<request><balance/></request>",
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<request>&x;</request>",
]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", "NO_DATA"),
        (b"  \n ", "NO_DATA"),
        (b"<request><auth>", "WRONG_DATA_FORMAT"),
        (b"not xml at all", "WRONG_DATA_FORMAT"),
        (b"\xff\xfe<request/>", "WRONG_DATA_FORMAT"),
        *[(body, "WRONG_DATA_FORMAT") for body in _HOSTILE],
        (b"<response><balance/></response>", "REQUEST_FORMAT"),
        (
            b"<request><auth><login>1</login><password>2</password></auth></request>",
            "REQUEST_FORMAT",
        ),
        (
            b"<request><auth><login>1</login><password>2</password></auth><x/></request>",
            "REQUEST_FORMAT",
        ),
    ],
)
def test_malformed_requests(sim, body, code):
    answer = post_raw(sim, body)
    assert answer == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<response><name>Error</name><description>'
        + code.encode()
        + b"</description></response>"
    )
    error = error_for_code(protocol.parse_response(answer).description)
    assert isinstance(error, MalformedRequestError)
    assert error.code == code


def test_a_send_without_recipients_is_refused(sim):
    body = protocol.build_send(login(), settings.LETSADS["PASSWORD"], "Test", "Hi", [])
    assert protocol.parse_response(post_raw(sim, body)).description == "REQUEST_FORMAT"

"""Answers of the real gateway that the documentation does not quite describe, over real HTTP.

Tolerated where no money depends on them: a status answer whose ``<name>`` is not exactly
``Status`` (its ``<description>`` is what integrations read), a balance with a decimal comma.
Send answers stay strict.
"""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from django_letsads.client import LetsAdsClient
from django_letsads.exceptions import BadResponseError, LetsAdsError
from tests.quirky_gateway import serve, xml_answer

PASSWORD = "pw-Secret-42"


pytestmark = pytest.mark.usefixtures("no_proxy_from_the_machine")


def client_for(url: str) -> LetsAdsClient:
    return LetsAdsClient("380501234567", PASSWORD, api_url=url, connect_retries=0)


def info_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.INFO and r.name.startswith("django_letsads")
    ]


@pytest.mark.parametrize("name", ["status", "STATUS", "Sta tus", "Statuses", "\u00a0Status\t"])
def test_a_status_answer_with_another_name_is_read_from_its_description(name):
    with serve(xml_answer(name, " MESSAGE_IS_DELIVERED ")) as gateway:
        assert client_for(gateway.url).status(632647) == "MESSAGE_IS_DELIVERED"


def test_each_name_variant_is_logged_once_at_info(caplog):
    caplog.set_level(logging.INFO, logger="django_letsads")
    with serve(xml_answer("StatusOnce", "MESSAGE_IN_QUEUE")) as first:
        client = client_for(first.url)
        for _ in range(3):
            client.status(1)
    with serve(xml_answer("statusonce", "MESSAGE_IS_SENT")) as second:
        for _ in range(2):
            client_for(second.url).status(2)

    lines = info_lines(caplog)
    assert len(lines) == 2, lines
    assert "'StatusOnce'" in lines[0]
    assert "'statusonce'" in lines[1]


def test_a_status_answer_with_another_name_and_no_status_code_is_refused():
    with (
        serve(xml_answer("status", "MESSAGE_LOST")) as gateway,
        pytest.raises(BadResponseError) as info,
    ):
        client_for(gateway.url).status(1)
    assert info.value.code == "UNEXPECTED_ANSWER"


def test_the_password_echoed_as_a_name_is_not_logged(caplog):
    caplog.set_level(logging.DEBUG, logger="django_letsads")
    with serve(xml_answer(f"Status {PASSWORD}", "MESSAGE_IS_SENT")) as gateway:
        assert client_for(gateway.url).status(3) == "MESSAGE_IS_SENT"
    assert info_lines(caplog)
    assert PASSWORD not in caplog.text


@pytest.mark.parametrize("name", ["complete", "COMPLETE", "Completed"])
def test_send_answers_stay_strict(name):
    answer = xml_answer(name, "1 messages put into queue", "<sms_id>5</sms_id>")
    with serve(answer) as gateway, pytest.raises(BadResponseError) as info:
        client_for(gateway.url).send("Test", "Hi", ["380671112233"])
    assert info.value.code == "UNEXPECTED_ANSWER"
    assert info.value.maybe_sent is True


@pytest.mark.parametrize(
    ("written", "amount"),
    [("12,50", "12.50"), ("0,5", "0.5"), ("12.50", "12.50"), ("1000", "1000"), ("-3,20", "-3.20")],
)
def test_a_balance_with_a_decimal_comma_or_point_is_read(written, amount):
    answer = xml_answer("Balance", written, "<currency>UAH</currency>")
    with serve(answer) as gateway:
        balance = client_for(gateway.url).balance()
    assert balance.amount == Decimal(amount)
    assert str(balance.amount) == amount
    assert balance.currency == "UAH"


@pytest.mark.parametrize(
    "written",
    [
        "1,234.56",  # thousands separators: which one is the decimal mark?
        "1.234,56",
        "1 234,50",
        "1\u00a0234,50",
        "1_000",
        "12,5,0",
        "12,",
        ",5",
        "1e3",
        "\u0661\u0662",  # Arabic-Indic digits, which Decimal would accept
        "NaN",
        "Infinity",
        "UAH 12.50",
        "",
    ],
)
def test_a_balance_that_is_not_a_plain_decimal_is_refused_clearly(written):
    answer = xml_answer("Balance", written, "<currency>UAH</currency>")
    with serve(answer) as gateway, pytest.raises(BadResponseError) as info:
        client_for(gateway.url).balance()
    assert info.value.code == "BAD_BALANCE"
    assert "is not a number" in str(info.value)


def test_a_balance_error_never_shows_the_password():
    with (
        serve(xml_answer("Balance", f"{PASSWORD},5")) as gateway,
        pytest.raises(BadResponseError) as info,
    ):
        client_for(gateway.url).balance()
    assert PASSWORD not in str(info.value)
    assert PASSWORD not in repr(info.value)


def test_the_password_echoed_as_an_error_code_is_masked():
    with (
        serve(xml_answer("Error", f"NO_{PASSWORD}")) as gateway,
        pytest.raises(LetsAdsError) as info,
    ):
        client_for(gateway.url).send("Test", "Hi", ["380671112233"])
    assert info.value.maybe_sent is True  # an unknown code: the request may have been queued
    assert info.value.code == "NO_********"
    assert PASSWORD not in str(info.value)
    assert PASSWORD not in repr(info.value)


def test_only_the_words_are_masked_never_the_answer():
    # A password of digits may well occur in an id or an amount: the answer is read unmasked.
    answer = xml_answer("Complete", "1 messages put into queue", "<sms_id>633217</sms_id>")
    with serve(answer) as gateway:
        client = LetsAdsClient("380501234567", "6332", api_url=gateway.url, connect_retries=0)
        assert client.send("Test", "Hi", ["380671112233"]) == [633217]
    with serve(xml_answer("Balance", "6332,10")) as gateway:
        client = LetsAdsClient("380501234567", "6332", api_url=gateway.url, connect_retries=0)
        assert client.balance().amount == Decimal("6332.10")

"""Wrong types and huge texts are refused at the door (issue 14, item 8)."""

from __future__ import annotations

import tracemalloc
from typing import Any

import pytest

from django_letsads import SmsMessage, send_sms
from django_letsads.exceptions import InvalidTextError
from django_letsads.text import validate_text


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"text": 12345, "recipients": ["380501234567"]}, "text"),
        ({"text": b"Hello", "recipients": ["380501234567"]}, "text"),
        ({"text": None, "recipients": ["380501234567"]}, "text"),
        ({"text": "Hello", "recipients": 380501234567}, "recipients"),
        ({"text": "Hello", "recipients": b"380501234567"}, "recipients"),
        ({"text": "Hello", "recipients": None}, "recipients"),
        ({"text": "Hello", "recipients": [b"380501234567"]}, "recipients"),
        ({"text": "Hello", "recipients": ["380501234567"], "sender": 123}, "sender"),
        ({"text": "Hello", "recipients": ["380501234567"], "sender": b"Shop"}, "sender"),
    ],
)
def test_a_wrong_type_is_a_type_error_naming_the_argument(
    sms_outbox: list[Any], kwargs: dict[str, Any], argument: str
) -> None:
    with pytest.raises(TypeError, match=rf"\b{argument}\b"):
        send_sms(**kwargs)
    with pytest.raises(TypeError, match=rf"\b{argument}\b"):
        SmsMessage(**kwargs)
    assert sms_outbox == []


def test_numbers_given_as_integers_in_a_list_are_still_accepted(sms_outbox: list[Any]) -> None:
    results = send_sms("Hello", [380501234567])
    assert [r.recipient for r in results] == ["380501234567"]


def test_a_ten_megabyte_text_is_refused_without_walking_it() -> None:
    text = "x" * (10 * 1024 * 1024)
    # Proportional to the limit, not to the text: no per-character list is built. Measured as
    # memory (a timed assertion would be flaky): walking 10 M characters allocates hundreds of MB.
    tracemalloc.start()
    try:
        with pytest.raises(InvalidTextError) as info:
            validate_text(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.code == "MESSAGE_TOO_LONG"
    assert peak < 1024 * 1024
    assert "459" in info.value.message


def test_a_long_text_through_send_sms_is_message_too_long(sms_outbox: list[Any]) -> None:
    with pytest.raises(InvalidTextError, match="limit"):
        send_sms("я" * 2_000_000, ["380501234567"])
    assert sms_outbox == []


def test_a_text_just_over_the_limit_still_names_its_encoding() -> None:
    with pytest.raises(InvalidTextError, match="UCS-2"):
        validate_text("я" * 403)

"""Sender names: alphanumeric up to 11 characters or numeric up to 15 digits."""

from __future__ import annotations

import pytest

from django_letsads.exceptions import InvalidSenderError
from django_letsads.senders import sender_error, validate_sender


@pytest.mark.parametrize(
    ("sender", "expected"),
    [
        ("Test", "Test"),
        ("Shop", "Shop"),
        ("ABCDEFGHIJK", "ABCDEFGHIJK"),
        ("My Shop", "My Shop"),
        ("shop.ua", "shop.ua"),
        ("Taxi-24", "Taxi-24"),
        ("A1", "A1"),
        ("380501234567", "380501234567"),
        ("+380501234567", "380501234567"),
        ("123456789012345", "123456789012345"),
        ("7", "7"),
    ],
)
def test_valid_senders(sender, expected):
    assert validate_sender(sender) == expected
    assert sender_error(sender) is None


@pytest.mark.parametrize(
    ("sender", "words"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("ABCDEFGHIJKL", "12 characters"),
        ("1234567890123456", "16 digits"),
        ("Магазин", "Latin"),
        ("Shop!!<>", "Latin"),
        (" Shop", "spaces"),
        ("Shop ", "spaces"),
        ("-Shop", "Latin"),
        ("12-34", "Latin"),  # no letter and not all digits
    ],
)
def test_invalid_senders_raise_a_clear_error(sender, words):
    with pytest.raises(InvalidSenderError) as caught:
        validate_sender(sender)
    assert words in str(caught.value)
    assert caught.value.code == "INVALID_SENDER"

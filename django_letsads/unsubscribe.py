"""Short signed unsubscribe tokens: a link that costs few characters of an SMS segment.

A token is the message's id in base 62 followed by a 6-character signature: a salted HMAC-SHA256
of that id (:func:`django.utils.crypto.salted_hmac`, the primitive under ``django.core.signing``)
under ``SECRET_KEY``, reduced to 6 base-62 characters. Ids below 62**6 (56 billion) give at
most 12 characters (message 1,234,567 → ``5ban`` + 6 = 10 characters).

Security margin: the signature has 62**6 ≈ 5.7e10 values (35.7 bits). Nobody can check a guess
offline without the key, so forging a link means posting guesses to the site: about 2.8e10
attempts on average for one success, i.e. ten months at a thousand requests a second, to unsubscribe one
arbitrary person (the only thing a token can do). Links signed with a key in
``SECRET_KEY_FALLBACKS`` keep working during a key rotation. The link names a message, not a
number: it reveals nothing about the recipient to whoever sees it.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.utils.crypto import salted_hmac

from django_letsads.exceptions import LetsAdsConfigurationError

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SIGNATURE_LENGTH = 6
#: The longest token for ids below 62**6; the campaign form reserves this much for the link.
MAX_TOKEN_LENGTH = 12
_SALT = "django_letsads.unsubscribe"
_INDEX = {ch: i for i, ch in enumerate(ALPHABET)}


def _base62(value: int, width: int = 1) -> str:
    digits = []
    while value:
        value, rest = divmod(value, 62)
        digits.append(ALPHABET[rest])
    return "".join(reversed(digits)).rjust(width, "0")


def _signature(value: str, secret: str | bytes) -> str:
    digest = salted_hmac(_SALT, value, secret=secret, algorithm="sha256").digest()
    return _base62(int.from_bytes(digest) % 62**SIGNATURE_LENGTH, SIGNATURE_LENGTH)


def make_token(message_id: int) -> str:
    """The token of message ``message_id`` (a positive id)."""
    if message_id <= 0:
        raise ValueError(f"message id must be positive, not {message_id!r}")
    value = _base62(message_id)
    return value + _signature(value, settings.SECRET_KEY)


def read_token(token: str) -> int | None:
    """The message id of a genuine token; ``None`` for anything forged, cut short or altered."""
    if not SIGNATURE_LENGTH < len(token) <= 2 * MAX_TOKEN_LENGTH:
        return None
    if any(ch not in _INDEX for ch in token):
        return None
    value, signature = token[:-SIGNATURE_LENGTH], token[-SIGNATURE_LENGTH:]
    if value.startswith("0"):  # one spelling per id
        return None
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if not any(hmac.compare_digest(signature, _signature(value, key)) for key in keys):
        return None
    message_id = 0
    for ch in value:
        message_id = message_id * 62 + _INDEX[ch]
    return message_id


def base_url() -> str:
    """``LETSADS["UNSUBSCRIBE_BASE_URL"]``; raises ``LetsAdsConfigurationError`` when unset."""
    from django_letsads.conf import letsads_settings

    base = letsads_settings.UNSUBSCRIBE_BASE_URL
    if not base:
        raise LetsAdsConfigurationError(
            "A text uses {unsubscribe_url}, but settings.LETSADS['UNSUBSCRIBE_BASE_URL'] is not "
            "set (e.g. 'https://example.com/sms/', where django_letsads.urls is included)."
        )
    return base


def unsubscribe_url(message_id: int) -> str:
    """The link for message ``message_id``: the base URL followed by its token."""
    return base_url() + make_token(message_id)

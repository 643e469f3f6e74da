"""What may stand in ``<from>``: checked before sending, because the gateway's ``INCORRECT_FROM``
stops a whole request (and, in a campaign, a whole run).

A sender is either alphanumeric — Latin letters, digits and a few marks, at most 11 characters,
with at least one letter — or numeric, at most 15 digits (an international number, ``+`` allowed
and dropped). Whether the name is *registered* for the account only the gateway knows
(``INVALID_FROM``).
"""

from __future__ import annotations

import re

from django_letsads.exceptions import InvalidSenderError

MAX_ALPHANUMERIC = 11
MAX_NUMERIC = 15

_ALPHANUMERIC = re.compile(r"[A-Za-z0-9][A-Za-z0-9 .\-_&!']*")
_LETTER = re.compile(r"[A-Za-z]")


def sender_error(sender: str) -> str | None:
    """Why ``sender`` cannot be sent, or None when it can. Does not raise (used by checks)."""
    if not sender or not sender.strip():
        return "The sender is empty."
    if sender != sender.strip():
        return f"The sender {sender!r} has spaces around it."
    numeric = sender.removeprefix("+")
    if numeric.isascii() and numeric.isdigit():
        if len(numeric) > MAX_NUMERIC:
            return (
                f"The numeric sender {sender!r} has {len(numeric)} digits; at most {MAX_NUMERIC}."
            )
        return None
    if not _ALPHANUMERIC.fullmatch(sender) or not _LETTER.search(sender):
        return (
            f"The sender {sender!r} must be Latin letters and digits (with spaces, '.', '-', '_', "
            "'&', '!' or \"'\" inside), or a number."
        )
    if len(sender) > MAX_ALPHANUMERIC:
        return (
            f"The sender {sender!r} has {len(sender)} characters; an alphanumeric sender has at "
            f"most {MAX_ALPHANUMERIC}."
        )
    return None


def validate_sender(sender: str) -> str:
    """The sender as it goes into ``<from>`` (a numeric one without ``+``), or
    :class:`InvalidSenderError` saying what is wrong."""
    error = sender_error(sender)
    if error:
        raise InvalidSenderError(error, code="INVALID_SENDER")
    numeric = sender.removeprefix("+")
    return numeric if numeric.isdigit() else sender

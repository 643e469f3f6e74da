"""One-time codes: make one, text it, check it.

This module is what an app of yours would look like: it knows ``send_sms`` and nothing about
backends, workers or the gateway; ``SMS_BACKEND`` in settings decides where the text goes.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence
from typing import Any

from django_letsads import send_sms

CODE_DIGITS = 6


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def send_code(phone: str, code: str, *, sender: str | None = None) -> Sequence[Any]:
    """Text ``code`` to ``phone``; returns the one result ``send_sms`` gives for it.

    ``fail_silently`` stays False: a login page must tell the user when no code can be sent.
    """
    results: Sequence[Any] = send_sms(
        f"Your code is {code}. It expires in 10 minutes.", [phone], sender=sender
    )
    return results


def code_matches(expected: str | None, given: str) -> bool:
    return bool(expected) and hmac.compare_digest(str(expected), given.strip())

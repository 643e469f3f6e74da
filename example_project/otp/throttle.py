"""Limits on how often codes are sent: each one costs money and lands on someone's phone.

Two fixed windows in Django's cache: per phone number (nobody gets flooded with codes) and per
client address (one visitor cannot spend the budget on many numbers). A real site behind a
proxy takes the address from the proxy's header instead of ``REMOTE_ADDR``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest

#: (codes, seconds) per phone number and per client address.
PER_NUMBER = (3, 600)
PER_ADDRESS = (10, 3600)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0


def _spend(key: str, limit: int, window: int) -> bool:
    """Count one use of ``key``; False once ``limit`` uses fall in the current window."""
    cache.add(key, 0, window)  # starts the window only if none is running
    try:
        used = cache.incr(key)
    except ValueError:  # the window ended between add() and incr()
        cache.set(key, 1, window)
        used = 1
    return used <= limit


def allow_code(request: HttpRequest, number: str) -> Verdict:
    """Whether a code may be sent to ``number`` for this request's client now."""
    address = request.META.get("REMOTE_ADDR", "")
    for key, (limit, window) in (
        (f"otp:number:{number}", PER_NUMBER),
        (f"otp:address:{address}", PER_ADDRESS),
    ):
        if not _spend(key, limit, window):
            return Verdict(False, retry_after=window)
    return Verdict(True)

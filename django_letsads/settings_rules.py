"""What each ``LETSADS`` setting must be: one set of rules for ``manage.py check`` and the workers.

A setting of the wrong type used to crash ``check`` itself (``LETSADS = "x"``, an ``API_URL`` of
``"http://[::1"``) or pass it and fail at run time, sometimes after a message was claimed (a
``TIMEOUT`` of ``0``). :func:`setting_problems` is the one place that judges them: the system
checks report what it finds (:mod:`django_letsads.checks`), the workers refuse to start with the
same words (:func:`require_valid_settings`), and :mod:`django_letsads.conf` raises them when a
bad value is read. It never raises, whatever the settings hold.

Ids: ``E004`` poll schedule, ``E007`` API URL, ``E010`` ``LETSADS`` is not a dict, ``E011``
``TIMEOUT``, ``E012`` a whole number of the wrong type or below its minimum, ``E013``
``RATE_LIMIT``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from django_letsads.exceptions import LetsAdsConfigurationError


@dataclass(frozen=True)
class Problem:
    id: str
    message: str
    hint: str = ""


#: Whole-number settings and their least allowed value (``BATCH_SIZE``: any; the gateway's range
#: is a warning, W002, and the value is clamped to it).
WHOLE_NUMBERS: dict[str, int | None] = {
    "BATCH_SIZE": None,
    "CONCURRENCY": 1,
    "CLAIM_SIZE": 1,
    "CLAIM_LEASE": 1,
    "CONNECT_RETRIES": 0,
    "POLL_RETRY_DELAY": 1,
    "BALANCE_CACHE_SECONDS": 0,
}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _poll_schedule(value: Any) -> Problem | None:
    ok = (
        isinstance(value, list | tuple)
        and len(value) > 0
        and all(_is_int(s) and s > 0 for s in value)
        and all(a < b for a, b in itertools.pairwise(value))
    )
    if ok:
        return None
    return Problem(
        "django_letsads.E004",
        f"LETSADS['POLL_SCHEDULE'] is {value!r}; it must be a non-empty list of increasing "
        "positive whole seconds after sending.",
        "The gateway asks for a first check after 10 minutes and a second after 3 hours: "
        "[600, 10800, 86400].",
    )


def _api_url(value: Any) -> Problem | None:
    problem = Problem(
        "django_letsads.E007",
        f"LETSADS['API_URL'] is {value!r}, not an http(s) URL.",
        "Use https://api.letsads.com.",
    )
    if not isinstance(value, str) or value != value.strip() or any(c.isspace() for c in value):
        return problem
    try:
        url = urlsplit(value)
        url.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return problem
    if url.scheme not in ("http", "https") or not url.hostname:
        return problem
    return None


def _timeout(value: Any) -> Problem | None:
    if _is_number(value) and value > 0:
        return None
    return Problem(
        "django_letsads.E011",
        f"LETSADS['TIMEOUT'] is {value!r}; it must be a number of seconds above 0.",
        "It bounds each call to the gateway as a whole; the default is 15.",
    )


def _rate_limit(value: Any) -> Problem | None:
    if value is None or (_is_number(value) and value >= 0):
        return None
    return Problem(
        "django_letsads.E013",
        f"LETSADS['RATE_LIMIT'] is {value!r}; it must be a number of requests per second "
        "(0 for no cap).",
    )


def _whole_number(key: str) -> Callable[[Any], Problem | None]:
    least = WHOLE_NUMBERS[key]

    def rule(value: Any) -> Problem | None:
        if _is_int(value) and (least is None or value >= least):
            return None
        return Problem(
            "django_letsads.E012",
            f"LETSADS[{key!r}] is {value!r}; it must be a whole number"
            + (f" of at least {least}." if least is not None else "."),
        )

    return rule


RULES: dict[str, Callable[[Any], Problem | None]] = {
    "API_URL": _api_url,
    "TIMEOUT": _timeout,
    "POLL_SCHEDULE": _poll_schedule,
    "RATE_LIMIT": _rate_limit,
    **{key: _whole_number(key) for key in WHOLE_NUMBERS},
}


def letsads_dict() -> dict[str, Any] | Problem:
    """``settings.LETSADS`` (``{}`` when unset), or the problem if it is not a dict."""
    value = getattr(settings, "LETSADS", None)
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    return Problem(
        "django_letsads.E010",
        f"settings.LETSADS is a {type(value).__name__}, not a dict.",
        'Write it as LETSADS = {"LOGIN": "380…", "PASSWORD": "…", "SENDER": "…"}.',
    )


def problem_of(key: str, value: Any) -> Problem | None:
    """The problem with ``value`` for the setting ``key``, if any (keys without a rule: none)."""
    rule = RULES.get(key)
    return rule(value) if rule is not None else None


def setting_problems() -> list[Problem]:
    """Every problem of the settings, in the order of :data:`RULES`; ``[]`` when all is well."""
    from django_letsads.conf import DEFAULTS

    user = letsads_dict()
    if isinstance(user, Problem):
        return [user]
    problems = []
    for key in RULES:
        problem = problem_of(key, user.get(key, DEFAULTS[key]))
        if problem is not None:
            problems.append(problem)
    return problems


def require_valid_settings() -> None:
    """Raise ``LetsAdsConfigurationError`` with the check's message(s) if a setting is wrong."""
    problems = setting_problems()
    if problems:
        raise LetsAdsConfigurationError(
            " ".join(f"{p.message} ({p.id})" for p in problems) + " Run manage.py check."
        )

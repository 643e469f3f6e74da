"""What each ``LETSADS`` setting must be: one set of rules for ``manage.py check`` and the workers.

A setting of the wrong type used to crash ``check`` itself (``LETSADS = "x"``, an ``API_URL`` of
``"http://[::1"``) or pass it and fail at run time, sometimes after a message was claimed (a
``TIMEOUT`` of ``0``). :func:`setting_problems` is the one place that judges them: the system
checks report what it finds (:mod:`django_letsads.checks`), the workers refuse to start with the
same words (:func:`require_valid_settings`), and :mod:`django_letsads.conf` raises them when a
bad value is read. It never raises, whatever the settings hold.

Ids: ``E004`` poll schedule, ``E007`` API URL, ``E010`` ``LETSADS`` is not a dict, ``E011``
``TIMEOUT``, ``E012`` a whole number of the wrong type or below its minimum, ``E013``
``RATE_LIMIT``; several accounts (:func:`account_dicts`): ``E080`` no ``"default"`` account,
``E081`` an account key at the top of a ``LETSADS`` with accounts, ``E082`` a shared key inside
one account (but those of ``defaults.ACCOUNT_OVERRIDES``), ``E083`` an alias that is not a short string.

``LETSADS`` has two forms. Flat (``{"LOGIN": …, "PASSWORD": …}``): one account, ``"default"``.
With accounts (``{"default": {…}, "promo": {…}, "POLL_SCHEDULE": …}``): each value that is a dict
is an account (its alias is the key) holding only :data:`ACCOUNT_KEYS`; the other keys stay at the
top and are shared by all accounts.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from django_letsads.defaults import ACCOUNT_OVERRIDES, DEFAULTS
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


#: The keys that belong to one account; every other key of ``LETSADS`` is shared by all accounts.
ACCOUNT_KEYS: tuple[str, ...] = (
    "LOGIN",
    "PASSWORD",
    "SENDER",
    "API_URL",
    "TIMEOUT",
    "CONNECT_RETRIES",
    "CONCURRENCY",
    "RATE_LIMIT",
)
DEFAULT_ALIAS = "default"
#: ``Message.account`` and ``Campaign.account`` hold at most this many characters.
MAX_ALIAS_LENGTH = 64


def has_accounts(user: dict[str, Any]) -> bool:
    """True when ``LETSADS`` is written with accounts (some value is a dict), not flat."""
    return any(isinstance(value, dict) for value in user.values())


def account_dicts(user: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Alias → that account's settings; a flat ``LETSADS`` is the one account ``"default"``."""
    if not has_accounts(user):
        return {DEFAULT_ALIAS: user}
    return {str(key): value for key, value in user.items() if isinstance(value, dict)}


def shared_dict(user: dict[str, Any]) -> dict[str, Any]:
    """The keys shared by all accounts (for a flat ``LETSADS``, all of it)."""
    if not has_accounts(user):
        return user
    return {key: value for key, value in user.items() if not isinstance(value, dict)}


def setting_name(key: str, alias: str | None) -> str:
    """How the check and the errors name a setting: ``LETSADS['KEY']`` or, for an account of a
    ``LETSADS`` with accounts, ``LETSADS['promo']['KEY']``."""
    return f"LETSADS[{key!r}]" if alias is None else f"LETSADS[{alias!r}][{key!r}]"


def alias_in_names(user: dict[str, Any], alias: str) -> str | None:
    """The alias to name in messages about ``alias``'s keys (None for a flat ``LETSADS``)."""
    return alias if has_accounts(user) else None


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


def problem_of(key: str, value: Any, alias: str | None = None) -> Problem | None:
    """The problem with ``value`` for the setting ``key``, if any (keys without a rule: none);
    ``alias`` names the account it belongs to in the message (see :func:`setting_name`)."""
    rule = RULES.get(key)
    problem = rule(value) if rule is not None else None
    if problem is not None and alias is not None:
        name = setting_name(key, alias)
        problem = Problem(
            problem.id, problem.message.replace(f"LETSADS[{key!r}]", name), problem.hint
        )
    return problem


def _structure_problems(user: dict[str, Any]) -> list[Problem]:
    """What is wrong with how a ``LETSADS`` with accounts is laid out (E080-E083)."""
    if not has_accounts(user):
        return []
    problems = []
    accounts = account_dicts(user)
    if DEFAULT_ALIAS not in accounts:
        problems.append(
            Problem(
                "django_letsads.E080",
                f"LETSADS has accounts ({', '.join(repr(a) for a in accounts)}) but none is "
                "called 'default'.",
                "Messages and campaigns use the 'default' account unless told otherwise: "
                'LETSADS = {"default": {"LOGIN": …, "PASSWORD": …}, …}.',
            )
        )
    for key in user:
        if not isinstance(key, str) or not key or len(key) > MAX_ALIAS_LENGTH:
            if isinstance(user[key], dict):
                problems.append(
                    Problem(
                        "django_letsads.E083",
                        f"LETSADS has an account called {key!r}; an alias must be a string of 1 "
                        f"to {MAX_ALIAS_LENGTH} characters.",
                    )
                )
        elif key in ACCOUNT_KEYS:
            problems.append(
                Problem(
                    "django_letsads.E081",
                    f"LETSADS[{key!r}] is at the top of a LETSADS with accounts, where it "
                    "belongs to none of them.",
                    f"Move it into each account, e.g. LETSADS['default'][{key!r}].",
                )
            )
    for alias, account in accounts.items():
        for key in account:
            if key in DEFAULTS and key not in ACCOUNT_KEYS and key not in ACCOUNT_OVERRIDES:
                problems.append(
                    Problem(
                        "django_letsads.E082",
                        f"{setting_name(key, alias)} is set for one account, but {key} is shared "
                        "by all accounts.",
                        f"Move it to the top of LETSADS: LETSADS[{key!r}]. Only "
                        f"{', '.join(ACCOUNT_KEYS)} are set per account.",
                    )
                )
    return problems


def setting_problems() -> list[Problem]:
    """Every problem of the settings, in the order of :data:`RULES`; ``[]`` when all is well."""
    user = letsads_dict()
    if isinstance(user, Problem):
        return [user]
    problems = _structure_problems(user)
    shared = shared_dict(user)
    accounts = account_dicts(user)
    for key in RULES:
        if key not in ACCOUNT_KEYS:
            problem = problem_of(key, shared.get(key, DEFAULTS[key]))
            if problem is not None:
                problems.append(problem)
            continue
        for alias, account in accounts.items():
            named = alias_in_names(user, alias)
            problem = problem_of(key, account.get(key, DEFAULTS[key]), named)
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

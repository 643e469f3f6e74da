"""Typed access to the ``LETSADS`` and ``SMS_BACKEND`` settings.

Every property reads ``django.conf.settings`` on each access, so ``override_settings`` and
settings changed at run time just work; nothing is cached at import.
"""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal
from typing import Any

from django.conf import settings as django_settings

from django_letsads.defaults import ACCOUNT_OVERRIDES, DEFAULT_API_URL, DEFAULTS
from django_letsads.exceptions import LetsAdsConfigurationError
from django_letsads.setting_values import parse_price, parse_quiet_hours
from django_letsads.settings_rules import (
    ACCOUNT_KEYS,
    DEFAULT_ALIAS,
    Problem,
    account_dicts,
    alias_in_names,
    has_accounts,
    letsads_dict,
    problem_of,
    setting_name,
    shared_dict,
)

DEFAULT_BACKEND = "django_letsads.backends.letsads.SmsBackend"

__all__ = [
    "DEFAULTS",
    "DEFAULT_API_URL",
    "DEFAULT_BACKEND",
    "LetsAdsSettings",
    "letsads_settings",
    "parse_price",
    "parse_quiet_hours",
    "unknown_alias_message",
]


class LetsAdsSettings:
    """One property per setting, each read from Django settings when accessed.

    The keys of one account (``settings_rules.ACCOUNT_KEYS``) are those of the account ``alias``
    (``letsads_settings`` is the ``"default"`` one; :func:`django_letsads.accounts.get_account`
    gives the others); the other keys are shared by all accounts, but an account may set those
    of ``defaults.ACCOUNT_OVERRIDES`` (``PRICE_PER_SEGMENT``) for itself.
    """

    def __init__(self, alias: str = DEFAULT_ALIAS) -> None:
        self.alias = alias

    def __repr__(self) -> str:
        return f"<LetsAdsSettings account={self.alias!r}>"

    def _user(self) -> dict[str, Any]:
        user = letsads_dict()
        if isinstance(user, Problem):
            raise LetsAdsConfigurationError(f"{user.message} ({user.id})")
        return user

    def _get(self, key: str) -> Any:
        user = self._user()
        if key in ACCOUNT_OVERRIDES and key in self._own(user):
            return self._own(user)[key]
        if key not in ACCOUNT_KEYS:
            return shared_dict(user).get(key, DEFAULTS[key])
        accounts = account_dicts(user)
        if self.alias not in accounts:
            raise LetsAdsConfigurationError(unknown_alias_message(self.alias, list(accounts)))
        return accounts[self.alias].get(key, DEFAULTS[key])

    def _own(self, user: dict[str, Any]) -> dict[str, Any]:
        """This account's own keys in a ``LETSADS`` with accounts (``{}`` for a flat one, or an
        alias it does not have: a shared key then has its shared value)."""
        if not has_accounts(user):
            return {}
        return account_dicts(user).get(self.alias, {})

    def _checked(self, key: str) -> Any:
        """The value of ``key``, or the system check's error for it (``settings_rules``)."""
        value = self._get(key)
        named = alias_in_names(self._user(), self.alias) if key in ACCOUNT_KEYS else None
        problem = problem_of(key, value, named)
        if problem is not None:
            raise LetsAdsConfigurationError(f"{problem.message} ({problem.id})")
        return value

    def as_dict(self) -> dict[str, Any]:
        return {key: self._get(key) for key in DEFAULTS}

    @property
    def BACKEND(self) -> str:
        return str(getattr(django_settings, "SMS_BACKEND", DEFAULT_BACKEND) or DEFAULT_BACKEND)

    @property
    def LOGIN(self) -> str:
        return str(self._get("LOGIN") or "")

    @property
    def PASSWORD(self) -> str:
        return str(self._get("PASSWORD") or "")

    @property
    def SENDER(self) -> str:
        return str(self._get("SENDER") or "")

    @property
    def API_URL(self) -> str:
        return str(self._checked("API_URL"))

    @property
    def TIMEOUT(self) -> float:
        return float(self._checked("TIMEOUT"))

    @property
    def POLL_SCHEDULE(self) -> list[int]:
        # Checked on access as well as by the system check: a string ("600" would poll at 6, 0,
        # 0 s), an empty list (nothing ever polled) or [600, 60] must fail loudly at first use.
        return list(self._checked("POLL_SCHEDULE"))

    @property
    def POLL_RETRY_DELAY(self) -> int:
        return int(self._checked("POLL_RETRY_DELAY"))

    @property
    def BATCH_SIZE(self) -> int:
        return max(1, min(50, int(self._checked("BATCH_SIZE"))))

    @property
    def CONCURRENCY(self) -> int:
        return int(self._checked("CONCURRENCY"))

    @property
    def RATE_LIMIT(self) -> float:
        return float(self._checked("RATE_LIMIT") or 0)

    @property
    def CLAIM_SIZE(self) -> int:
        return int(self._checked("CLAIM_SIZE"))

    @property
    def CLAIM_LEASE(self) -> int:
        return int(self._checked("CLAIM_LEASE"))

    @property
    def CONNECT_RETRIES(self) -> int:
        return int(self._checked("CONNECT_RETRIES"))

    @property
    def MAX_LENGTH_GSM7(self) -> int:
        return int(self._get("MAX_LENGTH_GSM7"))

    @property
    def MAX_LENGTH_UCS2(self) -> int:
        return int(self._get("MAX_LENGTH_UCS2"))

    @property
    def DEFAULT_REGION(self) -> str:
        return str(self._get("DEFAULT_REGION") or "UA")

    @property
    def FILE_PATH(self) -> str:
        return str(self._get("FILE_PATH") or "")

    @property
    def BALANCE_CACHE_SECONDS(self) -> int:
        return int(self._checked("BALANCE_CACHE_SECONDS"))

    @property
    def USE_TASKS(self) -> bool:
        return bool(self._get("USE_TASKS"))

    @property
    def UNSUBSCRIBE_BASE_URL(self) -> str:
        return str(self._get("UNSUBSCRIBE_BASE_URL") or "")

    @property
    def TASKS_BACKEND(self) -> str:
        return str(self._get("TASKS_BACKEND"))

    @property
    def TASKS_QUEUE(self) -> str:
        return str(self._get("TASKS_QUEUE"))

    @property
    def TASKS_PRIORITY(self) -> int:
        return int(self._get("TASKS_PRIORITY"))

    @property
    def TASKS_ROUND_LIMIT(self) -> int:
        return max(1, int(self._get("TASKS_ROUND_LIMIT")))

    @property
    def TASKS_LEASE(self) -> float:
        return float(self._get("TASKS_LEASE"))

    @property
    def TASKS_IDLE_DELAY(self) -> float:
        return float(self._get("TASKS_IDLE_DELAY"))

    @property
    def QUIET_HOURS(self) -> tuple[datetime.time, datetime.time] | None:
        value = self._get("QUIET_HOURS")
        try:
            return parse_quiet_hours(value)
        except ValueError as exc:
            from django_letsads.exceptions import LetsAdsConfigurationError

            raise LetsAdsConfigurationError(
                f"settings.LETSADS['QUIET_HOURS'] is {value!r}: {exc}."
            ) from None

    @property
    def TIME_ZONE(self) -> zoneinfo.ZoneInfo:
        name = self._get("TIME_ZONE") or django_settings.TIME_ZONE or "UTC"
        try:
            return zoneinfo.ZoneInfo(str(name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            from django_letsads.exceptions import LetsAdsConfigurationError

            raise LetsAdsConfigurationError(
                f"settings.LETSADS['TIME_ZONE'] is {name!r}, not a time zone zoneinfo knows."
            ) from None

    @property
    def PRICE_PER_SEGMENT(self) -> Decimal | None:
        """This account's price of one segment: its own, else the shared one."""
        value = self._get("PRICE_PER_SEGMENT")
        if value is None or value == "":
            return None
        price = parse_price(value)
        if price is None:
            own = "PRICE_PER_SEGMENT" in self._own(self._user())
            name = setting_name("PRICE_PER_SEGMENT", self.alias if own else None)
            raise LetsAdsConfigurationError(
                f"settings.{name} is {value!r}; it must be a price of one segment that is not "
                "negative, e.g. Decimal('0.45'), or None."
            )
        return price

    @property
    def WORKER_STALE_AFTER(self) -> int:
        return max(1, int(self._get("WORKER_STALE_AFTER")))


def unknown_alias_message(alias: str, configured: list[str]) -> str:
    """The error for an account alias that ``LETSADS`` does not have."""
    names = ", ".join(repr(name) for name in configured) or "none"
    return (
        f"The LetsAds account {alias!r} is not configured; settings.LETSADS has: {names}. "
        f'Add it as LETSADS = {{"default": {{…}}, {alias!r}: {{"LOGIN": …, "PASSWORD": …}}}}.'
    )


letsads_settings = LetsAdsSettings()

"""Typed access to the ``LETSADS`` and ``SMS_BACKEND`` settings.

Every property reads ``django.conf.settings`` on each access, so ``override_settings`` and
settings changed at run time just work; nothing is cached at import.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings as django_settings

DEFAULT_BACKEND = "django_letsads.backends.letsads.SmsBackend"
DEFAULT_API_URL = "https://api.letsads.com"

#: Every key of ``LETSADS`` with its default. README's settings reference mirrors this table.
DEFAULTS: dict[str, Any] = {
    "LOGIN": "",
    "PASSWORD": "",
    "SENDER": "Test",
    "API_URL": DEFAULT_API_URL,
    "TIMEOUT": 15,
    # Seconds after sending at which a status is polled; after the last poll, ``expired``.
    "POLL_SCHEDULE": [600, 10800, 86400],
    # Delay before re-trying a poll that hit a transport fault.
    "POLL_RETRY_DELAY": 300,
    # Recipients per send request (the gateway takes at most 50).
    "BATCH_SIZE": 50,
    # Requests a worker runs at once.
    "CONCURRENCY": 4,
    # Requests per second to the gateway across a worker's threads; 0 means no cap.
    "RATE_LIMIT": 0,
    # Messages a worker claims per round.
    "CLAIM_SIZE": 2000,
    # Seconds a message may stay ``sending`` before recovery declares it ``unknown``.
    "CLAIM_LEASE": 600,
    # Times a request that provably never left (connection refused, DNS) is tried again.
    "CONNECT_RETRIES": 2,
    # Text limits of the gateway, in characters.
    "MAX_LENGTH_GSM7": 459,
    "MAX_LENGTH_UCS2": 402,
    # Region for numbers written without a country code.
    "DEFAULT_REGION": "UA",
    # Folder of the filebased backend.
    "FILE_PATH": "",
    # Seconds the admin caches the account balance.
    "BALANCE_CACHE_SECONDS": 60,
    # Enqueue send/poll rounds on Django's task framework (django_letsads.tasks).
    "USE_TASKS": False,
    # Local times ("HH:MM", start, end) in which no campaign message is claimed; None: never.
    "QUIET_HOURS": ("21:00", "09:00"),
    # Time zone of QUIET_HOURS; None: settings.TIME_ZONE.
    "TIME_ZONE": None,
    # Price of one segment in the account's currency, for cost estimates; None: no estimate.
    "PRICE_PER_SEGMENT": None,
    # Seconds after which a worker's heartbeat no longer counts as a running worker.
    "WORKER_STALE_AFTER": 600,
}


def parse_quiet_hours(value: Any) -> tuple[datetime.time, datetime.time] | None:
    """``QUIET_HOURS`` as two wall-clock times, or None when it is switched off.

    Raises ``ValueError`` saying what is wrong; the system check and the setting's property
    both use it, so a bad value is reported by ``manage.py check`` and never misread at run time.
    """
    if value is None:
        return None
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or len(value) != 2:
        raise ValueError('it must be None or a pair of local times, e.g. ("21:00", "09:00")')
    times = [_parse_time(part) for part in value]
    if times[0] == times[1]:
        raise ValueError("its start and end are the same time")
    return times[0], times[1]


def _parse_time(part: Any) -> datetime.time:
    if isinstance(part, datetime.time):
        if part.tzinfo is not None:
            raise ValueError(f"{part!r} has a time zone; the zone is LETSADS['TIME_ZONE']")
        return part
    if isinstance(part, str):
        try:
            return datetime.datetime.strptime(part.strip(), "%H:%M").time()
        except ValueError:
            pass
    raise ValueError(f'{part!r} is not a time written as "HH:MM" (24-hour clock)')


class LetsAdsSettings:
    """One property per setting, each read from Django settings when accessed."""

    def _get(self, key: str) -> Any:
        user = getattr(django_settings, "LETSADS", None) or {}
        return user.get(key, DEFAULTS[key])

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
        return str(self._get("API_URL"))

    @property
    def TIMEOUT(self) -> float:
        return float(self._get("TIMEOUT"))

    @property
    def POLL_SCHEDULE(self) -> list[int]:
        # Checked here as well as by the system check: a string ("600" would poll at 6, 0, 0 s)
        # or an empty list (nothing ever polled) must fail loudly at first use, not misbehave.
        value = self._get("POLL_SCHEDULE")
        try:
            if isinstance(value, str | bytes) or not value:
                raise TypeError
            schedule = [int(s) for s in value]
        except (TypeError, ValueError):
            schedule = []
        if not schedule or any(s < 0 for s in schedule):
            from django_letsads.exceptions import LetsAdsConfigurationError

            raise LetsAdsConfigurationError(
                f"settings.LETSADS['POLL_SCHEDULE'] is {value!r}; it must be a non-empty list of "
                "seconds after sending, e.g. [600, 10800, 86400]."
            )
        return schedule

    @property
    def POLL_RETRY_DELAY(self) -> int:
        return int(self._get("POLL_RETRY_DELAY"))

    @property
    def BATCH_SIZE(self) -> int:
        return max(1, min(50, int(self._get("BATCH_SIZE"))))

    @property
    def CONCURRENCY(self) -> int:
        return max(1, int(self._get("CONCURRENCY")))

    @property
    def RATE_LIMIT(self) -> float:
        return float(self._get("RATE_LIMIT") or 0)

    @property
    def CLAIM_SIZE(self) -> int:
        return max(1, int(self._get("CLAIM_SIZE")))

    @property
    def CLAIM_LEASE(self) -> int:
        return int(self._get("CLAIM_LEASE"))

    @property
    def CONNECT_RETRIES(self) -> int:
        return max(0, int(self._get("CONNECT_RETRIES")))

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
        return int(self._get("BALANCE_CACHE_SECONDS"))

    @property
    def USE_TASKS(self) -> bool:
        return bool(self._get("USE_TASKS"))

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
        value = self._get("PRICE_PER_SEGMENT")
        if value is None or value == "":
            return None
        price = parse_price(value)
        if price is None:
            from django_letsads.exceptions import LetsAdsConfigurationError

            raise LetsAdsConfigurationError(
                f"settings.LETSADS['PRICE_PER_SEGMENT'] is {value!r}; it must be a price of one "
                "segment that is not negative, e.g. Decimal('0.45'), or None."
            )
        return price

    @property
    def WORKER_STALE_AFTER(self) -> int:
        return max(1, int(self._get("WORKER_STALE_AFTER")))


def parse_price(value: Any) -> Decimal | None:
    """``value`` as a finite, non-negative ``Decimal`` (from a Decimal, an int, a float or a
    string such as an environment variable), or ``None`` if it is not one."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
        return None
    try:
        # A float goes through str(): Decimal(0.45) would carry its binary error into the sums.
        price = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        return None
    if not price.is_finite() or price < 0:
        return None
    return price


letsads_settings = LetsAdsSettings()

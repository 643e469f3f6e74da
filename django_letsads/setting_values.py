"""Settings written as text or numbers, read as values: quiet hours as two times, a price as a
``Decimal``. Each raises or returns ``None`` saying what is wrong, so that the system check and
the setting's property (:mod:`django_letsads.conf`) judge a value the same way."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any


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

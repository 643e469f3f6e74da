"""System checks: report configuration mistakes at ``manage.py check`` time, not at the first SMS.

Settings are read when the checks run, never at import. Ids:

* ``django_letsads.E001`` - the LetsAds backend (or the outbox, whose worker uses it) has no
  ``LOGIN`` or ``PASSWORD``.
* ``django_letsads.E002`` - ``SMS_BACKEND`` cannot be imported or is not an SMS backend.
* ``django_letsads.E003`` - ``LETSADS["SENDER"]`` can never be accepted by the gateway.
* ``django_letsads.E004`` - ``LETSADS["POLL_SCHEDULE"]`` is not a list of increasing positive
  whole seconds.
* ``django_letsads.E005`` - ``LETSADS["DEFAULT_REGION"]`` is not a region ``phonenumbers`` knows.
* ``django_letsads.E006`` - a text limit is not a positive whole number.
* ``django_letsads.E007`` - ``API_URL`` is not an http(s) URL with a host.
* ``django_letsads.E030`` - ``LETSADS["QUIET_HOURS"]`` is not None or a pair of "HH:MM" times.
* ``django_letsads.E031`` - ``LETSADS["TIME_ZONE"]`` is not a time zone ``zoneinfo`` knows.
* ``django_letsads.W001`` - ``API_URL`` is plain HTTP to a host other than this machine.
* ``django_letsads.W002`` - ``BATCH_SIZE`` is outside 1 to 50 and is clamped.
* ``django_letsads.W003`` - a text limit is above what the gateway accepts.
* ``django_letsads.E050`` - ``LETSADS["PRICE_PER_SEGMENT"]`` is not a number.
* ``django_letsads.E051`` - ``LETSADS["PRICE_PER_SEGMENT"]`` is negative.
* ``django_letsads.E060`` - ``LETSADS["WORKER_STALE_AFTER"]`` is not a positive whole number.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.utils.module_loading import import_string

from django_letsads.conf import DEFAULTS, parse_price
from django_letsads.text import DEFAULT_LIMITS, GSM7, UCS2

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def _letsads(key: str) -> Any:
    return (getattr(settings, "LETSADS", None) or {}).get(key, DEFAULTS[key])


@register(Tags.compatibility)
def check_backend(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    from django_letsads.backends.base import BaseSmsBackend
    from django_letsads.conf import letsads_settings

    path = letsads_settings.BACKEND
    try:
        backend = import_string(path)
    except ImportError as exc:
        return [
            Error(
                f"SMS_BACKEND {path!r} cannot be imported: {exc}.",
                hint="Use a dotted path such as 'django_letsads.backends.letsads.SmsBackend'.",
                id="django_letsads.E002",
            )
        ]
    if not (isinstance(backend, type) and issubclass(backend, BaseSmsBackend)):
        return [
            Error(
                f"SMS_BACKEND {path!r} is not a subclass of "
                "django_letsads.backends.base.BaseSmsBackend.",
                id="django_letsads.E002",
            )
        ]
    if getattr(backend, "needs_credentials", False):
        missing = [key for key in ("LOGIN", "PASSWORD") if not _letsads(key)]
        if missing:
            return [
                Error(
                    f"LETSADS[{missing[0]!r}] is not set, but SMS_BACKEND {path!r} sends through "
                    "the LetsAds gateway."
                    if len(missing) == 1
                    else f"LETSADS['LOGIN'] and LETSADS['PASSWORD'] are not set, but SMS_BACKEND "
                    f"{path!r} sends through the LetsAds gateway.",
                    hint="Set them, e.g. from the LETSADS_LOGIN and LETSADS_PASSWORD environment "
                    "variables; the login is the account's phone number in international digits.",
                    id="django_letsads.E001",
                )
            ]
    return []


@register(Tags.compatibility)
def check_sender(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    from django_letsads.senders import sender_error

    sender = _letsads("SENDER")
    error = sender_error(sender) if isinstance(sender, str) else f"{sender!r} is not a string."
    if error:
        return [
            Error(
                f"LETSADS['SENDER'] cannot be sent: {error}",
                hint="Use the sender name registered for the account in the LetsAds cabinet.",
                id="django_letsads.E003",
            )
        ]
    return []


@register(Tags.compatibility)
def check_poll_schedule(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    schedule = _letsads("POLL_SCHEDULE")
    ok = (
        isinstance(schedule, list | tuple)
        and len(schedule) > 0
        and all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in schedule)
        and all(a < b for a, b in itertools.pairwise(schedule))
    )
    if ok:
        return []
    return [
        Error(
            f"LETSADS['POLL_SCHEDULE'] is {schedule!r}; it must be a non-empty list of increasing "
            "positive whole seconds after sending.",
            hint="The gateway asks for a first check after 10 minutes and a second after 3 hours: "
            "[600, 10800, 86400].",
            id="django_letsads.E004",
        )
    ]


@register(Tags.compatibility)
def check_numbers_and_limits(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    import phonenumbers

    messages: list[CheckMessage] = []
    region = _letsads("DEFAULT_REGION")
    if not isinstance(region, str) or region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        messages.append(
            Error(
                f"LETSADS['DEFAULT_REGION'] is {region!r}, not a region code phonenumbers knows.",
                hint="Use a two-letter region such as 'UA'.",
                id="django_letsads.E005",
            )
        )
    for key, encoding in (("MAX_LENGTH_GSM7", GSM7), ("MAX_LENGTH_UCS2", UCS2)):
        value = _letsads(key)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            messages.append(
                Error(
                    f"LETSADS[{key!r}] is {value!r}; it must be a positive whole number.",
                    id="django_letsads.E006",
                )
            )
        elif value > DEFAULT_LIMITS[encoding]:
            messages.append(
                Warning(
                    f"LETSADS[{key!r}] is {value}, above the gateway's documented limit of "
                    f"{DEFAULT_LIMITS[encoding]} for {encoding}; longer texts will be refused "
                    "with MESSAGE_TOO_LONG.",
                    id="django_letsads.W003",
                )
            )
    batch = _letsads("BATCH_SIZE")
    if not isinstance(batch, int) or not 1 <= batch <= 50:
        messages.append(
            Warning(
                f"LETSADS['BATCH_SIZE'] is {batch!r}; the gateway takes 1 to 50 recipients per "
                "request, so it is clamped.",
                id="django_letsads.W002",
            )
        )
    return messages


@register(Tags.security)
def check_api_url(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    url = urlsplit(str(_letsads("API_URL")))
    if url.scheme not in ("http", "https") or not url.hostname:
        return [
            Error(
                f"LETSADS['API_URL'] is {_letsads('API_URL')!r}, not an http(s) URL.",
                hint="Use https://api.letsads.com.",
                id="django_letsads.E007",
            )
        ]
    if url.scheme == "http" and (url.hostname or "") not in _LOCAL_HOSTS:
        return [
            Warning(
                f"LETSADS['API_URL'] sends the account password in clear over {url.scheme}://"
                f"{url.hostname}.",
                hint="Use https://api.letsads.com.",
                id="django_letsads.W001",
            )
        ]
    return []


@register(Tags.compatibility)
def check_quiet_hours(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    from django_letsads.conf import letsads_settings, parse_quiet_hours
    from django_letsads.exceptions import LetsAdsConfigurationError

    messages: list[CheckMessage] = []
    value = _letsads("QUIET_HOURS")
    try:
        parse_quiet_hours(value)
    except ValueError as exc:
        messages.append(
            Error(
                f"LETSADS['QUIET_HOURS'] is {value!r}: {exc}.",
                hint='Campaigns are held from the first time to the second, e.g. ("21:00", '
                '"09:00") (the window may cross midnight); None sends at any hour.',
                id="django_letsads.E030",
            )
        )
    try:
        letsads_settings.TIME_ZONE  # noqa: B018 - raises LetsAdsConfigurationError if unknown
    except LetsAdsConfigurationError as exc:
        messages.append(
            Error(str(exc), hint="Use a name such as 'Europe/Kyiv'.", id="django_letsads.E031")
        )
    return messages


@register(Tags.compatibility)
def check_price(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    value = _letsads("PRICE_PER_SEGMENT")
    if value is None or value == "" or parse_price(value) is not None:
        return []
    negative = parse_price(str(value).lstrip().removeprefix("-")) is not None
    return [
        Error(
            f"LETSADS['PRICE_PER_SEGMENT'] is {value!r}; "
            + ("a price cannot be negative." if negative else "it must be a number."),
            hint="The price of one segment in the account's currency, e.g. Decimal('0.45'), or "
            "None for no cost estimate.",
            id="django_letsads.E051" if negative else "django_letsads.E050",
        )
    ]


@register(Tags.compatibility)
def check_worker_stale_after(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    value = _letsads("WORKER_STALE_AFTER")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return []
    return [
        Error(
            f"LETSADS['WORKER_STALE_AFTER'] is {value!r}; it must be a positive whole number "
            "of seconds.",
            hint="Seconds after which a worker that has not been seen counts as stopped; keep "
            "it above the longest wait between rounds (the default 600 is twice the back-off).",
            id="django_letsads.E060",
        )
    ]

"""Checks of the rules that messages are sent by: numbers and text limits, the batch size,
quiet hours and their time zone, the price of a segment (E005, E006, E030, E031, E050, E051, W002,
W003)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from django_letsads.checks.reading import letsads_value, with_overrides
from django_letsads.conf import parse_price
from django_letsads.settings_rules import problem_of
from django_letsads.text import DEFAULT_LIMITS, GSM7, UCS2


@register(Tags.compatibility)
def check_numbers_and_limits(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    import phonenumbers

    messages: list[CheckMessage] = []
    region = letsads_value("DEFAULT_REGION")
    if not isinstance(region, str) or region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        messages.append(
            Error(
                f"LETSADS['DEFAULT_REGION'] is {region!r}, not a region code phonenumbers knows.",
                hint="Use a two-letter region such as 'UA'.",
                id="django_letsads.E005",
            )
        )
    for key, encoding in (("MAX_LENGTH_GSM7", GSM7), ("MAX_LENGTH_UCS2", UCS2)):
        value = letsads_value(key)
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
    batch = letsads_value("BATCH_SIZE")
    if problem_of("BATCH_SIZE", batch) is None and not 1 <= batch <= 50:
        messages.append(
            Warning(
                f"LETSADS['BATCH_SIZE'] is {batch!r}; the gateway takes 1 to 50 recipients per "
                "request, so it is clamped.",
                id="django_letsads.W002",
            )
        )
    return messages


@register(Tags.compatibility)
def check_quiet_hours(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    from django_letsads.conf import letsads_settings, parse_quiet_hours
    from django_letsads.exceptions import LetsAdsConfigurationError

    messages: list[CheckMessage] = []
    value = letsads_value("QUIET_HOURS")
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
    """The shared price and each account's own (``LETSADS['promo']['PRICE_PER_SEGMENT']``)."""
    errors: list[CheckMessage] = []
    for name, value in with_overrides("PRICE_PER_SEGMENT"):
        if value is None or value == "" or parse_price(value) is not None:
            continue
        negative = parse_price(str(value).lstrip().removeprefix("-")) is not None
        errors.append(
            Error(
                f"{name} is {value!r}; "
                + ("a price cannot be negative." if negative else "it must be a number."),
                hint="The price of one segment in the account's currency, e.g. "
                "Decimal('0.45'), or None for no cost estimate (an account without its own "
                "price has the shared one).",
                id="django_letsads.E051" if negative else "django_letsads.E050",
            )
        )
    return errors

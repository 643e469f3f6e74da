"""Checks of the unsubscribe link: its base URL, and campaigns that need it where it cannot be
made (E040, W040, W041)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError

from django_letsads.checks.reading import letsads_value


@register(Tags.compatibility)
def check_unsubscribe_url(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    value = letsads_value("UNSUBSCRIBE_BASE_URL")
    if not value:
        return []
    url = urlsplit(str(value))
    if url.scheme not in ("http", "https") or not url.hostname:
        return [
            Error(
                f"LETSADS['UNSUBSCRIBE_BASE_URL'] is {value!r}, not an http(s) URL.",
                hint="Give the full address where django_letsads.urls is included, e.g. "
                "'https://example.com/sms/'.",
                id="django_letsads.E040",
            )
        ]
    if not url.path.endswith("/"):
        return [
            Warning(
                f"LETSADS['UNSUBSCRIBE_BASE_URL'] is {value!r}; the token is appended to it, so "
                "it should end with '/'.",
                hint="Use e.g. 'https://example.com/sms/' with path('sms/', "
                "include('django_letsads.urls')).",
                id="django_letsads.W041",
            )
        ]
    return []


@register(Tags.database)
def check_unsubscribe_campaigns(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    """Campaigns whose text needs the unsubscribe link, where the link cannot be made."""
    if not databases or letsads_value("UNSUBSCRIBE_BASE_URL"):
        return []
    from django_letsads.models import Campaign

    try:
        names = list(
            Campaign.objects.exclude(state__in=[Campaign.State.DONE, Campaign.State.CANCELLED])
            .filter(text__contains="{unsubscribe_url")
            .values_list("name", flat=True)[:6]
        )
    except DatabaseError:  # not migrated yet: nothing to check
        return []
    if not names:
        return []
    shown = ", ".join(repr(name) for name in names[:5]) + (" …" if len(names) > 5 else "")
    return [
        Warning(
            f"Campaigns use {{unsubscribe_url}} but LETSADS['UNSUBSCRIBE_BASE_URL'] is not set: "
            f"{shown}. The worker pauses them instead of sending texts without the link.",
            hint="Set it to the address where django_letsads.urls is included, e.g. "
            "'https://example.com/sms/'.",
            id="django_letsads.W040",
        )
    ]

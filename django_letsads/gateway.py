"""Building a ``LetsAdsClient`` from settings, with a clear error when they are incomplete."""

from __future__ import annotations

from django_letsads.client import LetsAdsClient


def client_from_settings(alias: str | None = None) -> LetsAdsClient:
    """A client for the account ``alias`` of ``settings.LETSADS`` (None: ``"default"``), read now
    (not at import); see :func:`django_letsads.accounts.client_for`."""
    from django_letsads.accounts import client_for

    return client_for(alias)

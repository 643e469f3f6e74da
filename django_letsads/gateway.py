"""Building a ``LetsAdsClient`` from settings, with a clear error when they are incomplete."""

from __future__ import annotations

from django_letsads.client import LetsAdsClient
from django_letsads.conf import letsads_settings
from django_letsads.exceptions import LetsAdsConfigurationError


def client_from_settings() -> LetsAdsClient:
    """A client for the account in ``settings.LETSADS``, read now (not at import)."""
    missing = [key for key in ("LOGIN", "PASSWORD") if not getattr(letsads_settings, key)]
    if missing:
        raise LetsAdsConfigurationError(
            f"settings.LETSADS needs {' and '.join(missing)} to talk to the LetsAds gateway."
        )
    api_url = letsads_settings.API_URL
    if not api_url.startswith(("https://", "http://")):
        raise LetsAdsConfigurationError(
            f"settings.LETSADS['API_URL'] must be an http(s) URL, not {api_url!r}."
        )
    return LetsAdsClient(
        letsads_settings.LOGIN,
        letsads_settings.PASSWORD,
        api_url=api_url,
        timeout=letsads_settings.TIMEOUT,
        connect_retries=letsads_settings.CONNECT_RETRIES,
    )

"""The account balances as the admin shows them: fetched from the gateway, cached briefly.

The admin pages that show it (the campaign list, the send confirmation) must stay fast and never
fail because the gateway is slow or down, so a failure is cached too (for a shorter time) and
shown as a notice instead of an error page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from django_letsads.accounts import DEFAULT_ALIAS, aliases
from django_letsads.conf import letsads_settings
from django_letsads.exceptions import LetsAdsError
from django_letsads.gateway import client_from_settings

logger = logging.getLogger(__name__)

CACHE_KEY = "django_letsads:admin:balance"
#: A failed lookup is retried after at most this many seconds.
FAILURE_CACHE_SECONDS = 15
#: The admin waits at most this long for the gateway, whatever ``TIMEOUT`` says.
MAX_WAIT_SECONDS = 5.0


@dataclass(frozen=True)
class BalanceInfo:
    """``amount``/``currency`` when known; otherwise ``error_code`` says why (a gateway code such
    as ``AUTH_DATA``, ``TIMEOUT``, or ``NOT_CONFIGURED``)."""

    amount: Decimal | None
    currency: str = ""
    error_code: str = ""
    #: The account's alias, when ``LETSADS`` has several accounts (pages then name it).
    account: str = ""

    @property
    def known(self) -> bool:
        return self.amount is not None


def _cache_key(alias: str) -> str:
    return CACHE_KEY if alias == DEFAULT_ALIAS else f"{CACHE_KEY}:{alias}"


def account_balance(alias: str = DEFAULT_ALIAS) -> BalanceInfo:
    """The balance of the account ``alias``, from the cache when fetched less than
    ``BALANCE_CACHE_SECONDS`` ago."""
    cached = cache.get(_cache_key(alias))
    if isinstance(cached, BalanceInfo):
        return cached
    info = _fetch(alias)
    if len(aliases()) > 1:
        info = BalanceInfo(info.amount, info.currency, info.error_code, account=alias)
    seconds = letsads_settings.BALANCE_CACHE_SECONDS
    if not info.known:
        seconds = min(seconds, FAILURE_CACHE_SECONDS)
    if seconds > 0:
        cache.set(_cache_key(alias), info, seconds)
    return info


def all_balances() -> list[BalanceInfo]:
    """The balance of each configured account, ``"default"`` first."""
    return [account_balance(alias) for alias in aliases()]


def forget_balance() -> None:
    """Drop the cached balances (after a campaign starts, or in tests)."""
    cache.delete_many([_cache_key(alias) for alias in aliases()])


def _fetch(alias: str) -> BalanceInfo:
    try:
        client = client_from_settings(alias)
    except ImproperlyConfigured:
        return BalanceInfo(None, error_code="NOT_CONFIGURED")
    client.timeout = min(client.timeout, MAX_WAIT_SECONDS)
    client.connect_retries = 0
    try:
        with client:
            balance = client.balance()
    except LetsAdsError as exc:
        logger.warning("Could not fetch the LetsAds balance: %s", exc.code)
        return BalanceInfo(None, error_code=exc.code)
    return BalanceInfo(balance.amount, balance.currency)

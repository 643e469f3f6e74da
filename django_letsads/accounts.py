"""Several LetsAds accounts in one project, named like Django's ``DATABASES`` or ``MAILERS``.

``LETSADS = {"default": {...}, "promo": {...}}`` configures two accounts; the flat form
``LETSADS = {"LOGIN": ..., ...}`` is the one account ``"default"``. Each account has its own
``LOGIN``, ``PASSWORD``, ``SENDER``, ``API_URL``, ``TIMEOUT``, ``CONNECT_RETRIES``,
``CONCURRENCY`` and ``RATE_LIMIT`` (``settings_rules.ACCOUNT_KEYS``); every other key (poll
schedule, quiet hours, limits, task mode …) is shared and stays at the top of ``LETSADS``.

This module is what the rest of the app asks about accounts: which aliases exist, an account's
settings, a client for it, its balance. Settings are read at each call, never cached.
"""

from __future__ import annotations

from django_letsads.client import LetsAdsClient
from django_letsads.conf import LetsAdsSettings, unknown_alias_message
from django_letsads.exceptions import LetsAdsConfigurationError
from django_letsads.protocol import Balance
from django_letsads.settings_rules import (
    DEFAULT_ALIAS,
    Problem,
    account_dicts,
    alias_in_names,
    letsads_dict,
    setting_name,
)

__all__ = [
    "DEFAULT_ALIAS",
    "aliases",
    "balance_of",
    "client_for",
    "get_account",
    "is_configured",
    "require_credentials",
]


def aliases() -> list[str]:
    """The configured aliases, ``"default"`` first, then in the order of ``LETSADS``."""
    user = letsads_dict()
    if isinstance(user, Problem):
        return [DEFAULT_ALIAS]
    names = list(account_dicts(user))
    return sorted(names, key=lambda name: name != DEFAULT_ALIAS)


def is_configured(alias: str) -> bool:
    return alias in aliases()


def get_account(alias: str | None = None) -> LetsAdsSettings:
    """The settings of the account ``alias`` (None: ``"default"``).

    Raises ``LetsAdsConfigurationError`` naming the configured aliases when it is not one.
    """
    alias = DEFAULT_ALIAS if alias is None else alias
    configured = aliases()
    if alias not in configured:
        raise LetsAdsConfigurationError(unknown_alias_message(alias, configured))
    return LetsAdsSettings(alias)


def require_credentials(alias: str | None = None) -> LetsAdsSettings:
    """The account's settings; ``LetsAdsConfigurationError`` naming the keys if it lacks its
    ``LOGIN`` or ``PASSWORD`` (a worker checks every account it serves before a round)."""
    account = get_account(alias)
    user = letsads_dict()
    named = alias_in_names(user, account.alias) if isinstance(user, dict) else None
    missing = [key for key in ("LOGIN", "PASSWORD") if not getattr(account, key)]
    if missing:
        names = " and ".join(setting_name(key, named) for key in missing)
        raise LetsAdsConfigurationError(
            f"settings.{names} {'is' if len(missing) == 1 else 'are'} missing: the LetsAds "
            f"account {account.alias!r} needs {' and '.join(missing)} to talk to the gateway."
        )
    return account


def client_for(alias: str | None = None) -> LetsAdsClient:
    """A client for the account ``alias``, built from settings now (not at import)."""
    account = require_credentials(alias)
    return LetsAdsClient(
        account.LOGIN,
        account.PASSWORD,
        api_url=account.API_URL,
        timeout=account.TIMEOUT,
        connect_retries=account.CONNECT_RETRIES,
    )


def balance_of(alias: str | None = None) -> Balance:
    """The balance of the account ``alias``, asked of the gateway now."""
    with client_for(alias) as client:
        return client.balance()


def unconfigured_accounts(kind: str = "") -> dict[str, str]:
    """Aliases that work in the database uses but ``LETSADS`` does not have, each with what
    uses it, e.g. ``{"old": "2 campaign(s), pending messages"}``.

    ``kind`` narrows it to what a worker would otherwise do: ``"send"`` (campaigns that may send,
    pending messages of no campaign) or ``"poll"`` (polls due now); ``""`` is everything
    unfinished (the system check). The worker leaves such work alone and says so.
    """
    from django.utils import timezone

    from django_letsads.models import Campaign, Message
    from django_letsads.status import POLLABLE_STATUSES, Status

    configured = aliases()
    found: dict[str, list[str]] = {}
    if kind in ("", "send"):
        live = Campaign.objects.exclude(state__in=[Campaign.State.DONE, Campaign.State.CANCELLED])
        if kind:
            live = live.filter(state=Campaign.State.SENDING)
        campaigns = live.exclude(account__in=configured).values_list("account", flat=True)
        for alias in campaigns:
            found.setdefault(alias, []).append("campaign")
        pending = (
            Message.objects.filter(campaign__isnull=True, status=Status.PENDING)
            .exclude(account__in=configured)
            .values_list("account", flat=True)
            .distinct()
        )
        for alias in pending:
            found.setdefault(alias, []).append("pending messages")
    if kind in ("", "poll"):
        polls = Message.objects.filter(status__in=POLLABLE_STATUSES, next_poll_at__isnull=False)
        if kind:
            polls = polls.filter(next_poll_at__lte=timezone.now())
        for alias in polls.exclude(account__in=configured).values_list("account", flat=True)[:1000]:
            if "messages to poll" not in found.setdefault(alias, []):
                found[alias].append("messages to poll")
    return {alias: _describe(what) for alias, what in found.items()}


def _describe(what: list[str]) -> str:
    campaigns = what.count("campaign")
    rest = [item for item in what if item != "campaign"]
    return ", ".join(([f"{campaigns} campaign(s)"] if campaigns else []) + rest)

"""System checks about several accounts (the per-key checks are in :mod:`django_letsads.checks`
and :mod:`django_letsads.settings_rules`, which name each account's keys).

* ``django_letsads.W080`` - two aliases of ``LETSADS`` use the same ``LOGIN``: one account's
  limits, balance and pauses would be shared under two names.
* ``django_letsads.W081`` - campaigns or unfinished messages use an account alias that
  ``LETSADS`` no longer has: the worker leaves them (neither sends nor polls them) until it is
  configured again. Needs the database: runs with ``check --database default``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Tags, Warning, register
from django.db import DatabaseError

from django_letsads.settings_rules import Problem, account_dicts, has_accounts, letsads_dict


@register(Tags.compatibility)
def check_shared_logins(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    user = letsads_dict()
    if isinstance(user, Problem) or not has_accounts(user):
        return []
    by_login: dict[str, list[str]] = defaultdict(list)
    for alias, account in account_dicts(user).items():
        login = account.get("LOGIN")
        if isinstance(login, str) and login:
            by_login[login].append(alias)
    return [
        Warning(
            f"LETSADS accounts {' and '.join(repr(a) for a in names)} use the same LOGIN.",
            hint="Each alias should be a different LetsAds account; use one alias per account "
            "and choose the sender per message or campaign instead.",
            id="django_letsads.W080",
        )
        for names in by_login.values()
        if len(names) > 1
    ]


@register(Tags.database)
def check_unconfigured_accounts(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    """Campaigns and unfinished messages whose account is not in ``LETSADS``."""
    if not databases:
        return []
    from django_letsads.accounts import unconfigured_accounts

    try:
        found = unconfigured_accounts()
    except DatabaseError:  # not migrated yet: nothing to check
        return []
    if not found:
        return []
    shown = ", ".join(f"{alias!r} ({what})" for alias, what in sorted(found.items()))
    return [
        Warning(
            f"Campaigns or messages use LetsAds accounts that settings.LETSADS does not have: "
            f"{shown}. The worker leaves them: they are neither sent nor polled.",
            hint="Configure the account again in LETSADS, or change the campaigns' account in "
            "the admin.",
            id="django_letsads.W081",
        )
    ]

"""How the system checks read ``LETSADS``: a shared key's value, or an account key's value for
each account, named as the checks' messages name it; a shared key that accounts may override
(``defaults.ACCOUNT_OVERRIDES``), with each account's own value."""

from __future__ import annotations

from typing import Any

from django_letsads.defaults import DEFAULTS
from django_letsads.settings_rules import (
    Problem,
    account_dicts,
    alias_in_names,
    has_accounts,
    letsads_dict,
    setting_name,
    shared_dict,
)


def letsads_value(key: str) -> Any:
    """A shared key's value (a LETSADS that is not a dict is E010; the checks then see
    defaults)."""
    user = letsads_dict()
    return DEFAULTS[key] if isinstance(user, Problem) else shared_dict(user).get(key, DEFAULTS[key])


def per_account(key: str) -> list[tuple[str, Any]]:
    """``(name, value)`` of an account key for each account, named as the messages name it
    (``LETSADS['SENDER']``, or ``LETSADS['promo']['SENDER']`` with accounts)."""
    user = letsads_dict()
    if isinstance(user, Problem):
        return [(setting_name(key, None), DEFAULTS[key])]
    return [
        (setting_name(key, alias_in_names(user, alias)), account.get(key, DEFAULTS[key]))
        for alias, account in account_dicts(user).items()
    ]


def with_overrides(key: str) -> list[tuple[str, Any]]:
    """``(name, value)`` of a shared key (``LETSADS['KEY']``), then of each account that sets
    its own (``LETSADS['promo']['KEY']``)."""
    user = letsads_dict()
    found = [(setting_name(key, None), letsads_value(key))]
    if isinstance(user, Problem) or not has_accounts(user):
        return found
    return found + [
        (setting_name(key, alias), account[key])
        for alias, account in account_dicts(user).items()
        if key in account
    ]

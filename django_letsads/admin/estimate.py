"""The cost estimate on the Send confirmation, and the extra tick it asks for over the balance.

The figures come from :mod:`django_letsads.pricing`; this module only adds the balance the admin
shows (cached, :mod:`django_letsads.admin.balance`) and the rule of the confirmation: when the
estimate exceeds the balance, confirming needs the "send anyway" tick, checked here on the server
(the page's ``required`` attribute is only a convenience).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.http import HttpRequest

from django_letsads import pricing
from django_letsads.accounts import DEFAULT_ALIAS
from django_letsads.admin.balance import BalanceInfo, account_balance
from django_letsads.distribution import TextDistribution
from django_letsads.models import Campaign


def selection_balance(campaigns: Sequence[Campaign]) -> BalanceInfo | None:
    """The balance of the account of ``campaigns`` (all of one, see :func:`selection_accounts`),
    looked up (cached, or asked of the gateway) only when there is a price to compare it with."""
    alias = next(iter(selection_accounts(campaigns)), DEFAULT_ALIAS)
    return account_balance(alias) if pricing.price_of(alias) is not None else None


def price_estimate(
    campaigns: Sequence[Campaign],
    counts: Mapping[int, Mapping[str, int]],
    *,
    balance: BalanceInfo | None = None,
    shown: Mapping[int, Sequence[TextDistribution]] | None = None,
) -> pricing.PriceEstimate:
    """The estimate for ``campaigns`` (all of one account, see :func:`selection_accounts`)
    against ``balance``, by default :func:`selection_balance`. ``shown``: the distributions of
    personalised campaigns, by id, when the caller has them (:func:`pricing.estimate`)."""
    if balance is None:
        balance = selection_balance(campaigns)
    return pricing.estimate(
        campaigns,
        counts,
        balance=balance.amount if balance is not None else None,
        currency=balance.currency if balance is not None else "",
        shown=shown,
    )


def selection_accounts(campaigns: Sequence[Campaign]) -> list[str]:
    """The accounts the selected campaigns send with, sorted. The Send confirmation compares the
    cost with one account's balance, so it takes campaigns of one account at a time."""
    return sorted({campaign.account for campaign in campaigns})


def send_anyway_missing(request: HttpRequest, estimate: pricing.PriceEstimate) -> bool:
    """True when the estimate exceeds the balance and the request lacks the explicit tick."""
    return estimate.over_balance and request.POST.get(pricing.SEND_ANYWAY_FIELD) != "yes"

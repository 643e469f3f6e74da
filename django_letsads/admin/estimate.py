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
from django_letsads.admin.balance import account_balance
from django_letsads.conf import letsads_settings
from django_letsads.models import Campaign


def price_estimate(
    campaigns: Sequence[Campaign], counts: Mapping[int, Mapping[str, int]]
) -> pricing.PriceEstimate:
    """The estimate for ``campaigns``; the balance is looked up only when there is a price."""
    balance = account_balance() if letsads_settings.PRICE_PER_SEGMENT is not None else None
    return pricing.estimate(
        campaigns,
        counts,
        balance=balance.amount if balance is not None else None,
        currency=balance.currency if balance is not None else "",
    )


def send_anyway_missing(request: HttpRequest, estimate: pricing.PriceEstimate) -> bool:
    """True when the estimate exceeds the balance and the request lacks the explicit tick."""
    return estimate.over_balance and request.POST.get(pricing.SEND_ANYWAY_FIELD) != "yes"

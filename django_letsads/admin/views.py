"""Intermediate confirmation pages of the admin actions, in the admin's own look.

The page re-posts the selected ids with ``post=yes`` to the same action, which then acts; the
action checks its permission again on that POST, and CSRF protection stays on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import Model
from django.http import HttpRequest
from django.template.response import TemplateResponse

from django_letsads.admin.balance import BalanceInfo
from django_letsads.pricing import PriceEstimate

TEMPLATE = "admin/django_letsads/confirm_action.html"


@dataclass
class Confirmation:
    """What a confirmation page says: why, what (a table), and the button's words."""

    title: str
    action: str
    submit_label: str
    intro: Sequence[str] = ()
    warning: str = ""
    columns: Sequence[str] = ()
    rows: Sequence[Sequence[Any]] = ()
    totals: Sequence[Any] = ()
    balance: BalanceInfo | None = None
    #: The cost estimate and its over-balance tick (``price_estimate.html``).
    estimate: PriceEstimate | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: (name, value) of hidden inputs the confirming POST carries back (e.g. fingerprints).
    hidden: Sequence[tuple[str, str]] = ()


def confirmation_page(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    objects: Sequence[Model],
    confirmation: Confirmation,
) -> TemplateResponse:
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": confirmation.title,
        "subtitle": None,
        "opts": opts,
        "app_label": opts.app_label,
        "objects": objects,
        "confirmation": confirmation,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": modeladmin.media,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, TEMPLATE, context)

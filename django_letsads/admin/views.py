"""Intermediate confirmation pages of the admin actions, in the admin's own look.

The page re-posts the selected ids with ``post=yes`` to the same action, which then acts; the
action checks its permission again on that POST, and CSRF protection stays on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import Model
from django.http import HttpRequest
from django.template.response import TemplateResponse

from django_letsads.admin.balance import BalanceInfo

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
    extra: dict[str, Any] = field(default_factory=dict)


@cache
def breadcrumbs_are_a_list() -> bool:
    """Whether this Django's admin marks breadcrumbs up as ``<ol class="breadcrumbs">``.

    Django 6 turned them from a ``<div>`` with &rsaquo; separators into an ordered list, and each
    version's CSS styles only its own markup: the other one shows as a numbered list or
    unstyled. Django's own base template says which one this version uses.
    """
    base = Path(admin.__file__).parent / "templates" / "admin" / "base.html"
    return '<ol class="breadcrumbs">' in base.read_text(encoding="utf-8")


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
        "letsads_list_breadcrumbs": breadcrumbs_are_a_list(),
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, TEMPLATE, context)

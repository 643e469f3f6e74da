"""Intermediate confirmation pages of the admin actions, in the admin's own look.

The page re-posts the selected ids with ``post=yes`` to the same action, which then acts; the
action checks its permission again on that POST, and CSRF protection stays on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import Model
from django.http import HttpRequest
from django.template.response import TemplateResponse

from django_letsads.admin.balance import BalanceInfo
from django_letsads.pricing import PriceEstimate

TEMPLATE = "admin/django_letsads/confirm_action.html"


@dataclass(frozen=True)
class Cell:
    """One cell of the confirmation table; numbers are right-aligned, text left-aligned."""

    value: Any
    numeric: bool

    @property
    def css_class(self) -> str:
        return "num" if self.numeric else "text"


def is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


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

    # The table as the template draws it: each column aligned by what it holds, so a column
    # added by another action (a date, a price) lines up without template changes.

    def _numeric_columns(self) -> list[bool]:
        numeric = []
        for index in range(len(self.columns)):
            values = [row[index] for row in self.rows if index < len(row)]
            values += [self.totals[index]] if index < len(self.totals) else []
            filled = [value for value in values if value not in ("", None)]
            numeric.append(bool(filled) and all(is_number(value) for value in filled))
        return numeric

    @property
    def header(self) -> list[Cell]:
        return [Cell(c, n) for c, n in zip(self.columns, self._numeric_columns(), strict=True)]

    @property
    def body(self) -> list[list[Cell]]:
        numeric = self._numeric_columns()
        return [[Cell(v, n) for v, n in zip(row, numeric, strict=False)] for row in self.rows]

    @property
    def footer(self) -> list[Cell]:
        return [Cell(v, n) for v, n in zip(self.totals, self._numeric_columns(), strict=False)]


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

"""Leaving out, when a campaign starts, the recipients its confirmation said would be left out.

A personalised text cannot be sent to a recipient without a value for a placeholder that has no
default (``MISSING_FIELD``), nor when the recipient's rendering is over the gateway's limit
(``TEXT_TOO_LONG``). The Send confirmation counts them (:mod:`django_letsads.personalisation`);
:func:`leave_out` makes those messages ``cancelled`` (never sent, not billed) with the code and
a history event, in the transaction that starts the campaign, so what goes out is exactly what
was confirmed.

The Send confirmation's confirm has counted them already, under the same lock (the fingerprint
check needs the figures): it passes them as ``counted``, and only the reasons they count are
looked for, nothing at all when nobody is left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Max, Q, QuerySet
from django.db.models.functions import Length

from django_letsads import merge
from django_letsads.bulk_rendering import Renderer, data_fields_of, required_fields
from django_letsads.data_values import (
    alias,
    combinations,
    match,
    missing_value,
    sendable,
    with_values,
)
from django_letsads.distribution import TEXT_TOO_LONG, TextDistribution
from django_letsads.models import Campaign, Message
from django_letsads.personalisation import template_of
from django_letsads.placeholders import MISSING_FIELD
from django_letsads.status import Status
from django_letsads.transitions import change_status

#: Combinations matched per statement (each adds a condition per field to the query).
_CHUNK = 100


@dataclass(frozen=True)
class LeftOut:
    """How many messages :func:`leave_out` cancelled, per reason."""

    missing: int = 0
    too_long: int = 0


def leave_out(campaign: Campaign, counted: TextDistribution | None = None) -> LeftOut:
    """Cancel the sendable messages of ``campaign`` that cannot be sent as its text says.

    Call it inside the transaction that starts the campaign, with the campaign row locked.
    ``counted``: the campaign's figures as it sends (:func:`~django_letsads.personalisation.
    text_distribution`), computed in this same transaction after the row was locked; nothing
    that adds recipients or changes their data can run in between (an import waits for the
    lock), so a reason it counts none of is not looked for.
    """
    template = template_of(campaign.text)
    if template is None or not template.has_placeholders:
        return LeftOut()
    if counted is not None and not counted.left_out:
        return LeftOut()
    fields = data_fields_of(template)
    queryset = sendable(campaign)
    missing = 0
    if counted is None or counted.missing:
        for name in required_fields(template):
            rows = with_values(queryset, fields).filter(missing_value(fields, [name]))
            missing += _cancel(rows, MISSING_FIELD, f"No value for {{{name}}} and no default.")
    too_long = 0
    if counted is None or counted.too_long:
        known = counted is not None
        too_long = _too_long(campaign, template, queryset, fields, known=known)
    return LeftOut(missing=missing, too_long=too_long)


def _too_long(
    campaign: Campaign,
    template: merge.Template,
    queryset: QuerySet[Message],
    fields: Sequence[str],
    *,
    known: bool = False,
) -> int:
    """``known``: some are too long (counted already), so the quick bound is not asked."""
    renderer = Renderer(template, campaign.transliterate)
    if not fields:
        try:
            over = renderer.measure(renderer.render({}))[2]
        except merge.MissingValueError:
            return 0
        return _cancel(queryset, TEXT_TOO_LONG, _too_long_note()) if over else 0
    if not known and not _may_be_too_long(renderer, queryset, fields):
        return 0
    over_combos = []
    for chunk in combinations(queryset, fields):
        for row in chunk:
            try:
                text = renderer.render_row(row)
            except merge.MissingValueError:
                continue
            if renderer.measure(text)[2]:
                over_combos.append(row[:-1])
    cancelled = 0
    for start in range(0, len(over_combos), _CHUNK):
        q = Q(pk__in=[])
        for values in over_combos[start : start + _CHUNK]:
            q |= match(values, fields)
        cancelled += _cancel(
            with_values(queryset, fields).filter(q), TEXT_TOO_LONG, _too_long_note()
        )
    return cancelled


def _may_be_too_long(
    renderer: Renderer, queryset: QuerySet[Message], fields: Sequence[str]
) -> bool:
    """Whether any rendering can be over the limit, from each field's longest value (one
    aggregate query): usually not, and then no recipient needs rendering at all.

    A character takes at most two units, and transliteration writes at most four letters for
    one (щ → shch).
    """
    longest = with_values(queryset, fields).aggregate(
        **{f"n{i}": Max(Length(alias(i))) for i in range(len(fields))}
    )
    chars = sum(len(piece) for piece in renderer.pieces)
    for _index, position, default, _name in renderer.slots:
        chars += max(longest[f"n{position}"] or 0, len(default or ""))
    bound = 2 * chars * (4 if renderer.transliterated else 1)
    return bound > min(renderer.limits.values())


def _too_long_note() -> str:
    return "The text with this recipient's values is over the gateway's limit."


def _cancel(rows: QuerySet[Message], code: str, message: str) -> int:
    return change_status(
        rows,
        Status.PENDING,
        Status.CANCELLED,
        code=code,
        note=message,
        error_code=code,
        error_message=message[:255],
    )

"""What the recipients' data holds per field: whether anyone has it, and its extreme values.

For the campaign form and the Send/Schedule actions (a field no recipient has is an error
naming it) and for the form's live counter (:func:`field_extremes`: the longest and shortest
value of each field, a few aggregate queries per field whatever the number of recipients).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models.functions import Length

from django_letsads.bulk_rendering import data_fields_of
from django_letsads.data_values import alias, missing_value, sendable, with_values
from django_letsads.models import Campaign, Message
from django_letsads.personalisation import template_of
from django_letsads.placeholders import FIELDS
from django_letsads.text import GSM7_BASIC, GSM7_EXTENSION


def fields_without_data(campaign: Campaign, fields: Sequence[str]) -> list[str]:
    """The ``fields`` that no recipient of ``campaign`` has in its data (built-ins never are).

    One ``EXISTS`` per field: it stops at the first row that has it, where
    :func:`django_letsads.recipient_data.data_fields` reads every row's keys.
    """
    messages = Message.objects.filter(campaign=campaign)
    return [
        name
        for name in fields
        if name not in FIELDS and not messages.filter(data__has_key=name).exists()
    ]


@dataclass(frozen=True)
class FieldExtremes:
    """One data field over a campaign's sendable recipients, for the form's live counter.

    ``longest``/``shortest``: its longest and shortest value (``None``: no recipient has one);
    ``non_gsm7``: some value is not GSM-7 (it makes that recipient's text UCS-2); ``missing``:
    some recipient has no value (the default stands in, or the recipient is left out).
    """

    longest: str | None
    shortest: str | None
    non_gsm7: bool
    missing: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "longest": self.longest,
            "shortest": self.shortest,
            "non_gsm7": self.non_gsm7,
            "missing": self.missing,
        }


#: A value with a character outside GSM-7's tables (the regular expression lookup works on
#: SQLite and PostgreSQL alike).
_NON_GSM7 = (
    "[^"
    + "".join("\\" + ch if not ch.isalnum() else ch for ch in GSM7_BASIC + GSM7_EXTENSION)
    + "]"
)


def field_extremes(campaign: Campaign, fields: Sequence[str]) -> dict[str, FieldExtremes]:
    """:class:`FieldExtremes` of each data field of ``fields``: four small queries per field,
    whatever the number of recipients (each stops early or reads one index-less pass)."""
    out: dict[str, FieldExtremes] = {}
    base = sendable(campaign)
    for name in fields:
        if name in FIELDS:
            continue
        rows = with_values(base, [name])
        value = alias(0)
        present = rows.exclude(**{f"{value}__isnull": True}).exclude(**{value: ""})
        by_length = present.annotate(letsads_len=Length(value)).values_list(value, flat=True)
        out[name] = FieldExtremes(
            longest=by_length.order_by("-letsads_len", value).first(),
            shortest=by_length.order_by("letsads_len", value).first(),
            non_gsm7=present.filter(**{f"{value}__regex": _NON_GSM7}).exists(),
            missing=rows.filter(missing_value([name], [name])).exists(),
        )
    return out


def unknown_fields(campaign: Campaign) -> list[str]:
    """The data fields the campaign's text uses that none of its recipients has."""
    template = template_of(campaign.text)
    if template is None:
        return []
    return fields_without_data(campaign, data_fields_of(template))

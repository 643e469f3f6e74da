"""Recipients' merge data (``Message.data``): the columns of their CSV row, or ``merge_data``.

One place for what a field of recipient data is, so the import, ``send_sms`` and the rendering
agree:

* :func:`column_name` turns a CSV header cell into a field name (lower-cased, trimmed, inner
  spaces as ``_``, apostrophes dropped: ``"Ім'я"`` → ``імя``, ``"First name"`` → ``first_name``).
* A value is text of at most :data:`MAX_VALUE_LENGTH` characters (an import rejects a longer
  line with :data:`VALUE_TOO_LONG`).
* :func:`merge.template_values` makes the values a template is rendered with from whatever a
  message's ``data`` holds (``None``, a dict, or anything code stored): it never raises.
* :func:`data_fields` says which fields a campaign's recipients have (for the campaign form's
  "no recipient has this field" error), in one query.
* :func:`without_values` narrows messages to those whose data lacks a value for a placeholder
  of a text that has no default: the ones the worker would fail ``MISSING_FIELD`` (for the
  confirmation, which leaves them out), in SQL; :func:`leave_out_without_values` cancels the
  pending ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import connections, router
from django.db.models import Q, QuerySet
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Length

from django_letsads import merge
from django_letsads.models import Message

if TYPE_CHECKING:
    from django_letsads.models import Campaign

#: Characters one value may have; a CSV line with a longer cell is rejected with the reason.
MAX_VALUE_LENGTH = 500
#: The import report's reason for such a line (translated in ``admin/display.py``).
VALUE_TOO_LONG = "a column value is longer than 500 characters"

_APOSTROPHES = "'\u2019\u02bc\u2018\u0060\u00b4\u02b9"


def column_name(header: str) -> str:
    """The field name of a CSV header cell (see the module docstring)."""
    name = header.strip().lstrip("\ufeff").strip().lower()
    name = "".join(ch for ch in name if ch not in _APOSTROPHES)
    return "_".join(name.split())


def data_fields(campaign: Campaign | int) -> set[str]:
    """The field names that appear in the ``data`` of any message of ``campaign`` (or its id).

    One query: on PostgreSQL ``DISTINCT jsonb_object_keys``, on SQLite ``json_each``; elsewhere
    the rows are read.
    """
    campaign_id = campaign if isinstance(campaign, int) else campaign.pk
    connection = connections[router.db_for_read(Message)]
    table = connection.ops.quote_name(Message._meta.db_table)
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT DISTINCT k FROM {table} m, jsonb_object_keys(m.data) AS k "  # noqa: S608 - name from _meta
            "WHERE m.campaign_id = %s AND jsonb_typeof(m.data) = 'object'"
        )
    elif connection.vendor == "sqlite":
        sql = (
            f"SELECT DISTINCT j.key FROM {table} m, json_each(m.data) AS j "  # noqa: S608 - name from _meta
            "WHERE m.campaign_id = %s AND json_type(m.data) = 'object'"
        )
    else:
        keys: set[str] = set()
        rows = Message.objects.filter(campaign_id=campaign_id, data__isnull=False)
        for data in rows.values_list("data", flat=True).iterator(chunk_size=2000):
            if isinstance(data, Mapping):
                keys.update(str(key) for key in data)
        return keys
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign_id])
        return {str(key) for (key,) in cursor.fetchall()}


def required_fields(text: str) -> list[str]:
    """The data fields ``text`` uses without a default (not ``unsubscribe_url``, which every
    message has); ``[]`` for a text without placeholders. Raises :class:`merge.TemplateError`."""
    from django_letsads.rendering import FIELDS

    if not merge.has_placeholders(text):
        return []
    parts = merge.parse(text).parts
    names = (p.name for p in parts if isinstance(p, merge.Placeholder) and p.default is None)
    return [name for name in dict.fromkeys(names) if name not in FIELDS]


def without_values(messages: QuerySet[Message], text: str) -> QuerySet[Message]:
    """Those of ``messages`` that ``text`` cannot be rendered for: a field it uses without a
    default is missing, JSON ``null`` or empty in their ``data`` (as :mod:`merge` counts a
    value). One query when evaluated; none of ``messages`` for a text whose fields all have
    defaults. Raises :class:`merge.TemplateError` for a text that is not a valid template."""
    fields = required_fields(text)
    if not fields:
        return messages.none()
    lacking = Q()
    aliases: dict[str, Any] = {}
    for n, name in enumerate(fields):
        alias = f"_letsads_v{n}"
        # The length, not the text: SQLite compares a key's text with JSON, not with "". On
        # SQLite the text of JSON null is "null": the exact lookup of the key finds it.
        aliases[alias] = Length(KeyTextTransform(name, "data"))
        aliases[alias + "j"] = KeyTransform(name, "data")
        lacking |= Q(**{f"{alias}__isnull": True}) | Q(**{alias: 0}) | Q(**{alias + "j": None})
    return messages.alias(**aliases).filter(lacking)


def leave_out_without_values(campaign: Campaign) -> int:
    """Cancel the pending messages of ``campaign`` its text cannot be rendered for
    (:func:`without_values`), with ``error_code`` ``MISSING_FIELD`` and a history row each, so
    none is claimed only to fail; returns how many. For the confirmation, before sending."""
    from django_letsads.rendering import MISSING_FIELD
    from django_letsads.status import Status
    from django_letsads.transitions import change_status

    lacking = without_values(campaign.messages.filter(status=Status.PENDING), campaign.text)
    return change_status(
        lacking,
        Status.PENDING,
        Status.CANCELLED,
        code=MISSING_FIELD,
        note="no value and no default for a field of the text",
        error_code=MISSING_FIELD,
    )

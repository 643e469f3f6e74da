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

Leaving out, before sending, the recipients a text cannot be rendered for is
:mod:`django_letsads.leaving_out`'s job.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.db import connections, router

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

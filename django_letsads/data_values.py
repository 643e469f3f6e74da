"""The recipients' data as SQL sees it: which messages count, and each used field's value.

:func:`sendable` is the set of messages a campaign will send; :class:`DataValue` reads one field
of ``Message.data`` as the worker does (:func:`django_letsads.merge.template_values`), on both
databases; :func:`combinations` groups the recipients by the values a text uses, an empty value
with a missing one, as rendering takes them. Shared by the
confirmation's figures (:mod:`django_letsads.personalisation`), the form's counter
(:mod:`django_letsads.field_stats`) and leaving recipients out
(:mod:`django_letsads.leaving_out`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from django.db import connections, transaction
from django.db.models import Count, F, Func, Q, QuerySet, TextField, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, NullIf

from django_letsads.models import Campaign, Message, OptOut
from django_letsads.status import Status

#: PostgreSQL's memory for grouping the combinations (this transaction only).
WORK_MEM = "256MB"


def sendable(campaign: Campaign) -> QuerySet[Message]:
    """The campaign's pending messages a worker will send (numbers on the stop list aside).

    ``NOT IN`` the stop list (its numbers are never ``NULL``), which PostgreSQL hashes once,
    rather than ``NOT EXISTS``, which it planned as a loop over the (empty) list per message.
    """
    return Message.objects.filter(campaign=campaign, status=Status.PENDING).exclude(
        recipient__in=OptOut.objects.values("number")
    )


def alias(index: int) -> str:
    """The name :func:`with_values` gives the value of the ``index``-th field."""
    return f"letsads_v{index}"


class DataValue(Func):
    """A field of ``Message.data`` as text, as :func:`merge.template_values` reads it: ``NULL``
    for a missing key or JSON ``null``; a number or ``true``/``false`` as JSON writes it.

    ``data ->> 'name'`` on PostgreSQL; on SQLite Django's key transform gives JSON ``null`` as
    the text ``'null'``, so the type is asked first.
    """

    output_field = TextField()

    def __init__(self, name: str) -> None:
        super().__init__(F("data"))
        self.name = name

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        text = Cast(KeyTextTransform(self.name, self.source_expressions[0]), TextField())
        return compiler.compile(text)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        data, params = compiler.compile(self.source_expressions[0])
        path = "$." + json.dumps(self.name)
        sql = (
            f"(CASE JSON_TYPE({data}, %s) WHEN 'null' THEN NULL WHEN 'true' THEN 'true' "
            f"WHEN 'false' THEN 'false' ELSE CAST(JSON_EXTRACT({data}, %s) AS TEXT) END)"
        )
        return sql, [*params, path, *params, path]


def with_values(queryset: QuerySet[Message], fields: Sequence[str]) -> QuerySet[Message]:
    """``queryset`` annotated with each field's text value (:class:`DataValue`)."""
    return queryset.annotate(**{alias(i): DataValue(name) for i, name in enumerate(fields)})


def with_keys(queryset: QuerySet[Message], fields: Sequence[str]) -> QuerySet[Message]:
    """``queryset`` annotated with each field's value as a text sees it: ``NULL`` when it is
    missing, JSON ``null`` or empty, which rendering and :func:`match` take alike. Grouped on
    these, recipients who render the same text are one combination, never two that
    :func:`match` finds the same rows for."""
    return queryset.annotate(
        **{
            alias(i): NullIf(DataValue(name), Value("", output_field=TextField()))
            for i, name in enumerate(fields)
        }
    )


def combinations(
    queryset: QuerySet[Message], fields: Sequence[str]
) -> Iterator[list[tuple[Any, ...]]]:
    """Rows of (value of each of ``fields``…, recipients), one per distinct combination, from
    SQL, in chunks. A value is ``None`` when the field is absent or empty (:func:`with_keys`).

    Read through the cursor: Django's per-row converters cost more than the rendering. On
    PostgreSQL the grouping gets the memory to hash a million combinations without spilling
    to disk (``SET LOCAL work_mem``, this transaction only).
    """
    aliases = [alias(i) for i in range(len(fields))]
    rows = (
        with_keys(queryset, fields)
        .order_by()
        .values_list(*aliases)
        .annotate(letsads_n=Count("id"))
        .values_list(*aliases, "letsads_n")
    )
    sql, params = rows.query.sql_with_params()
    connection = connections[rows.db]
    with transaction.atomic(using=rows.db):
        if connection.vendor == "postgresql":
            with connection.cursor() as setting:
                setting.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        # A server-side cursor on PostgreSQL: a million combinations stream, not held in memory.
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while chunk := cursor.fetchmany(20000):
                yield chunk


def match(combination: Sequence[str | None], fields: Sequence[str]) -> Q:
    """The rows whose values of ``fields`` are exactly ``combination`` (on :func:`with_values`)."""
    q = Q()
    for i, value in enumerate(combination):
        if value:
            q &= Q(**{alias(i): value})
        else:
            q &= Q(**{f"{alias(i)}__isnull": True}) | Q(**{alias(i): ""})
    return q


def missing_value(fields: Sequence[str], required: Sequence[str]) -> Q:
    """Rows (on :func:`with_values` over ``fields``) that lack a value of a ``required`` field."""
    q = Q(pk__in=[])
    for i, name in enumerate(fields):
        if name in required:
            q |= Q(**{f"{alias(i)}__isnull": True}) | Q(**{alias(i): ""})
    return q


def sampled_combinations(queryset: QuerySet[Message], fields: Sequence[str], sample: int) -> int:
    """Distinct combinations of ``fields``' values among the first ``sample`` rows (in the
    order of the index on campaign, status and id, which reads them without a scan)."""
    aliases = [alias(i) for i in range(len(fields))]
    rows = with_keys(queryset, fields).order_by("campaign_id", "status", "id")
    first = rows.values_list(*aliases)[:sample]
    return len(set(first))

"""Writing an import's chunks: pending messages of one campaign, one statement per chunk, the
numbers it has already and those on the stop list left out, counted in the import's report.

How each database gets its chunk is told at :class:`Inserter`; reading and checking the lines is
:mod:`django_letsads.importing`'s job.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Field
from django.utils import timezone

from django_letsads.import_report import ImportReport
from django_letsads.models import Campaign, Message
from django_letsads.optout import opted_out_among
from django_letsads.status import Status
from django_letsads.worker.writer import BackgroundWriter, InlineWriter, Writer


def _array_literal(values: list[str]) -> str:
    """``values`` as a PostgreSQL array literal (``{"a","b"}``), every element quoted.

    psycopg adapts a list element by element in Python, a sixth of an import's CPU; this is one
    pass of C string methods. Inside double quotes only ``\\`` and ``"`` need escaping.
    """
    probe = "".join(values)
    if "\\" not in probe and '"' not in probe:
        return '{"' + '","'.join(values) + '"}'
    if "\x00" not in probe:  # JSON texts: escape the joined text once, NUL as the separator
        joined = "\x00".join(values).replace("\\", "\\\\").replace('"', '\\"')
        return '{"' + joined.replace("\x00", '","') + '"}'
    escaped = (value.replace("\\", "\\\\").replace('"', '\\"') for value in values)
    return '{"' + '","'.join(escaped) + '"}'


_Insert = Callable[[list[str], list[str], list[str]], int]


class Inserter:
    """Inserts pending messages of one campaign, skipping numbers it already has, and counts
    them in ``report`` (added, or duplicates of numbers the campaign had).

    PostgreSQL gets one ``INSERT … SELECT FROM unnest(…)`` per chunk and SQLite one prepared
    ``INSERT … ON CONFLICT DO NOTHING`` run over the chunk; both report how many rows went in
    and build no model instances. Other databases use ``bulk_create(ignore_conflicts=True)``.
    The constant columns come from a template message, so every default of the model is honoured
    without being listed here.

    On PostgreSQL a chunk's INSERT runs on a helper thread over the *same* connection (so a
    caller's transaction still makes the import all-or-nothing) while the caller reads and
    checks the next chunk: the two took about as long as each other, one after the other
    (``docs/benchmarks.rst``). One INSERT at a time; nothing else uses the connection meanwhile.
    """

    def __init__(self, campaign: Campaign, report: ImportReport) -> None:
        self.campaign = campaign
        self.report = report
        self.db = router.db_for_write(Message)
        self.connection = connections[self.db]
        self.vendor = self.connection.vendor
        self.columns: list[str] = []
        self.constants: list[tuple[str, Any]] = []  # (db type, value) of the other columns
        template = Message(campaign_id=campaign.pk, status=Status.PENDING)
        quote = self.connection.ops.quote_name
        # Given by each insert, last and in this order: the campaign (checked by the statement),
        # then the two columns that vary by row.
        supplied: list[Field[Any, Any]] = [
            Message._meta.get_field("campaign"),
            Message._meta.get_field("recipient"),
            Message._meta.get_field("recipient_name"),
            Message._meta.get_field("data"),
        ]
        for model_field in Message._meta.concrete_fields:
            if model_field.primary_key or model_field in supplied:
                continue
            self.columns.append(quote(str(model_field.column)))
            value = model_field.pre_save(template, add=True)
            self.constants.append(
                (
                    str(model_field.db_type(self.connection)),
                    model_field.get_db_prep_save(value, self.connection),
                )
            )
        self.columns += [quote(str(f.column)) for f in supplied]
        self.table = quote(Message._meta.db_table)
        self.campaign_table = quote(Campaign._meta.db_table)
        # (rows added, rows offered, numbers left out as opted out)
        self._writer: Writer[tuple[int, int, int]] = InlineWriter()

    def __enter__(self) -> Inserter:
        if self.vendor == "postgresql":
            self.connection.inc_thread_sharing()
            self._writer = BackgroundWriter("letsads-import")
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self._count(wait=True)
        finally:
            self._writer.close(raise_errors=exc_info[0] is None)
            if isinstance(self._writer, BackgroundWriter):
                self.connection.dec_thread_sharing()

    def insert(self, numbers: list[str], names: list[str], datas: list[str]) -> None:
        """Insert these rows; ``datas`` holds each row's data as JSON text, "" for none."""
        if not numbers:
            return
        insert = {"postgresql": self._insert_unnest, "sqlite": self._insert_many}.get(
            self.vendor, self._insert_bulk
        )
        self._writer.submit(lambda: self._insert_allowed(insert, numbers, names, datas))
        self._count()

    def _insert_allowed(
        self, insert: _Insert, numbers: list[str], names: list[str], datas: list[str]
    ) -> tuple[int, int, int]:
        """Leave out the numbers on the stop list, insert the rest. Both on the import's own
        connection (on PostgreSQL this runs on the insert thread, see the class doc)."""
        stopped = opted_out_among(numbers, self.connection)
        if stopped:
            kept = [row for row in zip(numbers, names, datas, strict=True) if row[0] not in stopped]
            numbers = [row[0] for row in kept]
            names = [row[1] for row in kept]
            datas = [row[2] for row in kept]
        return (insert(numbers, names, datas) if numbers else 0), len(numbers), len(stopped)

    def _count(self, *, wait: bool = False) -> None:
        """Count the inserts finished so far (``wait``: all) in the report."""
        for added, offered, stopped in self._writer.collect(wait=wait):
            self.report.added += added
            self.report.duplicates += offered - added
            self.report.opted_out += stopped

    def _check_campaign(self, *, lock: bool) -> None:
        """Raise ``Campaign.DoesNotExist`` if the campaign is gone; with ``lock``, also hold its
        row until the chunk's transaction ends.

        ``Message.campaign`` has no database constraint to refuse rows of a deleted campaign;
        the row lock makes a concurrent deletion wait for this chunk, whose rows it then sweeps
        up (:mod:`django_letsads.cascade`).
        """
        # On the import's own connection: on PostgreSQL this runs on the helper thread, whose
        # ``connections`` would hand the ORM another connection, outside a caller's transaction.
        sql = f"SELECT 1 FROM {self.campaign_table} WHERE id = %s"  # noqa: S608 - name from _meta
        if lock and self.connection.features.has_select_for_update:
            sql += " FOR UPDATE"
        with self.connection.cursor() as cursor:
            cursor.execute(sql, [self.campaign.pk])
            found = cursor.fetchone() is not None
        if not found:
            raise Campaign.DoesNotExist(
                f"Campaign {self.campaign.pk} does not exist: it was deleted before or during "
                "the import, and its messages with it."
            )

    def _insert_unnest(self, numbers: list[str], names: list[str], datas: list[str]) -> int:
        # The campaign row is locked FOR KEY SHARE by the statement itself, as a foreign key
        # check would: no round trip of its own, and no rows at all if the campaign is gone.
        selects = [f"CAST(%s AS {db_type})" for db_type, _ in self.constants]
        sql = (
            f"INSERT INTO {self.table} ({', '.join(self.columns)}) "  # noqa: S608 - names from _meta, values bound
            f"SELECT {', '.join(selects)}, c.id, r.number, r.name, NULLIF(r.data, '')::jsonb "
            f"FROM (SELECT id FROM {self.campaign_table} WHERE id = %s FOR KEY SHARE) AS c "
            "CROSS JOIN unnest(%s::text[], %s::text[], %s::text[]) AS r(number, name, data) "
            "ON CONFLICT DO NOTHING"
        )
        params = [value for _, value in self.constants]
        with self.connection.cursor() as cursor:
            cursor.execute(
                sql,
                [
                    *params,
                    self.campaign.pk,
                    _array_literal(numbers),
                    _array_literal(names),
                    _array_literal(datas),
                ],
            )
            added = int(cursor.rowcount)
        if not added:  # every number a duplicate, or no campaign to add them to
            self._check_campaign(lock=False)
        return added

    def _insert_many(self, numbers: list[str], names: list[str], datas: list[str]) -> int:
        placeholders = ", ".join(["%s"] * len(self.columns))
        sql = (
            f"INSERT INTO {self.table} ({', '.join(self.columns)}) "  # noqa: S608 - names from _meta, values bound
            f"VALUES ({placeholders}) ON CONFLICT DO NOTHING"
        )
        row = (*(value for _, value in self.constants), self.campaign.pk)
        # One transaction per chunk: in autocommit, SQLite would commit (and sync to disk) after
        # every row of the executemany, about a millisecond each.
        with transaction.atomic(using=self.db), self.connection.cursor() as cursor:
            cursor.executemany(
                sql,
                [
                    (*row, number, name, data or None)
                    for number, name, data in zip(numbers, names, datas, strict=True)
                ],
            )
            added = int(cursor.rowcount)
            # Checked after writing, when this transaction holds SQLite's write lock: no
            # deletion can commit between the check and the commit of these rows.
            self._check_campaign(lock=True)
            return added

    def _insert_bulk(self, numbers: list[str], names: list[str], datas: list[str]) -> int:
        # bulk_create(ignore_conflicts=True) cannot say how many rows it inserted; count around it
        # inside one transaction so a concurrent import cannot blur the numbers.
        messages = self.campaign.messages.using(self.db)
        now = timezone.now()
        with transaction.atomic(using=self.db):
            self._check_campaign(lock=True)
            before = messages.count()
            Message.objects.using(self.db).bulk_create(
                [
                    Message(
                        campaign_id=self.campaign.pk,
                        recipient=number,
                        recipient_name=name,
                        data=json.loads(data) if data else None,
                        status=Status.PENDING,
                        created_at=now,
                    )
                    for number, name, data in zip(numbers, names, datas, strict=True)
                ],
                ignore_conflicts=True,
            )
            return messages.count() - before

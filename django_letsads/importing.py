"""Adding recipients to a campaign from pasted text or a CSV file, a million lines at a time.

An import streams its source: lines are read, checked with :func:`phones.check_many` and
inserted in chunks, so memory stays the size of one chunk whatever the size of the file. The
database's unique (campaign, recipient) constraint does the de-duplication, both within the file
and against numbers the campaign already has, so nothing is remembered across chunks either.

A bad line never costs a good one: every line ends up counted as added, duplicate, opted out (on
the stop list, :mod:`django_letsads.optout`) or rejected (with the reason), and the report says
which.

A CSV file with a header row keeps every column but the phone in ``Message.data`` (the name
too; ``recipient_name`` is still filled from the name column), for the campaign text's
placeholders (:mod:`django_letsads.merge`). Column names become field names as
:func:`recipient_data.column_name` says; two columns with the same name refuse the file
(:class:`DuplicateColumnsError`) before anything is stored. A cell over
:data:`recipient_data.MAX_VALUE_LENGTH` characters rejects its line. Pasted numbers have no data.

On PostgreSQL a chunk is one ``INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING`` (no model
instances at all; the data travels as JSON text in the same statement); on SQLite one prepared
``INSERT`` run over the chunk; elsewhere ``bulk_create(ignore_conflicts=True)``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import connections, router, transaction
from django.db.models import F, Field
from django.utils import timezone

from django_letsads.csvlines import Source, source_lines
from django_letsads.csvrows import DuplicateColumnsError, Row, csv_rows
from django_letsads.models import Campaign, Message
from django_letsads.optout import opted_out_among
from django_letsads.phones import check_many
from django_letsads.status import Status
from django_letsads.worker.writer import BackgroundWriter, InlineWriter, Writer

logger = logging.getLogger(__name__)

__all__ = ["DuplicateColumnsError", "ImportReport", "RejectedLine", "import_recipients"]

Kind = Literal["text", "csv"]

#: Lines per insert; big enough to amortise a round trip, small enough to keep memory flat.
CHUNK_SIZE = 5000
#: Rejected lines kept in the report with their text; the rest are only counted.
MAX_REPORTED_REJECTS = 1000

_TEXT_SEPARATORS = re.compile(r"[,;\r\n]")


@dataclass(frozen=True, slots=True)
class RejectedLine:
    """One line that was not imported: its number in the source (from 1), its text and why."""

    line: int
    text: str
    reason: str


@dataclass
class ImportReport:
    """What an import did. ``duplicates`` counts valid numbers the campaign had already (from an
    earlier import or an earlier line). ``rejected`` holds the first :data:`MAX_REPORTED_REJECTS`
    rejected lines; ``rejected_count`` counts them all."""

    added: int = 0
    duplicates: int = 0
    rejected_count: int = 0
    rejected: list[RejectedLine] = field(default_factory=list)
    #: Valid numbers left out because they are on the stop list.
    opted_out: int = 0

    @property
    def total(self) -> int:
        return self.added + self.duplicates + self.rejected_count + self.opted_out

    def reject(self, line: int, text: str, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_REPORTED_REJECTS:
            self.rejected.append(RejectedLine(line, text[:200], reason))


def import_recipients(
    campaign: Campaign,
    source: Source,
    *,
    kind: Kind = "text",
    region: str | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> ImportReport:
    """Add the numbers of ``source`` to ``campaign`` as pending messages; never raises for bad lines.

    ``kind="text"``: one number per line, or several separated by commas or semicolons.
    ``kind="csv"``: a phone column and any other columns, ``,`` or ``;`` separated, UTF-8
    with or without a byte order mark; a header row is recognised by its column names (``phone``,
    ``name``, ``телефон`` …), and without one the first column is the phone, the second the name.
    With a header every column but the phone goes to ``Message.data`` under its name; without
    one only the name does (as ``name``). Raises :class:`DuplicateColumnsError` (a
    ``ValueError``), having stored nothing, when the header names a column twice.

    ``source`` is a string, an iterable of lines (``str`` or UTF-8 ``bytes``) or an open file
    (text or binary, e.g. an uploaded file). The campaign's running totals of duplicate and
    invalid numbers (shown before sending) are updated. Call it inside a transaction to make the
    import all-or-nothing; otherwise each chunk commits on its own.
    """
    report = ImportReport()
    rows = (
        csv_rows(_lines(source, report), report.reject)
        if kind == "csv"
        else _text_rows(_lines(source, report))
    )
    with _Inserter(campaign, report) as inserter:
        chunk: list[Row] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= chunk_size:
                _import_chunk(chunk, inserter, report, region)
                chunk = []
        if chunk:
            _import_chunk(chunk, inserter, report, region)
    Campaign.objects.filter(pk=campaign.pk).update(
        duplicate_recipients=F("duplicate_recipients") + report.duplicates,
        invalid_recipients=F("invalid_recipients") + report.rejected_count,
        opted_out_recipients=F("opted_out_recipients") + report.opted_out,
    )
    logger.info(
        "Campaign %s: imported %d numbers, %d duplicates, %d rejected lines, %d opted out",
        campaign.pk,
        report.added,
        report.duplicates,
        report.rejected_count,
        report.opted_out,
    )
    return report


# -- reading ------------------------------------------------------------------------------------


def _lines(source: Source, report: ImportReport) -> Iterator[str]:
    """Text lines of ``source``, one item per source line (see :func:`csvlines.source_lines`)."""
    return source_lines(source, report.reject)


def _text_rows(lines: Iterable[str]) -> Iterator[Row]:
    for number, line in enumerate(lines, start=1):
        for piece in _TEXT_SEPARATORS.split(line):
            piece = piece.strip()
            if piece:
                yield number, piece, "", ""


# -- writing ------------------------------------------------------------------------------------


def _import_chunk(
    chunk: list[Row],
    inserter: _Inserter,
    report: ImportReport,
    region: str | None,
) -> None:
    verdicts = check_many([raw for _, raw, _, _ in chunk], region)
    numbers: list[str] = []
    names: list[str] = []
    datas: list[str] = []
    for (line, raw, name, data), (number, reason, duplicate_of) in zip(
        chunk, verdicts, strict=True
    ):
        if not number:
            report.reject(line, raw, reason)
        elif duplicate_of is not None:
            report.duplicates += 1
        else:
            numbers.append(number)
            names.append(name)
            datas.append(data)
    inserter.insert(numbers, names, datas)


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


class _Inserter:
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

    def __enter__(self) -> _Inserter:
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

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

import logging
import re
from collections.abc import Iterable, Iterator
from typing import Literal

from django.db.models import F

from django_letsads.csvlines import Source, source_lines
from django_letsads.csvrows import DuplicateColumnsError, Row, csv_rows
from django_letsads.import_report import MAX_REPORTED_REJECTS, ImportReport, RejectedLine
from django_letsads.models import Campaign
from django_letsads.phones import check_many
from django_letsads.recipient_inserts import Inserter

logger = logging.getLogger(__name__)

__all__ = [
    "MAX_REPORTED_REJECTS",
    "DuplicateColumnsError",
    "ImportReport",
    "RejectedLine",
    "import_recipients",
]

Kind = Literal["text", "csv"]

#: Lines per insert; big enough to amortise a round trip, small enough to keep memory flat.
CHUNK_SIZE = 5000

_TEXT_SEPARATORS = re.compile(r"[,;\r\n]")
#: The inserter's name here before it had a module of its own (tests patch its methods).
_Inserter = Inserter


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
    inserter: Inserter,
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

"""The stop list as CSV: import (a number column and an optional reason) and streamed export.

An import never fails for a bad line: each line is added, already on the list, or rejected with
its reason, and the report says which, as for recipient imports. Whole-file problems (not a file
at all) are the caller's to report. The export streams every entry in constant memory; cells
that a spreadsheet would run as a formula are prefixed with ``'`` (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

from django_letsads import optout
from django_letsads.models import OptOut
from django_letsads.phones import check_many

CHUNK_SIZE = 2000
MAX_REPORTED_REJECTS = 1000
HEADER = ["number", "reason", "source", "campaign", "created_at"]
_NUMBER_HEADERS = ("number", "phone", "tel", "mobile", "msisdn", "телефон", "номер")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class StopListReport:
    """What a stop-list import did; ``rejected`` holds the first lines refused, with reasons."""

    added: int = 0
    already: int = 0
    rejected_count: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)

    def reject(self, line: int, text: str, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_REPORTED_REJECTS:
            self.rejected.append((line, text[:200], reason))


def import_csv(source: IO[bytes] | IO[str] | str, *, reason: str = "") -> StopListReport:
    """Add the numbers of a CSV (``,`` or ``;``; UTF-8 with or without BOM) to the stop list.

    The first column is the number and an optional second the reason (``reason`` when empty);
    a first row without digits is a header. Source ``import``; one transaction per chunk.
    """
    report = StopListReport()
    chunk: list[tuple[int, str, str]] = []
    for row in _rows(_text(source)):
        chunk.append(row)
        if len(chunk) >= CHUNK_SIZE:
            _add(chunk, report, reason)
            chunk = []
    if chunk:
        _add(chunk, report, reason)
    return report


def _text(source: IO[bytes] | IO[str] | str) -> Iterator[str]:
    if isinstance(source, str):
        yield from io.StringIO(source, newline="")
        return
    first = True
    for line in source:
        if isinstance(line, bytes):
            line = line.decode("utf-8", "replace")  # a bad line fails as a number, not the file
        if first:
            line, first = line.removeprefix("\ufeff"), False
        yield line


def _rows(lines: Iterator[str]) -> Iterator[tuple[int, str, str]]:
    """(line number, number as written, reason) of each non-blank line."""
    first = next(lines, None)
    if first is None:
        return
    delimiter = ";" if first.count(";") > first.count(",") else ","

    def chained() -> Iterator[str]:
        yield first
        yield from lines

    reader = csv.reader(chained(), delimiter=delimiter)
    for row in reader:
        if not "".join(row).strip():
            continue
        cells = [cell.strip() for cell in row]
        if reader.line_num == 1 and _is_header(cells):
            continue
        yield reader.line_num, cells[0], (cells[1] if len(cells) > 1 else "")


def _is_header(cells: list[str]) -> bool:
    lowered = [cell.lower() for cell in cells]
    named = any(h in cell for cell in lowered for h in _NUMBER_HEADERS)
    return named or not any(ch.isdigit() for cell in cells for ch in cell)


def _add(chunk: list[tuple[int, str, str]], report: StopListReport, reason: str) -> None:
    verdicts = check_many([raw for _, raw, _ in chunk])
    entries: list[tuple[str, str]] = []
    for (line, raw, line_reason), (number, why, duplicate_of) in zip(chunk, verdicts, strict=True):
        if not number:
            report.reject(line, raw, why)
        elif duplicate_of is None:
            entries.append((number, (line_reason or reason).replace("\x00", "")))
        else:
            report.already += 1
    added = optout.add_many(entries, source=OptOut.Source.IMPORT)
    report.added += len(added)
    report.already += len(entries) - len(added)


def export_lines() -> Iterator[str]:
    """The whole stop list as CSV lines (a header first), oldest first, in constant memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells: Iterable[object]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_safe(str(cell)) for cell in cells])
        return buffer.getvalue()

    yield line(HEADER)
    rows = OptOut.objects.order_by("id").values_list(
        "number", "reason", "source", "campaign_id", "created_at"
    )
    for number, reason, source, campaign_id, created_at in rows.iterator(chunk_size=2000):
        yield line([number, reason, source, campaign_id or "", created_at.isoformat()])


def _safe(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_START) else cell

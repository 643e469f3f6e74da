"""The rows of a recipients' CSV file: phone, name and the other columns as merge data.

A header row is recognised by its column names (``phone``, ``name``, ``телефон`` …) or by having
no digit at all; without one the first column is the phone and the second the name. With a
header every column but the phone becomes a field of ``Message.data`` under its name
(:func:`recipient_data.column_name`), written as JSON text here, once per row, with the names
encoded once per file; two columns with the same name refuse the file
(:class:`DuplicateColumnsError`). A cell over :data:`recipient_data.MAX_VALUE_LENGTH`
characters rejects its line (:data:`recipient_data.VALUE_TOO_LONG`).
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable, Iterator

from django_letsads.csvlines import CsvRecords, Reject
from django_letsads.models import Message
from django_letsads.recipient_data import MAX_VALUE_LENGTH, VALUE_TOO_LONG, column_name

_PHONE_HEADERS = ("phone", "number", "tel", "mobile", "msisdn", "recipient", "телефон", "номер")
_NAME_HEADERS = ("name", "ім'я", "імʼя", "ім\u2019я", "имя", "піб", "фио", "contact")

_NAME_MAX = Message._meta.get_field("recipient_name").max_length or 200
#: A row: (line number, phone as written, name, data as JSON text or "" for none).
Row = tuple[int, str, str, str]
#: A str as a JSON string, UTF-8 kept: the C function ``json.dumps(..., ensure_ascii=False)``
#: ends in, without its per-call Python layers (a row calls it once per column).
_encode: Callable[[str], str] = json.encoder.encode_basestring


class DuplicateColumnsError(ValueError):
    """The CSV file's header names a column twice (after lower-casing and trimming): which one
    would be the field? The file is refused before anything is stored. ``columns`` maps each
    repeated name to the 1-based positions of its columns."""

    def __init__(self, columns: dict[str, list[int]]) -> None:
        self.columns = columns
        described = "; ".join(
            f"{name!r} (columns {', '.join(str(i) for i in positions)})"
            for name, positions in columns.items()
        )
        super().__init__(
            f"The file's header names a column more than once: {described}. Rename the columns "
            "so that each name appears once; nothing was imported."
        )


def csv_rows(lines: Iterator[str], reject: Reject) -> Iterator[Row]:
    """The rows of a CSV source's lines (see :func:`importing.import_recipients`); a line that
    cannot be used is rejected through ``reject(number, text, reason)``."""
    skipped = 0
    first = None
    for line in lines:
        if line.strip():
            first = line
            break
        skipped += 1
    if first is None:
        return
    delimiter = ";" if first.count(";") >= first.count(",") and ";" in first else ","
    if "\t" in first and delimiter not in first:
        delimiter = "\t"
    # A record the csv module cannot read costs its first line only (``csvlines``).
    records = iter(CsvRecords(_chain(first, lines), skipped + 1, delimiter, reject))
    header = next(records, None)
    if header is None:
        return
    number, row = header
    if _looks_like_header(row):
        phone_col, name_col = _columns(row, named=True)
        data = _DataColumns.of_header(row, phone_col)
    else:
        phone_col, name_col = _columns(row)
        data = _DataColumns.of_name(name_col)
        if parsed := _csv_row(number, row, phone_col, name_col, data, reject):
            yield parsed
    for number, row in records:
        if parsed := _csv_row(number, row, phone_col, name_col, data, reject):
            yield parsed


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _csv_row(
    number: int,
    row: list[str],
    phone_col: int,
    name_col: int | None,
    data: _DataColumns,
    reject: Reject,
) -> Row | None:
    """(line number, phone, name, data) of one CSV row, ``None`` for a blank or rejected one."""
    if not "".join(row).strip():
        return None
    phone = row[phone_col].strip() if phone_col < len(row) else ""
    name = row[name_col].strip() if name_col is not None and name_col < len(row) else ""
    # PostgreSQL text cannot hold NUL; one stray NUL in a name must not fail the whole import.
    name = name.replace("\x00", "")
    encoded = data.encode(row)
    if encoded is None:
        reject(number, ",".join(row), VALUE_TOO_LONG)
        return None
    # An empty phone cell is reported as such ("empty"), quoting nothing else of the row.
    return number, phone, name[:_NAME_MAX], encoded


class _DataColumns:
    """Which cells of a row go to ``Message.data``, and under which names; encodes a row's data
    as JSON text with the names written once (a row costs one string join)."""

    def __init__(self, columns: list[tuple[int, str]]) -> None:
        self.columns = columns
        self.prefixes = [
            ("{" if i == 0 else ",") + _encode(name) + ":" for i, (_, name) in enumerate(columns)
        ]
        self.pairs = list(zip((i for i, _ in columns), self.prefixes, strict=True))

    @classmethod
    def of_header(cls, header: list[str], phone_col: int) -> _DataColumns:
        columns = [(i, column_name(cell)) for i, cell in enumerate(header) if i != phone_col]
        columns = [(i, name) for i, name in columns if name]
        positions: dict[str, list[int]] = {}
        for i, name in columns:
            positions.setdefault(name, []).append(i + 1)
        repeated = {name: found for name, found in positions.items() if len(found) > 1}
        if repeated:
            raise DuplicateColumnsError(repeated)
        return cls(columns)

    @classmethod
    def of_name(cls, name_col: int | None) -> _DataColumns:
        return cls([] if name_col is None else [(name_col, "name")])

    def encode(self, row: list[str]) -> str | None:
        """The row's data as JSON text ("" for no columns), ``None`` if a value is too long."""
        if not self.columns:
            return ""
        parts = []
        size = len(row)
        for i, prefix in self.pairs:
            value = row[i].strip() if i < size else ""
            if len(value) > MAX_VALUE_LENGTH:
                return None
            if "\x00" in value:  # jsonb cannot hold NUL; one stray NUL must not fail the file
                value = value.replace("\x00", "")
            parts.append(prefix)
            parts.append(_encode(value))
        parts.append("}")
        return "".join(parts)


def _columns(header: list[str], *, named: bool = False) -> tuple[int, int | None]:
    """(phone column, name column): from the header's names, else the first and second."""
    cells = [cell.strip().lower().lstrip("\ufeff") for cell in header]
    if named:
        phone = next((i for i, c in enumerate(cells) if any(h in c for h in _PHONE_HEADERS)), 0)
        name = next(
            (i for i, c in enumerate(cells) if i != phone and any(h in c for h in _NAME_HEADERS)),
            None,
        )
        if name is None and len(cells) == 2:
            name = 1 - phone
        return phone, name
    return 0, (1 if len(cells) > 1 else None)


def _looks_like_header(row: list[str]) -> bool:
    """A first row that names a known column, or has no digit at all, is a header."""
    cells = [cell.strip().lower() for cell in row]
    known = any(h in c for c in cells for h in (*_PHONE_HEADERS, *_NAME_HEADERS))
    return known or not any(ch.isdigit() for c in cells for ch in c)

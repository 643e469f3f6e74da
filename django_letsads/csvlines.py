"""Reading an import's lines and CSV records so that one broken line costs only itself.

Three files used to break an import as a whole: a line too long for memory or for the ``csv``
module (``_csv.Error``: HTTP 500, the campaign rolled back), a stray opening quote that swallows
the lines after it into one field, and a UTF-16 file (Excel's "Unicode text"), whose every line
was rejected. Here:

* :func:`source_lines` reads at most :data:`MAX_LINE` characters of a line at once; the rest of a
  longer line is skipped in pieces and the line rejected, so memory stays bounded. A file that
  starts with a UTF-16 byte order mark is read as UTF-16; one that looks like UTF-16 without it
  is refused once, as line 1.
* :class:`CsvRecords` reads CSV records and remembers the lines of the record being read: when the
  ``csv`` module fails on it, or a quoted field runs over :data:`MAX_RECORD_LINES` lines (a quote
  never closed), the record's first line is rejected and the lines after it are read again.

Reasons are fixed English strings (the admin translates them, ``admin/display.py``).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

#: Characters of one line; a recipient line is a number and a few columns.
MAX_LINE = 100_000
#: Lines one CSV record may span (a quoted name with line breaks); more is a quote never closed.
MAX_RECORD_LINES = 10

LINE_TOO_LONG = "line too long"
UNCLOSED_QUOTE = "an opening quote is never closed"
NOT_CSV = "cannot be read as CSV"
NOT_UTF8 = "not UTF-8 text"
UTF16_WITHOUT_BOM = "the file is UTF-16: save it as CSV UTF-8"

Reject = Callable[[int, str, str], None]
Source = str | bytes | Iterable[str] | Iterable[bytes] | IO[str] | IO[bytes]


def source_lines(source: Source, reject: Reject) -> Iterator[str]:
    """Text lines of ``source``, one item per source line, line endings kept (csv wants them).

    A line that cannot be used (too long, not UTF-8) is rejected through ``reject(number, text,
    reason)`` and an empty line takes its place, so line numbers stay right. A byte order mark
    at the start is dropped.
    """
    if isinstance(source, str):
        yield from _read(io.StringIO(source, newline=None).readline, reject)
    elif isinstance(source, bytes):
        yield from _read_bytes(io.BytesIO(source), reject)
    elif hasattr(source, "readline") and hasattr(source, "read"):
        head = source.read(0)
        if isinstance(head, str):
            yield from _read(source.readline, reject)
        else:
            yield from _read_bytes(source, reject)  # type: ignore[arg-type]
    else:
        yield from _iterate(source, reject)


def _read_bytes(source: IO[bytes], reject: Reject) -> Iterator[str]:
    start = source.read(2)
    stream = io.BufferedReader(_Prefixed(start, source))
    if start in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        text = io.TextIOWrapper(stream, encoding="utf-16", errors="replace", newline=None)
        yield from _read(text.readline, reject)
        return
    yield from _read(stream.readline, reject)


def _read(readline: Callable[[int], Any], reject: Reject) -> Iterator[str]:
    number = 0
    while True:
        piece = readline(MAX_LINE + 1)
        if not piece:
            return
        number += 1
        if len(piece) > MAX_LINE and not _ends_line(piece):
            shown = _shown(piece)
            while piece and not _ends_line(piece):  # skip the rest, a piece at a time
                piece = readline(65536)
            reject(number, shown, LINE_TOO_LONG)
            yield "\n"
            continue
        if isinstance(piece, bytes):
            if number == 1 and b"\x00" in piece:
                reject(1, "", UTF16_WITHOUT_BOM)
                return
            try:
                text = piece.decode("utf-8")
            except UnicodeDecodeError:
                reject(number, piece.decode("utf-8", "replace").strip(), NOT_UTF8)
                text = "\n"
        else:
            text = piece
        yield text.removeprefix("\ufeff") if number == 1 else text


def _iterate(items: Iterable[str] | Iterable[bytes], reject: Reject) -> Iterator[str]:
    """Lines the caller already holds (a list, a generator): only checked, one at a time."""
    lines: Iterable[str | bytes] = items
    for number, item in enumerate(lines, start=1):
        if len(item) > MAX_LINE:
            reject(number, _shown(item), LINE_TOO_LONG)
            yield "\n"
            continue
        if isinstance(item, bytes):
            try:
                text = item.decode("utf-8")
            except UnicodeDecodeError:
                reject(number, item.decode("utf-8", "replace").strip(), NOT_UTF8)
                text = "\n"
        else:
            text = str(item)
        yield text.removeprefix("\ufeff") if number == 1 else text


def _shown(piece: str | bytes) -> str:
    """The start of a rejected line, for the report."""
    start = piece[:40]
    text = start.decode("utf-8", "replace") if isinstance(start, bytes) else start
    return text + "…"


def _ends_line(piece: str | bytes) -> bool:
    return piece.endswith("\n") if isinstance(piece, str) else piece.endswith(b"\n")


class _Prefixed(io.RawIOBase):
    """``source`` with ``start`` (bytes already read from it to sniff the encoding) put back."""

    def __init__(self, start: bytes, source: IO[bytes]) -> None:
        self._start = start
        self._source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._start:
            n = min(len(buffer), len(self._start))
            buffer[:n] = self._start[:n]
            self._start = self._start[n:]
            return n
        data = self._source.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _RunawayQuote(Exception):
    pass


class CsvRecords:
    """``(line number, row)`` of each CSV record of ``lines``; a broken record costs one line.

    ``first_number`` is the number of the first of ``lines`` in the source.
    """

    def __init__(
        self, lines: Iterator[str], first_number: int, delimiter: str, reject: Reject
    ) -> None:
        self._lines = lines
        self._next_number = first_number
        self._delimiter = delimiter
        self._reject = reject
        self._replay: deque[tuple[int, str]] = deque()
        #: (number, text) of the lines the record being read has taken so far.
        self._record: list[tuple[int, str]] = []

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        while True:
            reader = csv.reader(_Feed(self), delimiter=self._delimiter)
            try:
                for row in reader:
                    number = self._record[0][0] if self._record else self._next_number
                    self._record = []
                    yield number, row
                return
            except (csv.Error, _RunawayQuote) as exc:
                reason = UNCLOSED_QUOTE if isinstance(exc, _RunawayQuote) else NOT_CSV
                self._skip_first_line_of_record(reason)

    def _skip_first_line_of_record(self, reason: str) -> None:
        if not self._record:  # pragma: no cover - csv fails only after taking a line
            return
        (number, text), *rest = self._record
        self._record = []
        self._replay.extendleft(reversed(rest))
        self._reject(number, text.strip()[:200], reason)

    def next_line(self) -> str:
        if self._replay:
            item = self._replay.popleft()
        else:
            item = (self._next_number, next(self._lines))
            self._next_number += 1
        self._record.append(item)
        if len(self._record) > MAX_RECORD_LINES:
            raise _RunawayQuote
        return item[1]


class _Feed:
    """The iterator ``csv.reader`` reads: :meth:`CsvRecords.next_line`, one line at a time."""

    def __init__(self, records: CsvRecords) -> None:
        self._records = records

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        return self._records.next_line()

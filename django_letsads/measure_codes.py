"""What :mod:`measure_sql`'s query measures with: the measures of a part of a text in Python,
the regular expressions that measure a value in SQL, and the codes a text is counted under
(its segments plus 100 for GSM-7, or left out, over the limit, uncounted).
"""

from __future__ import annotations

from django_letsads.bulk_rendering import Renderer
from django_letsads.text import GSM7, GSM7_BASIC, GSM7_EXTENSION, SEGMENT_SIZES, UCS2
from django_letsads.translit import APOSTROPHES

_GSM7_ALL = frozenset(GSM7_BASIC + GSM7_EXTENSION)
_EXT = frozenset(GSM7_EXTENSION)


def _bracket(chars: str) -> str:
    """A PostgreSQL bracket expression matching exactly ``chars`` (no ranges)."""
    return "[" + "".join("\\" + ch if ch in "\\]^-[" else ch for ch in chars) + "]"


BASIC_GSM7 = "^" + _bracket(GSM7_BASIC) + "*$"
ALL_GSM7 = "^" + _bracket(GSM7_BASIC + GSM7_EXTENSION) + "*$"
EXTENSION = _bracket(GSM7_EXTENSION)
ASTRAL = "[\U00010000-\U0010ffff]"
#: Values :func:`~django_letsads.translit.transliterate` may change (the complement of
#: ``bulk_rendering._UNTOUCHED``): a Cyrillic letter or an apostrophe-like mark.
TOUCHED = _bracket("".join(chr(c) for c in range(0x400, 0x500)) + APOSTROPHES)


def parts_of(text: str) -> tuple[bool, int, int, int]:
    """(GSM-7, extension characters, characters outside the BMP, characters) of a part."""
    return (
        all(ch in _GSM7_ALL for ch in text),
        sum(ch in _EXT for ch in text),
        sum(ord(ch) > 0xFFFF for ch in text),
        len(text),
    )


#: Ids below 2 ** 40 share a number with a text's length (:meth:`MeasureQuery.aggregate`).
ID_BITS = 40
ID_SPAN = 1 << ID_BITS

#: The codes of recipients left out, over the limit, or whose segments SQL cannot count.
MISSING, OVER, UNCOUNTED = -1, -2, -3


def code(n: int, encoding: str, renderer: Renderer) -> str:
    """SQL for the code of the ``n``-th text in ``encoding``: :data:`OVER`, :data:`UNCOUNTED`
    (two-unit characters over one segment), or its segments, plus 100 for GSM-7."""
    units = f"(x.c{n} + x.d{n})"
    sizes = SEGMENT_SIZES[encoding]
    single, multi = sizes["single"], sizes["multi"]
    base = 100 if encoding == GSM7 else 0
    return (
        f"CASE WHEN {units} > {renderer.limits[encoding]} THEN {OVER} "
        f"WHEN x.d{n} > 0 AND {units} > {single} THEN {UNCOUNTED} "
        f"WHEN {units} <= {single} THEN {base} + sign({units}) "
        f"ELSE {base} + ({units} + {multi - 1}) / {multi} END"
    )


#: The measures of a mapped value, as written then transliterated.
MAPPED = ("g0", "e0", "a0", "c0", "g1", "e1", "a1", "c1")


def buckets(renderer: Renderer) -> list[tuple[str, int]]:
    """(encoding, segments) a text within the limits can have."""
    out = []
    for encoding in (GSM7, UCS2):
        sizes, limit = SEGMENT_SIZES[encoding], renderer.limits[encoding]
        most = 1 if limit <= sizes["single"] else -(-limit // sizes["multi"])
        out += [(encoding, parts) for parts in range(most + 1)]
    return out

"""The confirmation's figures by rendering: each distinct combination of values once, in Python.

The database groups the sendable messages by the values the text uses (:func:`combinations`);
each group is rendered once and measured (:class:`~django_letsads.bulk_rendering.Renderer`,
:func:`~django_letsads.bulk_rendering.measure`) and weighted by its recipients. Exact for every
text, and fast while values repeat; a million distinct combinations take seconds
(:mod:`django_letsads.sql_distribution` counts those in SQL on PostgreSQL).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from django_letsads import merge
from django_letsads.bulk_rendering import GSM_BASIC, Renderer, measure, segments_of, simple_encoding
from django_letsads.data_values import combinations, match, with_values
from django_letsads.distribution import SHOWN_NUMBERS, TextDistribution
from django_letsads.models import Message
from django_letsads.text import GSM7, UCS2


def tally(
    template: merge.Template,
    queryset: QuerySet[Message],
    fields: Sequence[str],
    modes: Sequence[bool],
    per_message: bool,
) -> list[TextDistribution]:
    """The figures of ``queryset`` for each of ``modes`` (transliterated or not), in one pass;
    ``per_message``: every text is distinct (the unsubscribe link)."""
    tallies = [Tally(Renderer(template, mode, fields)) for mode in modes]
    source = combinations(queryset, fields) if fields else iter([[(queryset.count(),)]])
    for chunk in source:
        for one in tallies:
            one.add(chunk)
    return [one.result(queryset, fields, per_message) for one in tallies]


class Tally:
    """The figures of one way of sending (as written or transliterated), row by row.

    The loop runs up to a million times per page: texts whose characters all take one unit
    (nearly all) are only counted per (encoding, length) in it, and measured afterwards.
    """

    def __init__(self, renderer: Renderer) -> None:
        self.renderer = renderer
        self.by_length: dict[tuple[bool, int], int] = {}
        self.segments: Counter[int] = Counter()
        self.encodings: Counter[str] = Counter()
        self.texts: set[int] = set()
        self.missing = self.too_long = 0
        self.missing_fields: dict[str, None] = {}
        self.too_long_rows: list[tuple[Any, ...]] = []
        self.longest = self.shortest = ""
        self.longest_n, self.shortest_n = -1, 1 << 62

    def add(self, chunk: list[tuple[Any, ...]]) -> None:
        render, limits = self.renderer.render_row, self.renderer.limits
        gsm_limit, ucs2_limit = limits[GSM7], limits[UCS2]
        basic, simple = GSM_BASIC.fullmatch, simple_encoding
        by_length, texts_add = self.by_length, self.texts.add
        for row in chunk:
            count = row[-1]
            try:
                text = render(row)
            except merge.MissingValueError as exc:
                self.missing += count
                self.missing_fields[exc.field] = None
                continue
            n = len(text)
            exact: tuple[str, int, bool] | None = None
            if basic(text):
                over = n > gsm_limit
                key = (True, n)
            elif simple(text) == UCS2:
                over = n > ucs2_limit
                key = (False, n)
            else:  # a two-unit character: measured in full
                exact = measure(text, limits)
                over = exact[2]
            if over:
                self.too_long += count
                if len(self.too_long_rows) < SHOWN_NUMBERS:
                    self.too_long_rows.append(row[:-1])
                continue
            if exact is None:
                by_length[key] = by_length.get(key, 0) + count
            else:
                self.segments[exact[1]] += count
                self.encodings[exact[0]] += count
            # Hashes, not texts: a million distinct texts would take a hundred megabytes.
            texts_add(hash(text))
            if n > self.longest_n:
                self.longest, self.longest_n = text, n
            if n < self.shortest_n:
                self.shortest, self.shortest_n = text, n

    def result(
        self, queryset: QuerySet[Message], fields: Sequence[str], per_message: bool
    ) -> TextDistribution:
        for (gsm7, units), count in self.by_length.items():
            encoding = GSM7 if gsm7 else UCS2
            self.segments[segments_of(encoding, units)] += count
            self.encodings[encoding] += count
        recipients = sum(self.segments.values())
        return TextDistribution(
            segments=dict(self.segments),
            distinct_texts=recipients if per_message else len(self.texts),
            missing=self.missing,
            missing_fields=tuple(f for f in self.renderer.required if f in self.missing_fields),
            too_long=self.too_long,
            too_long_numbers=_numbers(queryset, fields, self.too_long_rows),
            longest=self.longest,
            shortest=self.shortest,
            encodings=dict(self.encodings),
        )


def _numbers(
    queryset: QuerySet[Message], fields: Sequence[str], combos: list[tuple[str | None, ...]]
) -> tuple[str, ...]:
    numbers: list[str] = []
    for values in combos:
        room = SHOWN_NUMBERS - len(numbers)
        if room <= 0:
            break
        # Combinations never overlap (``data_values.with_keys``): no number is found twice.
        rows = with_values(queryset, fields).filter(match(values, fields)).order_by("id")
        numbers += rows.values_list("recipient", flat=True)[:room]
    return tuple(numbers)

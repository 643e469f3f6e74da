"""The SQL that measures every recipient's text of a campaign, for :mod:`sql_distribution`.

:class:`MeasureQuery` builds one aggregate query: per recipient, the first missing value, and per
way of sending the text's encoding, characters and two-unit characters summed from its parts (the
template's pieces and defaults measured here in Python by :func:`parts_of`, each value in SQL by
regular expressions, or from the table of transliterated values), coded as segments or as over
the limit; then counts per code, distinct texts by a 64-bit hash of the text, and the ids of the
longest and shortest texts. :meth:`MeasureQuery.figures` reads its row back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from django_letsads.bulk_rendering import Renderer
from django_letsads.data_values import alias, with_values
from django_letsads.distribution import SHOWN_NUMBERS, TextDistribution
from django_letsads.measure_codes import (
    ALL_GSM7,
    ASTRAL,
    BASIC_GSM7,
    EXTENSION,
    ID_BITS,
    ID_SPAN,
    MAPPED,
    MISSING,
    OVER,
    UNCOUNTED,
    buckets,
    code,
    parts_of,
)
from django_letsads.models import Message
from django_letsads.text import GSM7, UCS2


def base_query(queryset: QuerySet[Message], fields: Sequence[str]) -> tuple[str, list[Any]]:
    aliases = [alias(i) for i in range(len(fields))]
    rows = with_values(queryset, fields).order_by().values_list("id", "recipient", *aliases)
    sql, params = rows.query.sql_with_params()
    return sql, list(params)


class _Sql:
    """SQL text and its parameters, built in the order they appear."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.params: list[Any] = []

    def add(self, sql: str, *params: Any) -> _Sql:
        self.parts.append(sql)
        self.params += params
        return self

    def __str__(self) -> str:
        return "".join(self.parts)


class MeasureQuery:
    """The aggregate query over every sendable recipient, one set of columns per way of sending
    (``renderers``); ``maps``: field position → {value: transliterated} (see the module)."""

    def __init__(
        self,
        queryset: QuerySet[Message],
        fields: Sequence[str],
        renderers: list[Renderer],
        maps: dict[int, dict[str, str]],
        max_id: int = 0,
    ) -> None:
        self.renderers = renderers
        self.maps = maps
        self.narrow_ids = max_id < ID_SPAN
        self.required = renderers[0].required
        self.fields = range(len(fields))
        base, base_params = base_query(queryset, fields)
        position = {name: p for p, name in enumerate(fields)}
        miss = "".join(
            f" WHEN NOT s.p{position[name]} THEN {k}" for k, name in enumerate(self.required)
        )
        # r: each field's value, whether it is there, its transliteration's measures if mapped.
        r = _Sql().add("SELECT b.id, b.recipient")
        for p in self.fields:
            value = f'b."{alias(p)}"'
            r.add(f", {value} AS v{p}, COALESCE({value}, '') <> '' AS p{p}")
            mapped = f" AND m{p}.v IS NULL" if p in maps else ""
            # The GSM-7 basic table only (nearly every value): no two-unit character.
            r.add(
                f", CASE WHEN COALESCE({value}, '') <> ''{mapped} THEN {value} ~ %s END AS rb{p}",
                BASIC_GSM7,
            )
            if p in maps:
                r.add(f", m{p}.t AS mt{p}" + "".join(f", m{p}.{c} AS m{c}_{p}" for c in MAPPED))
        # OFFSET 0: each value is read out of the JSON once, not once per use.
        r.add(f" FROM ({base} OFFSET 0) b", *base_params)
        for p, mapping in maps.items():
            columns = [list(mapping), list(mapping.values())]
            measures = [(*parts_of(v), *parts_of(t)) for v, t in mapping.items()]
            columns += [list(col) for col in zip(*measures, strict=True)]
            types = ["text", "text", *(["boolean", "integer", "integer", "integer"] * 2)]
            arrays = ", ".join(f"%s::{kind}[]" for kind in types)
            r.add(
                f" LEFT JOIN unnest({arrays}) AS m{p}(v, t, {', '.join(MAPPED)}) "
                f'ON m{p}.v = b."{alias(p)}"',
                *columns,
            )
        # w: each raw value's characters, whether it is GSM-7 (where not mapped).
        w = _Sql().add("SELECT r.*")
        for p in self.fields:
            v = f"r.v{p}"
            w.add(
                f", char_length({v}) AS rc{p}, "
                f"CASE WHEN r.rb{p} THEN TRUE WHEN NOT r.rb{p} THEN {v} ~ %s END AS rg{p}",
                ALL_GSM7,
            )
        # s: each raw value's two-unit characters (where not mapped).
        s = _Sql().add("SELECT w.*")
        for p in self.fields:
            v = f"w.v{p}"
            s.add(
                f", CASE WHEN NOT w.rb{p} AND w.rg{p} AND {v} ~ %s "
                f"THEN char_length({v}) - char_length(regexp_replace({v}, %s, '', 'g')) "
                f"ELSE 0 END AS re{p}"
                f", CASE WHEN NOT w.rg{p} AND {v} ~ %s "
                f"THEN char_length({v}) - char_length(regexp_replace({v}, %s, '', 'g')) "
                f"ELSE 0 END AS ra{p}",
                EXTENSION,
                EXTENSION,
                ASTRAL,
                ASTRAL,
            )
        # x: per way of sending, the text's encoding, characters, two-unit characters, hash.
        x = _Sql().add(
            f"SELECT s.id, s.recipient, CASE{miss} ELSE -1 END AS miss"
            if miss
            else "SELECT s.id, s.recipient, -1 AS miss"
        )
        for n, renderer in enumerate(renderers):
            self._text_columns(x, n, renderer, maps if renderer.transliterated else {})
        # y: per way of sending, one code (:func:`~django_letsads.measure_codes.code`).
        y = _Sql().add("SELECT x.id, x.recipient, x.miss")
        for n, renderer in enumerate(renderers):
            y.add(
                f", x.c{n}, x.h{n}, CASE WHEN x.miss <> -1 THEN {MISSING} "
                f"WHEN x.g{n} THEN {code(n, GSM7, renderer)} "
                f"ELSE {code(n, UCS2, renderer)} END AS b{n}"
            )
        self.inner = _Sql()
        self.inner.add("SELECT y.* FROM (").add(str(y), *y.params).add(" FROM (")
        self.inner.add(str(x), *x.params).add(" FROM (").add(str(s), *s.params)
        self.inner.add(" FROM (").add(str(w), *w.params).add(" FROM (").add(str(r), *r.params)
        # w and s without OFFSET 0: PostgreSQL folds them into x (two levels fewer to copy a
        # million rows through, measured 0.3 s of 2.3 on the confirm case; their expressions
        # are cheap where repeated); r keeps its own (its regular expressions run once).
        self.inner.add(" OFFSET 0) r) w) s OFFSET 0) x")
        self.inner.add(" OFFSET 0) y")

    def _text_columns(
        self, x: _Sql, n: int, renderer: Renderer, maps: dict[int, dict[str, str]]
    ) -> None:
        """Columns ``g<n>`` (GSM-7), ``c<n>`` (characters), ``d<n>`` (two-unit characters in
        its encoding) and ``h<n>`` (hash) of the text ``renderer`` renders."""
        k = "1" if renderer.transliterated else "0"
        slots = {index: (p, default) for index, p, default, _name in renderer.slots}
        gsm, ext, astral, chars = [], [], [], []
        text = _Sql()
        for index, piece in enumerate(renderer.pieces):
            if index not in slots:
                g, e, a, c = parts_of(piece)
                gsm.append("TRUE" if g else "FALSE")
                ext.append(str(e))
                astral.append(str(a))
                chars.append(str(c))
                if piece:
                    text.add(" || %s::text" if text.parts else "%s::text", piece)
                continue
            p, default = slots[index]
            measures = [f"s.rg{p}", f"s.re{p}", f"s.ra{p}", f"s.rc{p}"]
            value = f"s.v{p}"
            if p in self.maps:
                measures = [
                    f"COALESCE(s.m{c}{k}_{p}, {raw})"
                    for c, raw in zip("geac", measures, strict=True)
                ]
                if renderer.transliterated:
                    value = f"COALESCE(s.mt{p}, s.v{p})"
            if default is not None:
                fixed = parts_of(default)
                measures = [
                    f"(CASE WHEN s.p{p} THEN {m} ELSE {str(f).upper()} END)"
                    for m, f in zip(measures, fixed, strict=True)
                ]
            for out, measure in zip((gsm, ext, astral, chars), measures, strict=True):
                out.append(measure)
            joiner = " || " if text.parts else ""
            if default is None:
                text.add(f"{joiner}{value}")
            else:
                text.add(f"{joiner}(CASE WHEN s.p{p} THEN {value} ELSE %s::text END)", default)
        g_sql = "(" + " AND ".join(gsm or ["TRUE"]) + ")"
        x.add(
            f", {g_sql} AS g{n}, ({' + '.join(chars or ['0'])}) AS c{n}"
            f", CASE WHEN {g_sql} THEN ({' + '.join(ext or ['0'])}) "
            f"ELSE ({' + '.join(astral or ['0'])}) END AS d{n}"
        )
        x.add(f", hashtextextended({text or chr(39) * 2}, 0) AS h{n}", *text.params)

    def aggregate(self, per_message: bool) -> tuple[str, list[Any]]:
        """One row of counts: see :meth:`figures`."""
        columns = [f"count(*) FILTER (WHERE miss = {k})" for k in range(len(self.required))]
        for n, renderer in enumerate(self.renderers):
            sent = f"b{n} >= 0"
            columns += [
                f"count(*) FILTER (WHERE b{n} = {OVER})",
                f"count(*) FILTER (WHERE b{n} = {UNCOUNTED})",
                "0" if per_message else f"count(DISTINCT h{n}) FILTER (WHERE {sent})",
                # The first recipient's (lowest id) of the longest and of the shortest text,
                # as one number each: characters above, the id below (an array per row costs).
                f"max((c{n}::bigint << {ID_BITS}) + {ID_SPAN - 1} - id) FILTER (WHERE {sent})"
                if self.narrow_ids
                else f"max(ARRAY[c{n}::bigint, -id]) FILTER (WHERE {sent})",
                f"min((c{n}::bigint << {ID_BITS}) + id) FILTER (WHERE {sent})"
                if self.narrow_ids
                else f"min(ARRAY[c{n}::bigint, id]) FILTER (WHERE {sent})",
            ]
            for encoding, parts in buckets(renderer):
                bucket = parts + (100 if encoding == GSM7 else 0)
                columns.append(f"count(*) FILTER (WHERE b{n} = {bucket})")
        sql = f"SELECT {', '.join(columns)} FROM ({self.inner}) z"  # noqa: S608 - built from constants
        return sql, self.inner.params

    def figures(self, n: int, row: Sequence[Any], per_message: bool) -> TextDistribution | None:
        """The figures of the ``n``-th way of sending from :meth:`aggregate`'s row; ``None``
        when some text's segments depend on where its two-unit characters fall."""
        renderer = self.renderers[n]
        missing = row[: len(self.required)]
        start = len(self.required)
        for earlier in self.renderers[:n]:
            start += 5 + len(buckets(earlier))
        too_long, uncounted, distinct, longest, shortest = row[start : start + 5]
        if uncounted:
            return None
        segments: dict[int, int] = {}
        encodings: dict[str, int] = {}
        counts = row[start + 5 : start + 5 + len(buckets(renderer))]
        for (encoding, parts), count in zip(buckets(renderer), counts, strict=True):
            if count:
                segments[parts] = segments.get(parts, 0) + count
                encodings[encoding] = encodings.get(encoding, 0) + count
        figures = TextDistribution(
            segments=segments,
            distinct_texts=distinct,
            missing=sum(missing),
            missing_fields=tuple(f for f, m in zip(self.required, missing, strict=True) if m),
            too_long=too_long,
            encodings=encodings,
        )
        if per_message:
            figures.distinct_texts = figures.recipients
        # The ids of the longest and shortest texts (the first recipient's of each length),
        # rendered by _fill_texts.
        if longest is not None:
            first = ID_SPAN - 1 - (longest & (ID_SPAN - 1)) if self.narrow_ids else -longest[1]
            figures.longest = str(first)
        if shortest is not None:
            first = shortest & (ID_SPAN - 1) if self.narrow_ids else shortest[1]
            figures.shortest = str(first)
        return figures

    def too_long(self, n: int) -> tuple[str, list[Any]]:
        return (
            f"SELECT recipient FROM ({self.inner}) z WHERE b{n} = {OVER} "  # noqa: S608 - built from constants
            "ORDER BY id LIMIT %s",
            [*self.inner.params, SHOWN_NUMBERS],
        )

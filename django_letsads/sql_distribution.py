"""The confirmation's figures measured by PostgreSQL: a million distinct texts in one pass.

Rendering each distinct combination of values in Python (:mod:`~django_letsads.combination_tally`)
costs seconds when every recipient's text differs (a code per recipient). Here one aggregate
query measures every recipient's text as :func:`django_letsads.text.analyze` would, from parts:
the template's literal pieces and defaults are measured once in Python, each value in SQL
(GSM-7 when every character is in its tables, a regular expression; an extension character or
a character outside the BMP takes two units). A text is GSM-7 when all its parts are; its units
are the sum of its parts'. ``count(*) FILTER (…)`` then counts the recipients per encoding and
segments, and ``count(DISTINCT …)`` the distinct texts by a 64-bit hash of the text built in SQL
(the Python path counts them by ``hash()`` too).

Transliteration: the literal pieces and defaults are transliterated once in Python; the distinct
values with a Cyrillic letter or an apostrophe (names: a few thousand at most) are read in a
first pass, transliterated and measured in Python and joined back as a table; other values are
their own transliteration (:func:`~django_letsads.translit.transliterate` changes nothing else).

Not measured here (:func:`measured` leaves that way of sending out, and the caller renders):

* transliteration when a word can run across a placeholder's edge (``Пане{name}``): the whole
  text would have to be transliterated;
* transliteration when more than :data:`MAX_TRANSLITERATED` distinct values need it;
* a text longer than one segment with a two-unit character (``€``, ``[``, an emoji): where the
  parts split depends on where those characters fall (``text._pack``), which SQL does not see.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections, transaction
from django.db.models import Max, QuerySet

from django_letsads import merge
from django_letsads.bulk_rendering import Renderer
from django_letsads.data_values import WORK_MEM, alias, with_values
from django_letsads.distribution import TextDistribution
from django_letsads.measure_codes import TOUCHED
from django_letsads.measure_sql import MeasureQuery, base_query
from django_letsads.models import Message

#: Distinct values to transliterate in Python at most; beyond, the text is rendered in Python.
MAX_TRANSLITERATED = 50_000


def measured(
    template: merge.Template,
    queryset: QuerySet[Message],
    fields: Sequence[str],
    modes: Sequence[bool],
    per_message: bool,
) -> dict[bool, TextDistribution]:
    """The figures of each of ``modes`` that SQL measures exactly (see the module), by mode."""
    if connections[queryset.db].vendor != "postgresql" or not fields:
        return {}
    renderers = {mode: Renderer(template, mode, fields) for mode in dict.fromkeys(modes)}
    renderers = {mode: r for mode, r in renderers.items() if r.piecewise}
    if not renderers:
        return {}
    out: dict[bool, TextDistribution] = {}
    with transaction.atomic(using=queryset.db), connections[queryset.db].cursor() as cursor:
        # Compiling this query's expressions takes PostgreSQL longer than running them.
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'; SET LOCAL jit = off")
        maps: dict[int, dict[str, str]] = {}
        if True in renderers:
            found = _to_transliterate(cursor, queryset, fields)
            if found is None:
                del renderers[True]
            else:
                latin = renderers[True].latin
                maps = {i: {v: latin(v) for v in values} for i, values in found.items()}
        if not renderers:
            return {}
        max_id = queryset.aggregate(most=Max("id"))["most"] or 0
        query = MeasureQuery(queryset, fields, list(renderers.values()), maps, max_id)
        cursor.execute(*query.aggregate(per_message))
        row = cursor.fetchone()
        for index, mode in enumerate(renderers):
            figures = query.figures(index, row, per_message)
            if figures is None:
                continue
            if figures.too_long:
                cursor.execute(*query.too_long(index))
                figures.too_long_numbers = tuple(r[0] for r in cursor.fetchall())
            out[mode] = figures
    for mode, figures in out.items():
        _fill_texts(figures, renderers[mode], queryset, fields)
    return out


def _to_transliterate(
    cursor: Any, queryset: QuerySet[Message], fields: Sequence[str]
) -> dict[int, list[str]] | None:
    """The distinct values of each field that transliteration may change; ``None`` when there
    are more than :data:`MAX_TRANSLITERATED` (combinations of them, as read)."""
    sql, params = base_query(queryset, fields)
    columns = ", ".join(
        f'CASE WHEN b."{alias(i)}" ~ %s THEN b."{alias(i)}" END' for i in range(len(fields))
    )
    cursor.execute(
        f"SELECT DISTINCT {columns} FROM ({sql}) b LIMIT %s",  # noqa: S608 - built from constants
        [*[TOUCHED] * len(fields), *params, MAX_TRANSLITERATED + 1],
    )
    rows = cursor.fetchall()
    if len(rows) > MAX_TRANSLITERATED:
        return None
    found = {i: sorted({row[i] for row in rows} - {None}) for i in range(len(fields))}
    return {i: values for i, values in found.items() if values}


def _fill_texts(
    figures: TextDistribution,
    renderer: Renderer,
    queryset: QuerySet[Message],
    fields: Sequence[str],
) -> None:
    """Replace the ids in ``longest``/``shortest`` by those recipients' texts."""
    ids = {int(pk) for pk in (figures.longest, figures.shortest) if pk}
    if not ids:
        return
    aliases = [alias(i) for i in range(len(fields))]
    rows = with_values(queryset, fields).filter(id__in=ids).values_list("id", *aliases)
    texts = {row[0]: renderer.render_row(row[1:]) for row in rows}
    figures.longest = texts[int(figures.longest)] if figures.longest else ""
    figures.shortest = texts[int(figures.shortest)] if figures.shortest else ""

"""What a personalised campaign will send, before it is sent: per recipient, counted in bulk.

A campaign text with placeholders (:mod:`django_letsads.merge`) renders differently per recipient,
so its price, its segments and the number of requests it needs depend on the recipients' data
(``Message.data``). :func:`text_distribution` answers for a whole campaign without rendering a
million texts one row at a time: the database groups the pending messages by the distinct
combinations of the values the text uses (``GROUP BY data->>'name', …``), each combination is
rendered once in Python, and its figures are weighted by how many recipients share it.

Who is left out, as the confirmation says and :mod:`django_letsads.leaving_out` then does:

* ``MISSING_FIELD``: a placeholder without a default has no value (absent or empty);
* ``TEXT_TOO_LONG``: the recipient's rendering is over the gateway's limit.

The built-in ``{unsubscribe_url}`` differs per message; it is counted at its longest (the base
URL and the longest token), and makes every text distinct.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, transaction
from django.db.models import Count, Exists, F, Func, OuterRef, Q, QuerySet, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from django_letsads import merge
from django_letsads.bulk_rendering import (
    FIELDS,
    GSM_BASIC,
    UNSUBSCRIBE_URL,
    Renderer,
    data_fields_of,
    measure,
    segments_of,
    simple_encoding,
)
from django_letsads.models import Campaign, Message, OptOut
from django_letsads.status import Status
from django_letsads.text import GSM7, UCS2, configured_limits
from django_letsads.translit import transliterate

#: ``Message.error_code`` of a recipient left out because a value is missing (no default).
MISSING_FIELD = "MISSING_FIELD"
#: ``Message.error_code`` of a recipient left out because the rendering is over the limit.
TEXT_TOO_LONG = "TEXT_TOO_LONG"
#: PostgreSQL's memory for grouping the combinations (this transaction only).
_WORK_MEM = "256MB"
#: How many numbers of recipients with too long a text the confirmation lists.
SHOWN_NUMBERS = 5


@dataclass
class TextDistribution:
    """The pending, not opted-out messages of a campaign as they will be sent.

    ``segments`` maps segments per message to the number of recipients; ``distinct_texts`` is
    how many different texts go out (each needs a request of its own: the least number of
    requests). ``missing``/``too_long`` count the recipients left out, ``missing_fields`` names
    the fields whose values were missing, ``too_long_numbers`` lists the first few numbers.
    ``longest``/``shortest`` are the longest and shortest texts sent (as the counter shows them).
    """

    segments: dict[int, int] = field(default_factory=dict)
    distinct_texts: int = 0
    missing: int = 0
    missing_fields: tuple[str, ...] = ()
    too_long: int = 0
    too_long_numbers: tuple[str, ...] = ()
    longest: str = ""
    shortest: str = ""
    encodings: dict[str, int] = field(default_factory=dict)

    @property
    def recipients(self) -> int:
        """Recipients who will be sent a text (the left-out ones are not counted)."""
        return sum(self.segments.values())

    @property
    def total_segments(self) -> int:
        return sum(segments * count for segments, count in self.segments.items())

    @property
    def left_out(self) -> int:
        return self.missing + self.too_long

    @property
    def segments_display(self) -> str:
        """``1: 900 · 2: 100`` (segments per message: recipients), for the confirmation."""
        return " · ".join(f"{s}: {n}" for s, n in self.segment_rows)

    @property
    def segment_rows(self) -> list[tuple[int, int]]:
        """(segments per message, recipients), fewest segments first."""
        return sorted(self.segments.items())

    @property
    def missing_fields_display(self) -> str:
        return ", ".join("{" + name + "}" for name in self.missing_fields)

    @property
    def too_long_numbers_display(self) -> str:
        more = ", …" if self.too_long > len(self.too_long_numbers) else ""
        return ", ".join(self.too_long_numbers) + more

    def summary(self) -> str:
        """What changes the confirmed figures, for the confirmation's fingerprint."""
        return f"{sorted(self.segments.items())}|{self.distinct_texts}|{self.left_out}"


def template_of(text: str) -> merge.Template | None:
    """The parsed campaign text; ``None`` when it has no braces or is not a template (then every
    recipient gets the text as written)."""
    if not merge.has_placeholders(text):
        return None
    try:
        return merge.parse(text)
    except merge.TemplateError:
        return None


def required_fields(template: merge.Template) -> tuple[str, ...]:
    """Data fields used at least once without a default: a recipient without them is left out."""
    names = [
        part.name
        for part in template.parts
        if isinstance(part, merge.Placeholder) and part.default is None and part.name not in FIELDS
    ]
    return tuple(dict.fromkeys(names))


def sendable(campaign: Campaign) -> QuerySet[Message]:
    """The campaign's pending messages a worker will send (numbers on the stop list aside)."""
    return Message.objects.filter(campaign=campaign, status=Status.PENDING).exclude(
        Exists(OptOut.objects.filter(number=OuterRef("recipient")))
    )


def alias(index: int) -> str:
    """The name :func:`with_values` gives the value of the ``index``-th field."""
    return f"letsads_v{index}"


class DataValue(Func):
    """A field of ``Message.data`` as text, as :func:`merge.template_values` reads it: ``NULL``
    for a missing key or JSON ``null``; a number or ``true``/``false`` as JSON writes it.

    ``data ->> 'name'`` on PostgreSQL; on SQLite Django's key transform gives JSON ``null`` as
    the text ``'null'``, so the type is asked first.
    """

    output_field = TextField()

    def __init__(self, name: str) -> None:
        super().__init__(F("data"))
        self.name = name

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        text = Cast(KeyTextTransform(self.name, self.source_expressions[0]), TextField())
        return compiler.compile(text)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        data, params = compiler.compile(self.source_expressions[0])
        path = "$." + json.dumps(self.name)
        sql = (
            f"(CASE JSON_TYPE({data}, %s) WHEN 'null' THEN NULL WHEN 'true' THEN 'true' "
            f"WHEN 'false' THEN 'false' ELSE CAST(JSON_EXTRACT({data}, %s) AS TEXT) END)"
        )
        return sql, [*params, path, *params, path]


def with_values(queryset: QuerySet[Message], fields: Sequence[str]) -> QuerySet[Message]:
    """``queryset`` annotated with each field's text value (:class:`DataValue`)."""
    return queryset.annotate(**{alias(i): DataValue(name) for i, name in enumerate(fields)})


def combinations(
    queryset: QuerySet[Message], fields: Sequence[str]
) -> Iterator[list[tuple[Any, ...]]]:
    """Rows of (value of each of ``fields``…, recipients), one per distinct combination, from
    SQL, in chunks. A value is ``None`` when the field is absent.

    Read through the cursor: Django's per-row converters cost more than the rendering. On
    PostgreSQL the grouping gets the memory to hash a million combinations without spilling
    to disk (``SET LOCAL work_mem``, this transaction only).
    """
    aliases = [alias(i) for i in range(len(fields))]
    rows = (
        with_values(queryset, fields)
        .order_by()
        .values_list(*aliases)
        .annotate(letsads_n=Count("id"))
        .values_list(*aliases, "letsads_n")
    )
    sql, params = rows.query.sql_with_params()
    connection = connections[rows.db]
    with transaction.atomic(using=rows.db):
        if connection.vendor == "postgresql":
            with connection.cursor() as setting:
                setting.execute(f"SET LOCAL work_mem = '{_WORK_MEM}'")
        # A server-side cursor on PostgreSQL: a million combinations stream, not held in memory.
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while chunk := cursor.fetchmany(20000):
                yield chunk


def match(combination: Sequence[str | None], fields: Sequence[str]) -> Q:
    """The rows whose values of ``fields`` are exactly ``combination`` (on :func:`with_values`)."""
    q = Q()
    for i, value in enumerate(combination):
        if value:
            q &= Q(**{alias(i): value})
        else:
            q &= Q(**{f"{alias(i)}__isnull": True}) | Q(**{alias(i): ""})
    return q


def missing_value(fields: Sequence[str], required: Sequence[str]) -> Q:
    """Rows (on :func:`with_values` over ``fields``) that lack a value of a ``required`` field."""
    q = Q(pk__in=[])
    for i, name in enumerate(fields):
        if name in required:
            q |= Q(**{f"{alias(i)}__isnull": True}) | Q(**{alias(i): ""})
    return q


def text_distribution(
    campaign: Campaign, *, transliterated: bool | None = None
) -> TextDistribution:
    """What the campaign's sendable messages will be sent, counted per distinct text.

    ``transliterated`` defaults to the campaign's setting.
    """
    translit = campaign.transliterate if transliterated is None else transliterated
    return distributions(campaign, (translit,))[0]


def distributions(campaign: Campaign, modes: Sequence[bool]) -> list[TextDistribution]:
    """:func:`text_distribution` for each of ``modes`` (transliterated or not), in one pass over
    the recipients' data (the estimate prices the other choice too)."""
    template = template_of(campaign.text)
    queryset = sendable(campaign)
    if template is None or not template.has_placeholders:
        text = campaign.text if template is None else template.render({})
        count = queryset.count()
        return [_single(transliterate(text) if mode else text, count) for mode in modes]
    fields = data_fields_of(template)
    tallies = [_Tally(Renderer(template, mode, fields)) for mode in modes]
    source = combinations(queryset, fields) if fields else iter([[(queryset.count(),)]])
    for chunk in source:
        for tally in tallies:
            tally.add(chunk)
    # The link differs per message: every text is distinct.
    per_message = UNSUBSCRIBE_URL in template.fields
    return [tally.result(queryset, fields, per_message) for tally in tallies]


class _Tally:
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
            missing_fields=tuple(self.missing_fields),
            too_long=self.too_long,
            too_long_numbers=_numbers(queryset, fields, self.too_long_rows),
            longest=self.longest,
            shortest=self.shortest,
            encodings=dict(self.encodings),
        )


def _single(text: str, count: int) -> TextDistribution:
    encoding, parts, over = measure(text, configured_limits())
    if not count:
        return TextDistribution(longest=text, shortest=text)
    if over:
        return TextDistribution(too_long=count, longest=text, shortest=text)
    return TextDistribution(
        segments={parts: count},
        distinct_texts=1,
        longest=text,
        shortest=text,
        encodings={encoding: count},
    )


def _numbers(
    queryset: QuerySet[Message], fields: Sequence[str], combos: list[tuple[str | None, ...]]
) -> tuple[str, ...]:
    numbers: list[str] = []
    for values in combos:
        room = SHOWN_NUMBERS - len(numbers)
        if room <= 0:
            break
        rows = with_values(queryset, fields).filter(match(values, fields)).order_by("id")
        numbers += rows.values_list("recipient", flat=True)[:room]
    return tuple(numbers)

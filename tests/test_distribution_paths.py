# ruff: noqa: RUF001 - Cyrillic texts are the subject here
"""The confirmation's figures measured in SQL equal the rendered ones (issue 18).

On PostgreSQL :func:`personalisation.distributions` measures every recipient's text in the
database (:mod:`django_letsads.sql_distribution`); the figures are money, so they must be exactly
those of rendering each combination in Python (:mod:`django_letsads.combination_tally`), and
both those of rendering each recipient one by one. On SQLite both calls render in Python, and the
comparison with one-by-one rendering still holds.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from django_letsads import merge, sql_distribution
from django_letsads.bulk_rendering import data_fields_of
from django_letsads.distribution import TextDistribution
from django_letsads.models import Campaign, Message
from django_letsads.personalisation import distributions, sendable
from django_letsads.rendering import render_recipient
from django_letsads.status import Status
from django_letsads.text import analyze, transliterate
from tests.factories import numbers

pytestmark = pytest.mark.django_db

#: Latin, GSM-7 extension characters, Cyrillic, apostrophes, a soft sign, an emoji, é, newline.
ALPHABET = "aZ9 .,!€[]^~|\\{}Привітльїєґ'ʼ’😀é\n"
FIELDS = ("a", "b")
on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="SQL path: PostgreSQL")


def _filler(size: int) -> str:
    return "x" * size


#: Literal pieces: short mixed text, or runs of letters that bring a text near a boundary
#: (one GSM-7 or UCS-2 segment, two, three, the limits).
literals = st.one_of(
    st.text(ALPHABET, max_size=8),
    st.sampled_from([66, 70, 133, 150, 156, 160, 200, 305, 306, 395, 400, 452, 458]).map(_filler),
    st.sampled_from([66, 69, 133, 134, 200, 201, 268, 335, 400]).map(lambda n: "я" * n),
)
placeholders = st.builds(
    merge.Placeholder,
    st.sampled_from(FIELDS),
    st.one_of(st.none(), st.text(ALPHABET, max_size=6)),
)
values = st.one_of(
    st.text(ALPHABET, max_size=12),
    st.sampled_from(["", "Олена", "Мар'яна", "ЩУКА", "€€€", "😀", "ь", "зграя", "x" * 70]),
)
rows = st.one_of(
    st.none(),
    st.dictionaries(st.sampled_from(FIELDS), st.one_of(values, st.none(), st.just(7)), max_size=2),
)


def _text(parts: list[str | merge.Placeholder]) -> str:
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part.replace("{", "{{").replace("}", "}}"))
        elif part.default is None:
            out.append("{" + part.name + "}")
        else:
            default = part.default.replace("{", "").replace("}", "").replace("|", "")
            out.append("{" + part.name + "|" + default + "}")
    return "".join(out)


def _campaign(text: str, data: list[dict[str, Any] | None]) -> Campaign:
    campaign = Campaign.objects.create(
        name="Paths", sender="Test", text=text, state=Campaign.State.DRAFT
    )
    Message.objects.bulk_create(
        Message(campaign=campaign, recipient=number, data=row, status=Status.PENDING)
        for number, row in zip(numbers(len(data)), data, strict=True)
    )
    return campaign


def _one_by_one(campaign: Campaign, transliterated: bool) -> tuple[dict[int, int], set[str]]:
    """Segments → recipients and the numbers over the limit, rendering each recipient."""
    segments: dict[int, int] = {}
    over: set[str] = set()
    for recipient, data in Message.objects.filter(campaign=campaign).values_list(
        "recipient", "data"
    ):
        try:
            text = render_recipient(campaign.text, data, transliterate=transliterated)
        except merge.MissingValueError:
            continue
        info = analyze(text)
        if info.over_limit:
            over.add(recipient)
        else:
            segments[info.segments] = segments.get(info.segments, 0) + 1
    return segments, over


def _same(fast: TextDistribution, slow: TextDistribution) -> None:
    assert fast.segments == slow.segments
    assert fast.encodings == slow.encodings
    assert fast.distinct_texts == slow.distinct_texts
    assert (fast.missing, fast.missing_fields) == (slow.missing, slow.missing_fields)
    assert fast.too_long == slow.too_long
    assert len(fast.too_long_numbers) == len(slow.too_long_numbers)
    # Ties in length may pick another recipient's text; the length is what is shown.
    assert len(fast.longest) == len(slow.longest)
    assert len(fast.shortest) == len(slow.shortest)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    parts=st.lists(st.one_of(literals, placeholders), min_size=1, max_size=5),
    data=st.lists(rows, max_size=10),
)
@example(
    parts=["Привіт, ", merge.Placeholder("a"), "! Код ", merge.Placeholder("b")],
    data=[{"a": "Олена", "b": "1"}, {"a": "Ігор", "b": "2"}, {"b": "3"}],
)
@example(parts=[_filler(150), merge.Placeholder("a", "€")], data=[{"a": "€" * 6}, {"a": ""}, None])
@example(
    parts=[merge.Placeholder("a"), " ", merge.Placeholder("b")],
    data=[{"a": "x y", "b": "z"}, {"a": "x", "b": "y z"}],
)
# Exactly two and three parts' worth of units: where rounding up matters.
@example(parts=[_filler(305), merge.Placeholder("a")], data=[{"a": "x"}, {"a": "xy"}, {"a": ""}])
@example(parts=["я" * 133, merge.Placeholder("a")], data=[{"a": "я"}, {"a": "яя"}, {"a": "x" * 68}])
# A missing value and an empty one are two combinations that find the same numbers: each number
# over the limit is listed once (the Python path listed both numbers twice).
@example(parts=[_filler(66), "я" * 400, merge.Placeholder("a", "")], data=[None, {"a": ""}])
def test_sql_figures_equal_the_rendered_ones(
    parts: list[str | merge.Placeholder], data: list[dict[str, Any] | None]
) -> None:
    text = _text(parts)
    campaign = _campaign(text, data)
    try:
        fast = distributions(campaign, (False, True), in_sql=True)
        slow = distributions(campaign, (False, True), in_sql=False)
        for mode, f, s in zip((False, True), fast, slow, strict=True):
            _same(f, s)
            segments, over = _one_by_one(campaign, mode)
            assert s.segments == segments
            assert set(s.too_long_numbers) <= over
            assert set(f.too_long_numbers) <= over
            assert len(set(s.too_long_numbers)) == len(s.too_long_numbers)
            assert len(set(f.too_long_numbers)) == len(f.too_long_numbers)
    finally:
        campaign.delete()


def _measured(campaign: Campaign, modes: tuple[bool, ...]) -> dict[bool, TextDistribution]:
    template = merge.parse(campaign.text)
    fields = data_fields_of(template)
    return sql_distribution.measured(template, sendable(campaign), fields, modes, False)


@on_postgres
def test_postgresql_measures_both_ways_in_sql() -> None:
    campaign = _campaign("Привіт, {a}! Код {b}", [{"a": "Олена", "b": "1"}, {"a": "Ігор"}])
    found = _measured(campaign, (False, True))
    assert set(found) == {False, True}
    assert found[True].segments == {1: 1}
    assert (found[True].missing, found[True].missing_fields) == (1, ("b",))
    assert found[True].longest == "Pryvit, Olena! Kod 1"


@on_postgres
def test_sql_leaves_to_python_what_it_cannot_measure_exactly() -> None:
    # Two segments with an extension character: where the parts split depends on its place.
    long_euro = _campaign("x" * 150 + "{a}", [{"a": "€" * 6}])
    assert _measured(long_euro, (False,)) == {}
    # A word across a placeholder's edge: transliterated only as a whole text.
    in_word = _campaign("Пане{a}!", [{"a": "Ігоре"}])
    assert set(_measured(in_word, (False, True))) == {False}
    # Both still give the rendered figures.
    assert distributions(long_euro, (False,))[0].segments == {2: 1}
    assert distributions(in_word, (True,))[0].longest == transliterate("ПанеІгоре!")

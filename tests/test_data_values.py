# ruff: noqa: RUF001 - Cyrillic names are the data here
"""How the recipients' values are grouped for the confirmation's figures (``data_values``).

Rendering takes a missing field, JSON ``null`` and an empty value alike (the default applies, or
the recipient is left out), and so does :func:`data_values.match`. The grouping must too: two
combinations that render the same text and find the same recipients were counted, rendered and
listed twice (a number over the limit appeared twice on the confirmation; the Hypothesis property
of ``tests/test_distribution_paths.py`` found it).
"""

from __future__ import annotations

from typing import Any

import pytest

from django_letsads.data_values import combinations, match, sampled_combinations, with_values
from django_letsads.models import Campaign, Message
from django_letsads.status import Status
from tests.factories import numbers

pytestmark = pytest.mark.django_db

FIELDS = ["name", "code"]


def _messages(data: list[dict[str, Any] | None]) -> Any:
    campaign = Campaign.objects.create(name="Values", sender="Test", text="{name} {code}")
    Message.objects.bulk_create(
        Message(campaign=campaign, recipient=number, data=row, status=Status.PENDING)
        for number, row in zip(numbers(len(data)), data, strict=True)
    )
    return Message.objects.filter(campaign=campaign)


def _grouped(data: list[dict[str, Any] | None]) -> dict[tuple[Any, ...], int]:
    rows = [row for chunk in combinations(_messages(data), FIELDS) for row in chunk]
    grouped = {tuple(row[:-1]): row[-1] for row in rows}
    assert len(grouped) == len(rows), "a combination came twice"
    return grouped


def test_missing_null_and_empty_values_are_one_combination() -> None:
    grouped = _grouped(
        [
            None,
            {},
            {"name": "", "code": None},
            {"name": None, "code": ""},
            {"name": "Олена", "code": ""},
            {"name": "Олена"},
            {"name": "Олена", "code": "7"},
        ]
    )
    assert grouped == {(None, None): 4, ("Олена", None): 2, ("Олена", "7"): 1}


def test_values_that_are_not_empty_stay_apart() -> None:
    # A space, a zero and the text "null" are values: they are rendered, not replaced.
    grouped = _grouped([{"name": " "}, {"name": "0"}, {"name": "null"}, {"name": 0}, {"name": ""}])
    assert grouped == {(" ", None): 1, ("0", None): 2, ("null", None): 1, (None, None): 1}


def test_each_combination_matches_exactly_its_recipients() -> None:
    queryset = _messages([None, {"name": ""}, {"name": "Ігор"}, {"name": "Ігор", "code": ""}])
    seen: list[str] = []
    for chunk in combinations(queryset, FIELDS):
        for *values, count in chunk:
            found = with_values(queryset, FIELDS).filter(match(values, FIELDS))
            numbers_found = list(found.values_list("recipient", flat=True))
            assert len(numbers_found) == count
            seen += numbers_found
    assert sorted(seen) == sorted(queryset.values_list("recipient", flat=True))


def test_the_sample_counts_missing_and_empty_as_one() -> None:
    queryset = _messages([None, {"name": ""}, {"name": None}, {"name": "Ігор"}])
    assert sampled_combinations(queryset, FIELDS, 10) == 2
    assert sampled_combinations(queryset, FIELDS, 1) == 1

"""Property tests: arbitrary input to phone normalisation, segment counting and the CSV import
never crashes; valid input is kept and invalid input is reported with a reason."""

from __future__ import annotations

import csv
import io
import math
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_letsads.exceptions import InvalidRecipientError
from django_letsads.importing import import_recipients
from django_letsads.models import Campaign
from django_letsads.phones import normalize, normalize_many
from django_letsads.text import GSM7, GSM7_BASIC, GSM7_EXTENSION, UCS2, analyze

pytestmark = pytest.mark.reliability

DIGITS = re.compile(r"[1-9][0-9]{6,14}")

# Valid Ukrainian mobiles (operator code + seven digits), written the ways people write them.
ua_mobiles = st.tuples(
    st.sampled_from(["50", "63", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99"]),
    st.from_regex(r"[0-9]{7}", fullmatch=True),
).map(lambda t: "380" + t[0] + t[1])


@st.composite
def written(draw, number: str) -> str:
    """``number`` as a person might type it: +, spaces, dashes, brackets, or national 0…"""
    style = draw(st.sampled_from(["plain", "plus", "spaced", "national", "brackets"]))
    if style == "plus":
        return "+" + number
    if style == "spaced":
        return f"+{number[:3]} {number[3:5]} {number[5:8]}-{number[8:10]}-{number[10:]}"
    if style == "national":
        return "0" + number[3:]
    if style == "brackets":
        return f"+38 (0{number[3:5]}) {number[5:8]} {number[8:]}"
    return number


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_normalize_never_crashes_and_returns_digits_or_a_reasoned_error(raw):
    error: InvalidRecipientError | None = None
    try:
        number = normalize(raw, "UA")
    except InvalidRecipientError as exc:
        error = exc
    if error is not None:
        assert error.code == "INVALID_NUMBER"
        assert str(error)
    else:
        assert DIGITS.fullmatch(number), number
        assert normalize(number, "UA") == number  # idempotent


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_valid_number_however_written_normalises_to_its_digits(data):
    number = data.draw(ua_mobiles)
    assert normalize(data.draw(written(number)), "UA") == number


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=20), ua_mobiles), max_size=30))
def test_normalize_many_agrees_with_normalize_and_marks_repeats(raws):
    verdicts = normalize_many(raws, "UA")
    assert len(verdicts) == len(raws)
    seen: dict[str, int] = {}
    for index, (raw, verdict) in enumerate(zip(raws, verdicts, strict=True)):
        try:
            expected = normalize(raw, "UA")
        except InvalidRecipientError:
            assert not verdict.valid
            assert verdict.reason
            continue
        assert verdict.number == expected
        first = seen.setdefault(expected, index)
        assert verdict.duplicate_of == (None if first == index else first)


gsm_basic_text = st.text(alphabet=st.sampled_from(sorted(set(GSM7_BASIC))), max_size=600)
cyrillic_text = st.text(
    alphabet=st.characters(min_codepoint=0x410, max_codepoint=0x44F), max_size=500
)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=700))
def test_analyze_never_crashes_and_its_segments_hold_the_text(text):
    info = analyze(text, max_gsm7=459, max_ucs2=402)
    assert info.encoding in (GSM7, UCS2)
    assert info.units >= len(text)
    if not text:
        assert info.segments == 0
        return
    assert info.segments >= 1
    assert info.segments * info.per_segment >= info.units
    assert 0 <= info.remaining <= info.per_segment
    assert info.over_limit == (info.length > info.limit)


@settings(max_examples=200, deadline=None)
@given(gsm_basic_text)
def test_gsm7_segments_are_160_then_153(text):
    info = analyze(text)
    n = len(text)
    assert info.encoding == GSM7
    assert info.segments == (0 if n == 0 else 1 if n <= 160 else math.ceil(n / 153))


@settings(max_examples=200, deadline=None)
@given(cyrillic_text)
def test_ucs2_segments_are_70_then_67(text):
    info = analyze(text)
    n = len(text)
    assert info.encoding == (UCS2 if n else GSM7)
    assert info.segments == (0 if n == 0 else 1 if n <= 70 else math.ceil(n / 67))


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from(sorted(set(GSM7_EXTENSION))), min_size=1, max_size=300))
def test_gsm7_extension_characters_take_two_units(text):
    info = analyze(text)
    assert info.encoding == GSM7
    assert info.units == 2 * len(text)


# -- the CSV import --------------------------------------------------------------------------

junk = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=25).filter(
    lambda s: not any(ch.isdigit() for ch in s)
)


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(st.one_of(ua_mobiles, junk), st.text(max_size=15)), min_size=1, max_size=40
    ),
    delimiter=st.sampled_from([",", ";"]),
)
def test_csv_import_keeps_every_valid_row_and_reports_every_invalid_one(rows, delimiter):
    campaign = Campaign.objects.create(name="prop", sender="Test", text="x")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(["phone", "name"])
    writer.writerows(rows)

    report = import_recipients(campaign, buffer.getvalue(), kind="csv", region="UA")

    valid = [phone for phone, _ in rows if re.fullmatch(r"380[0-9]{9}", phone)]
    # A row of blank cells is skipped, not reported; any other row without a valid number is.
    invalid = [p for p, name in rows if p not in valid and (p.strip() or name.strip())]
    stored = set(campaign.messages.values_list("recipient", flat=True))
    assert stored == set(valid)
    assert report.added == len(set(valid))
    assert report.duplicates == len(valid) - len(set(valid))
    assert report.rejected_count == len(invalid)
    assert all(r.reason for r in report.rejected)


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=400))
def test_import_of_arbitrary_bytes_never_crashes(data):
    campaign = Campaign.objects.create(name="bytes", sender="Test", text="x")

    report = import_recipients(campaign, data, kind="csv", region="UA")

    assert report.added == campaign.messages.count()
    assert all(r.reason for r in report.rejected)

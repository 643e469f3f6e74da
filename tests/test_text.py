"""The segment counter and text validation, against cases worked out by hand."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from django_letsads.exceptions import InvalidTextError
from django_letsads.text import (
    GSM7,
    GSM7_BASIC,
    GSM7_EXTENSION,
    UCS2,
    analyze,
    export_rules,
    validate_text,
)

CYR = "\u0430"  # Cyrillic small a
EMOJI = "😀"  # U+1F600, outside the BMP

# text, encoding, length, segments, remaining
KNOWN = [
    ("", GSM7, 0, 0, 160),
    ("Hello", GSM7, 5, 1, 155),
    ("a" * 160, GSM7, 160, 1, 0),
    ("a" * 161, GSM7, 161, 2, 145),
    ("a" * 306, GSM7, 306, 2, 0),
    ("a" * 307, GSM7, 307, 3, 152),
    ("a" * 459, GSM7, 459, 3, 0),
    ("€" * 80, GSM7, 160, 1, 0),
    ("€" * 81, GSM7, 162, 2, 143),  # 76 fill 152 septets; the 77th opens part two
    ("[" + "a" * 158, GSM7, 160, 1, 0),
    ("{}" + "a" * 156, GSM7, 160, 1, 0),
    ("a" * 159 + "^", GSM7, 161, 2, 145),
    # An extension character is never split: the first part closes at 152 septets.
    ("a" * 152 + "{" + "a" * 10, GSM7, 164, 2, 141),
    ("a" * 152 + "{" + "a" * 152, GSM7, 306, 3, 152),
    ("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà\n\r", GSM7, 64, 1, 96),
    ("line\fbreak", GSM7, 11, 1, 149),
    (CYR * 70, UCS2, 70, 1, 0),
    (CYR * 71, UCS2, 71, 2, 63),
    (CYR * 134, UCS2, 134, 2, 0),
    (CYR * 135, UCS2, 135, 3, 66),
    (CYR * 402, UCS2, 402, 6, 0),
    ("Привіт, світ!", UCS2, 13, 1, 57),
    ("a" * 69 + CYR, UCS2, 70, 1, 0),  # one Cyrillic letter makes the whole text UCS-2
    ("ú", UCS2, 1, 1, 69),  # accents outside the GSM table
    ("`", UCS2, 1, 1, 69),
    (EMOJI, UCS2, 2, 1, 68),
    (EMOJI * 35, UCS2, 70, 1, 0),
    (EMOJI * 36, UCS2, 72, 2, 61),  # 33 emoji fill 66 units; the 34th does not split
    ("a" + EMOJI * 34, UCS2, 69, 1, 1),
    ("a" * 66 + EMOJI + "a", UCS2, 69, 1, 1),
    ("a" * 66 + EMOJI + "a" * 5, UCS2, 73, 2, 60),
]


@pytest.mark.parametrize(("text", "encoding", "length", "segments", "remaining"), KNOWN)
def test_known_cases(text, encoding, length, segments, remaining):
    info = analyze(text, max_gsm7=459, max_ucs2=402)
    assert (info.encoding, info.length, info.segments, info.remaining) == (
        encoding,
        length,
        segments,
        remaining,
    )
    assert info.units == length


def test_per_segment_drops_to_the_concatenated_size():
    assert analyze("a" * 160).per_segment == 160
    assert analyze("a" * 161).per_segment == 153
    assert analyze(CYR * 70).per_segment == 70
    assert analyze(CYR * 71).per_segment == 67


def test_tables_have_the_standard_sizes():
    assert len(GSM7_BASIC) == 127
    assert len(set(GSM7_BASIC)) == 127
    assert set(GSM7_EXTENSION) == set("\f^{}\\[~]|€")
    assert not set(GSM7_BASIC) & set(GSM7_EXTENSION)


def test_limits_come_from_settings_at_call_time():
    assert analyze("a").limit == 459
    assert analyze(CYR).limit == 402
    with override_settings(LETSADS={"MAX_LENGTH_UCS2": 201, "MAX_LENGTH_GSM7": 160}):
        assert analyze(CYR * 202).over_limit
        assert analyze(CYR).limit == 201
        assert analyze("a" * 161).over_limit
    assert not analyze(CYR * 202).over_limit


def test_explicit_limits_win_over_settings():
    info = analyze("a" * 20, max_gsm7=10)
    assert info.limit == 10
    assert info.over_limit


@pytest.mark.parametrize(
    ("text", "limit"), [("a" * 459, 459), (CYR * 402, 402), ("€" * 229 + "a", 459)]
)
def test_validate_accepts_texts_at_the_limit(text, limit):
    assert validate_text(text).limit == limit


@pytest.mark.parametrize(
    ("text", "length", "encoding", "limit"),
    [
        ("a" * 460, 460, "GSM-7", 459),
        ("€" * 230, 460, "GSM-7", 459),
        (CYR * 403, 403, "UCS-2", 402),
        (EMOJI * 202, 404, "UCS-2", 402),
    ],
)
def test_validate_rejects_over_the_limit_naming_length_encoding_and_limit(
    text, length, encoding, limit
):
    with pytest.raises(InvalidTextError) as caught:
        validate_text(text)
    assert caught.value.code == "MESSAGE_TOO_LONG"
    message = str(caught.value)
    assert str(length) in message
    assert encoding in message
    assert str(limit) in message


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_validate_rejects_empty_text(text):
    with pytest.raises(InvalidTextError) as caught:
        validate_text(text)
    assert caught.value.code == "NO_MESSAGE"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("bell\x07", "U+0007 at position 4"),
        ("\x00start", "U+0000 at position 0"),
        ("form\ffeed", "U+000C"),  # a GSM-7 extension character, but XML 1.0 cannot carry it
        ("lone \ud800 surrogate", "U+D800 at position 5"),
        ("not a char \uffff", "U+FFFF"),
    ],
)
def test_validate_rejects_characters_xml_cannot_carry(text, shown):
    with pytest.raises(InvalidTextError) as caught:
        validate_text(text)
    assert caught.value.code == "INVALID_CHARACTERS"
    assert shown in str(caught.value)


def test_validate_accepts_tabs_newlines_and_astral_characters():
    assert validate_text("a\tb\r\nc " + EMOJI).encoding == UCS2


def test_export_rules_is_json_and_matches_the_python_tables():
    rules = json.loads(json.dumps(export_rules()))
    assert rules["gsm7_basic"] == GSM7_BASIC
    assert rules["gsm7_extension"] == GSM7_EXTENSION
    assert rules["segments"] == {
        "GSM-7": {"single": 160, "multi": 153},
        "UCS-2": {"single": 70, "multi": 67},
    }
    assert rules["limits"] == {"GSM-7": 459, "UCS-2": 402}
    assert export_rules(max_ucs2=201)["limits"]["UCS-2"] == 201


def test_text_info_as_dict_is_json():
    data = json.loads(json.dumps(analyze("a" * 500).as_dict()))
    assert data["over_limit"] is True
    assert data["segments"] == 4


@given(st.text(max_size=600))
def test_segments_always_hold_the_text(text):
    info = analyze(text)
    assert info.remaining >= 0
    if info.units == 0:
        assert info.segments == 0
    elif info.segments == 1:
        assert info.units <= info.per_segment
    else:
        assert info.units > {GSM7: 160, UCS2: 70}[info.encoding]
        assert info.segments * info.per_segment >= info.units
        # Closing a part early wastes at most one unit per part.
        assert (info.segments - 1) * (info.per_segment - 1) < info.units

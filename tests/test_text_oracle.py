"""The text rules checked against an oracle that shares nothing with ``django_letsads.text``.

The property tests of ``tests/test_text.py`` take their expectations from the module's own tables,
so a wrong table or a wrong segment size there is "confirmed" by them. Here the expectations come
from elsewhere: the GSM 7-bit alphabet is written out below from 3GPP TS 23.038 (section 6.2.1,
the default alphabet, and 6.2.1.1, its extension table) in the specification's own layout, UCS-2
code units come from Python's ``utf-16-le`` codec, and parts are cut on the encoded stream
(septets or code units), never between an escape and its character or between the two halves of
a surrogate pair.

Mutations these tests kill (each was tried by hand): the 160/153 segment sizes swapped; a
character outside the Basic Multilingual Plane (an emoji) counted as one UCS-2 unit; ``€``
counted as one septet (moved to the basic table, or its escape not counted).
"""

from __future__ import annotations

import os
import subprocess
import sys

from hypothesis import example, given, settings
from hypothesis import strategies as st

from django_letsads.text import GSM7, UCS2, analyze, export_rules, is_gsm7

# -- the oracle ---------------------------------------------------------------------------------

ESC = None  # 0x1B: the escape to the extension table, not a character of its own

#: TS 23.038 table 6.2.1, as printed: one row per low nibble (b4..b1 = 0x0..0xF), one column per
#: high nibble (b7..b5 = 0..7). Written with escapes where a glyph is easy to confuse.
_SPEC_ROWS: list[tuple[str | None, ...]] = [
    ("@", "\u0394", " ", "0", "\u00a1", "P", "\u00bf", "p"),  # 0: @ Δ SP 0 ¡ P ¿ p
    ("\u00a3", "_", "!", "1", "A", "Q", "a", "q"),  # 1: £
    ("$", "\u03a6", '"', "2", "B", "R", "b", "r"),  # 2: Φ
    ("\u00a5", "\u0393", "#", "3", "C", "S", "c", "s"),  # 3: ¥ Γ
    ("\u00e8", "\u039b", "\u00a4", "4", "D", "T", "d", "t"),  # 4: è Λ ¤
    ("\u00e9", "\u03a9", "%", "5", "E", "U", "e", "u"),  # 5: é Ω
    ("\u00f9", "\u03a0", "&", "6", "F", "V", "f", "v"),  # 6: ù Π
    ("\u00ec", "\u03a8", "'", "7", "G", "W", "g", "w"),  # 7: ì Ψ
    ("\u00f2", "\u03a3", "(", "8", "H", "X", "h", "x"),  # 8: ò Σ
    ("\u00c7", "\u0398", ")", "9", "I", "Y", "i", "y"),  # 9: Ç Θ
    ("\n", "\u039e", "*", ":", "J", "Z", "j", "z"),  # A: LF Ξ
    ("\u00d8", ESC, "+", ";", "K", "\u00c4", "k", "\u00e4"),  # B: Ø ESC Ä ä
    ("\u00f8", "\u00c6", ",", "<", "L", "\u00d6", "l", "\u00f6"),  # C: ø Æ Ö ö
    ("\r", "\u00e6", "-", "=", "M", "\u00d1", "m", "\u00f1"),  # D: CR æ Ñ ñ
    ("\u00c5", "\u00df", ".", ">", "N", "\u00dc", "n", "\u00fc"),  # E: Å ß Ü ü
    ("\u00e5", "\u00c9", "/", "?", "O", "\u00a7", "o", "\u00e0"),  # F: å É § à
]

#: TS 23.038 table 6.2.1.1: code after the escape -> character (each costs two septets).
_SPEC_EXTENSION: dict[int, str] = {
    0x0A: "\u000c",  # form feed (page break)
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "\u20ac",  # euro sign
}

BASIC: dict[str, int] = {
    ch: column * 16 + row
    for row, chars in enumerate(_SPEC_ROWS)
    for column, ch in enumerate(chars)
    if ch is not ESC
}
EXTENSION: dict[str, int] = {ch: code for code, ch in _SPEC_EXTENSION.items()}
ESCAPE = 0x1B


def septets(text: str) -> list[int] | None:
    """``text`` as GSM 7-bit septets (an extension character is ESC + its code), or None."""
    out: list[int] = []
    for ch in text:
        if ch in BASIC:
            out.append(BASIC[ch])
        elif ch in EXTENSION:
            out += [ESCAPE, EXTENSION[ch]]
        else:
            return None
    return out


def ucs2_units(text: str) -> list[int]:
    """UTF-16 code units, as Python's codec produces them (UCS-2 on the wire, surrogates incl.)."""
    data = text.encode("utf-16-le", "surrogatepass")
    return [int.from_bytes(data[i : i + 2], "little") for i in range(0, len(data), 2)]


def _cut(stream: list[int], size: int, unsplittable) -> list[list[int]]:
    """Cut ``stream`` into parts of at most ``size``; never end a part where ``unsplittable``
    says the unit belongs with the next one."""
    parts: list[list[int]] = []
    start = 0
    while start < len(stream):
        end = min(start + size, len(stream))
        if end < len(stream) and unsplittable(stream, end - 1):
            end -= 1
        parts.append(stream[start:end])
        start = end
    return parts


def _escape_at(stream: list[int], i: int) -> bool:
    # An ESC opens a pair only at an even distance from the last non-ESC unit; in our streams
    # ESC is always followed by its code, so check pairs from the start of the stream.
    j = 0
    while j <= i:
        if stream[j] == ESCAPE:
            if j == i:
                return True
            j += 2
        else:
            j += 1
    return False


def _high_surrogate(stream: list[int], i: int) -> bool:
    return 0xD800 <= stream[i] <= 0xDBFF


def oracle(text: str) -> tuple[str, int, int, int]:
    """(encoding, units, segments, remaining in the last segment) by the specification."""
    gsm = septets(text)
    if gsm is not None:
        stream, single, multi, glued = gsm, 160, 153, _escape_at
        encoding = "GSM-7"
    else:
        stream, single, multi, glued = ucs2_units(text), 70, 67, _high_surrogate
        encoding = "UCS-2"
    if len(stream) <= single:
        return encoding, len(stream), (1 if stream else 0), single - len(stream)
    parts = _cut(stream, multi, glued)
    return encoding, len(stream), len(parts), multi - len(parts[-1])


# -- the oracle's own sanity (it must be right before it may judge) ------------------------------


def test_the_oracle_tables_have_the_sizes_the_specification_gives():
    assert len(BASIC) == 127  # 128 positions, one of them the escape
    assert sorted(BASIC.values()) == [c for c in range(128) if c != ESCAPE]
    assert len(EXTENSION) == 10
    assert "\u20ac" in EXTENSION
    assert "\u20ac" not in BASIC
    # Spot checks against the printed table: position -> character.
    position = {code: ch for ch, code in BASIC.items()}
    assert (position[0x00], position[0x10], position[0x1C], position[0x60]) == (
        "@",
        "\u0394",
        "\u00c6",
        "\u00bf",
    )


def test_the_oracle_counts_hand_worked_texts():
    assert oracle("") == ("GSM-7", 0, 0, 160)
    assert oracle("a" * 160) == ("GSM-7", 160, 1, 0)
    assert oracle("a" * 161) == ("GSM-7", 161, 2, 153 * 2 - 161)
    # The escape would be the 153rd septet: the € goes whole into the second part.
    assert oracle("a" * 152 + "\u20ac" + "a" * 10) == ("GSM-7", 164, 2, 153 - 12)
    assert oracle("\U0001f600") == ("UCS-2", 2, 1, 68)
    assert oracle("я" * 66 + "\U0001f600" + "я") == ("UCS-2", 69, 1, 1)
    assert oracle("я" * 66 + "\U0001f600" + "я" * 4) == ("UCS-2", 72, 2, 67 - 6)


# -- the module judged by the oracle --------------------------------------------------------------

GSM_CHARS = "".join(BASIC) + "".join(EXTENSION)
# Characters that force UCS-2: Cyrillic (BMP, one unit) and astral ones (two units each).
UCS_ONLY = "абвгґєіїщьюяЖЩ\u2019\u00ab\u00bb" + "\U0001f600\U0001f44d\U0001f1fa\U0001d11e\U00010000"

gsm_texts = st.integers(0, 480).flatmap(
    lambda n: st.text(alphabet=st.sampled_from(GSM_CHARS), min_size=n, max_size=n)
)
ucs_texts = st.integers(0, 420).flatmap(
    lambda n: st.text(alphabet=st.sampled_from(GSM_CHARS + UCS_ONLY * 3), min_size=n, max_size=n)
)
# GSM-7 texts rich in extension characters, to reach the part boundaries with an escape.
escaped_texts = st.integers(0, 330).flatmap(
    lambda n: st.text(alphabet=st.sampled_from("a\u20ac[|"), min_size=n, max_size=n)
)


def _measure(text: str) -> tuple[str, int, int, int]:
    info = analyze(text, max_gsm7=10_000, max_ucs2=10_000)
    return info.encoding, info.units, info.segments, info.remaining


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.one_of(gsm_texts, ucs_texts, escaped_texts))
@example("a" * 155)  # one part by the rules, two if 160/153 were swapped
@example("a" * 310)  # three parts, two if swapped
@example("\U0001f600" * 35)  # 70 units: one part; 35 if an emoji were one unit
@example("\u20ac" * 80)  # 160 septets: one part; 80 if € were one septet
@example("\U00010000" * 36)  # the first astral character: 72 units, two parts
def test_encoding_units_segments_and_remaining_agree_with_the_specification(text):
    """Kills: 160/153 swapped; an emoji as one unit; € as one septet."""
    assert _measure(text) == oracle(text)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(alphabet=st.sampled_from(GSM_CHARS + UCS_ONLY), max_size=30))
def test_gsm7_is_exactly_the_specification_alphabet(text):
    """Kills: a character added to or dropped from either table (``€`` moved to the basic one
    makes a text GSM-7 either way, but is caught by the counting test above)."""
    assert is_gsm7(text) == (septets(text) is not None)
    assert analyze(text).encoding == (GSM7 if septets(text) is not None else UCS2)


def test_the_tables_the_admin_counter_gets_are_the_specification_tables():
    """The admin's JavaScript counts from ``export_rules``: its tables and sizes must be the
    specification's, with ``€`` an extension (two-septet) character.

    Kills: ``€`` (or any character) moved between the tables; the segment sizes swapped."""
    rules = export_rules()
    assert sorted(rules["gsm7_basic"]) == sorted(BASIC)
    assert sorted(rules["gsm7_extension"]) == sorted(EXTENSION)
    assert rules["segments"] == {
        "GSM-7": {"single": 160, "multi": 153},
        "UCS-2": {"single": 70, "multi": 67},
    }


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.one_of(gsm_texts, ucs_texts))
def test_the_limit_is_compared_with_the_units_the_specification_counts(text):
    """A text is over the limit exactly when its units by the specification exceed it.

    Kills: an emoji or ``€`` counted as one unit (a text at the limit would pass as under it);
    the GSM-7 limit applied to a UCS-2 text."""
    encoding, units, _, _ = oracle(text)
    limit = max(units - 1, 0)
    other = limit + 1000  # the other encoding's limit, which must not apply
    if encoding == "GSM-7":
        info = analyze(text, max_gsm7=limit, max_ucs2=other)
    else:
        info = analyze(text, max_gsm7=other, max_ucs2=limit)
    assert info.length == units
    assert info.limit == limit
    assert info.over_limit == (units > limit)


# -- characters XML 1.0 cannot carry ---------------------------------------------------------------

#: XML 1.0 (fifth edition), production [2]: Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] |
#: [#xE000-#xFFFD] | [#x10000-#x10FFFF].
_XML_CHAR_RANGES = [(0x9, 0x9), (0xA, 0xA), (0xD, 0xD), (0x20, 0xD7FF), (0xE000, 0xFFFD)]


def xml_can_carry(ch: str) -> bool:
    code = ord(ch)
    return code >= 0x10000 or any(low <= code <= high for low, high in _XML_CHAR_RANGES)


#: Every edge of the ranges above, from both sides.
EDGES = sorted({c + d for low, high in _XML_CHAR_RANGES for c in (low, high) for d in (-1, 0, 1)})


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(EDGES) | st.integers(0, 0x10FFFF), max_size=12))
def test_validation_refuses_exactly_the_characters_xml_cannot_carry(codes):
    """Kills: an edge of the XML character ranges moved by one (``<= 0xDFFF`` to ``< 0xDFFF``,
    U+FFFE no longer refused, a control character let through)."""
    from django_letsads.text import xml_illegal_characters

    text = "Code " + "".join(chr(c) for c in codes)
    expected = [(5 + i, chr(c)) for i, c in enumerate(codes) if not xml_can_carry(chr(c))]
    assert xml_illegal_characters(text) == expected


# -- gaps a mutmut run found ------------------------------------------------------------------------


def test_explicit_limits_reach_the_admin_counters_rules():
    """Kills: ``export_rules`` ignoring its ``max_gsm7`` / ``max_ucs2`` arguments."""
    assert export_rules(max_gsm7=300, max_ucs2=200)["limits"] == {GSM7: 300, UCS2: 200}


def test_without_django_settings_the_gateways_documented_limits_apply():
    """The client and the simulator may run without Django settings (459 GSM-7, 402 UCS-2).

    Kills: ``configured_limits`` returning anything else when settings are not configured."""
    code = (
        "from django_letsads.text import analyze; "
        "print(analyze('a').limit, analyze('\u044f').limit)"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.split() == ["459", "402"]

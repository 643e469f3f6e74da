"""Characters that force UCS-2 although an obvious GSM-7 twin exists, and what replacing them saves.

One curly apostrophe, an en dash or a non-breaking space turns a Latin text into UCS-2: a
150-character message becomes 3 segments instead of 1. :func:`gsm7_suggestions` finds them;
the admin's counter offers to replace them, reading :data:`TWINS` from the server
(:func:`django_letsads.text.export_rules`), so the table exists once.

Only replacements a reader would not notice are listed: typographic punctuation, spaces, invisible
characters and a few symbols with a conventional spelling (``№`` → ``No``). Letters are never
changed here; that is what transliteration is for.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django_letsads.text import analyze, is_gsm7

#: Character → its GSM-7 twin (an empty twin: the character is invisible and is removed).
TWINS: dict[str, str] = {
    # Apostrophes and single quotes.
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u02bc": "'", "\u02b9": "'", "\u00b4": "'", "`": "'", "\u2039": "'", "\u203a": "'",
    # Double quotes and guillemets.
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    # Dashes, hyphens and the minus sign.
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-",
    # Ellipsis, bullets.
    "\u2026": "...", "\u2022": "-", "\u00b7": "-", "\u2023": "-", "\u2043": "-",
    # Spaces: no-break, fixed-width and ideographic; the tab.
    "\t": " ", "\u00a0": " ", "\u2000": " ", "\u2001": " ", "\u2002": " ", "\u2003": " ",
    "\u2004": " ", "\u2005": " ", "\u2006": " ", "\u2007": " ", "\u2008": " ", "\u2009": " ",
    "\u200a": " ", "\u202f": " ", "\u205f": " ", "\u3000": " ",
    # Line and paragraph separators.
    "\u2028": "\n", "\u2029": "\n",
    # Invisible: zero-width space, joiners, word joiner, byte order mark, soft hyphen.
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "", "\u00ad": "",
    # Symbols with a conventional spelling.
    "\u2116": "No", "\u2122": "TM", "\u00a9": "(c)", "\u00ae": "(R)", "\u00d7": "x",
    "\u2044": "/", "\u00bd": "1/2",
}  # fmt: skip


@dataclass(frozen=True)
class Gsm7Suggestion:
    """One character that forces UCS-2, where it occurs and its GSM-7 twin.

    ``positions`` are indexes into the text (code points, as ``text[i]``). ``segments_before`` is
    the text's segment count as it is; ``segments_after`` its count once this character is
    replaced everywhere; ``segments_after_all`` once every suggested character is replaced
    (replacing only one character saves nothing while another still forces UCS-2).
    """

    character: str
    replacement: str
    positions: tuple[int, ...]
    segments_before: int
    segments_after: int
    segments_after_all: int

    @property
    def codepoint(self) -> str:
        return f"U+{ord(self.character):04X}"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "positions": list(self.positions), "codepoint": self.codepoint}


def replace_twins(text: str, characters: str | None = None) -> str:
    """``text`` with every character of :data:`TWINS` (or only those in ``characters``) replaced."""
    return "".join(
        TWINS[ch] if ch in TWINS and (characters is None or ch in characters) else ch for ch in text
    )


def gsm7_suggestions(text: str) -> list[Gsm7Suggestion]:
    """The characters of ``text`` that force UCS-2 and have a GSM-7 twin, in order of appearance.

    Empty when the text is GSM-7 already (nothing to save) or has none of them. Characters
    without a twin (Cyrillic letters, emoji) are not listed: see :func:`ucs2_characters`.
    """
    if is_gsm7(text):
        return []
    positions: dict[str, list[int]] = {}
    for index, ch in enumerate(text):
        if ch in TWINS:
            positions.setdefault(ch, []).append(index)
    if not positions:
        return []
    before = analyze(text).segments
    after_all = analyze(replace_twins(text)).segments
    return [
        Gsm7Suggestion(
            character=ch,
            replacement=TWINS[ch],
            positions=tuple(found),
            segments_before=before,
            segments_after=analyze(replace_twins(text, ch)).segments,
            segments_after_all=after_all,
        )
        for ch, found in positions.items()
    ]


def ucs2_characters(text: str) -> list[str]:
    """The distinct characters that make ``text`` UCS-2 (none for a GSM-7 text), in order.

    Said to the user when a text stays UCS-2 after transliteration: an emoji, a letter of another
    alphabet, or a character with a twin in :data:`TWINS` not replaced yet.
    """
    seen: dict[str, None] = {}
    for ch in text:
        if not is_gsm7(ch):
            seen.setdefault(ch, None)
    return list(seen)

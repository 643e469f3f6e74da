# ruff: noqa: RUF001, RUF003 - Cyrillic letters and typographic marks are the subject here
"""Transliteration of Cyrillic texts into Latin letters, so that a text fits GSM-7.

A Cyrillic text pays 70 characters a segment (UCS-2) where its transliteration pays 160. Two
tables:

* ``"uk"`` - the official Ukrainian national transliteration, Cabinet of Ministers of Ukraine
  resolution No. 55 of 27 January 2010. Є, Ї, Й, Ю, Я are written ``Ye``, ``Yi``, ``Y``, ``Yu``,
  ``Ya`` at the start of a word and ``ie``, ``i``, ``i``, ``iu``, ``ia`` elsewhere; ``зг`` is
  ``zgh`` (so that it is not read as ``жg``); the soft sign and the apostrophe are dropped.
  Letters the resolution does not cover (ё, ы, э, ъ, from Russian words) get the ``"ru"`` values.
* ``"ru"`` - the common table of Russian passports since 2013 for consonants, with ``ya``/``yu``/
  ``yo``/``ye`` for я/ю/ё/є and ``y`` for й and ы; ъ and ь are dropped. Ukrainian letters in a
  Russian text get their Ukrainian word-start values.

Case follows the source: a capitalised word stays capitalised (Щ → Shch) and an all-caps word
stays all-caps (ЩУКА → SHCHUKA). Digits, Latin letters and punctuation are kept. An apostrophe
between two letters is part of the word (Знам'янка) and is dropped; an apostrophe-like mark
anywhere else is a quote and becomes the ASCII ``'``, so the result stays GSM-7.

The browser's counter mirrors :func:`transliterate` with the tables from :func:`export_tables`.
"""

from __future__ import annotations

from typing import Any

#: Marks used as the Ukrainian apostrophe (ASCII, right single quote, modifier letter, and the
#: look-alikes people type).
APOSTROPHES = "'\u2019\u02bc\u2018\u0060\u00b4\u02b9"

_UK_COMMON = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "ж": "zh",
    "з": "z", "и": "y", "і": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ь": "",
    "є": "ie", "ї": "i", "й": "i", "ю": "iu", "я": "ia",
    # Not Ukrainian letters; as in the "ru" table.
    "ё": "io", "ы": "y", "э": "e", "ъ": "",
}  # fmt: skip

_RU_COMMON = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
    # Ukrainian letters in a Russian text.
    "ґ": "g", "є": "ye", "і": "i", "ї": "yi",
}  # fmt: skip

#: language → (letters anywhere, letters at the start of a word, special pairs).
#: A pair ``"зг": "gh"`` means: ``г`` right after ``з`` is written ``gh``.
TABLES: dict[str, dict[str, dict[str, str]]] = {
    "uk": {
        "letters": _UK_COMMON,
        "initial": {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"},
        "after": {"зг": "gh"},
    },
    "ru": {"letters": _RU_COMMON, "initial": {}, "after": {}},
}

LANGUAGES = tuple(TABLES)


def _is_letter(ch: str) -> bool:
    # U+02BC, the apostrophe Ukrainian spelling prefers, is a "modifier letter" to Unicode.
    return ch.isalpha() and ch not in APOSTROPHES


def _word_bounds(text: str) -> list[tuple[int, int]]:
    """(start, end) of each word: letters, with apostrophes between two letters inside it."""
    bounds = []
    start = None
    n = len(text)
    for i, ch in enumerate(text):
        inside = _is_letter(ch) or (
            ch in APOSTROPHES and start is not None and i + 1 < n and _is_letter(text[i + 1])
        )
        if inside and start is None:
            start = i
        elif not inside and start is not None:
            bounds.append((start, i))
            start = None
    if start is not None:
        bounds.append((start, n))
    return bounds


def _word(word: str, table: dict[str, dict[str, str]]) -> str:
    letters, initial, after = table["letters"], table["initial"], table["after"]
    cased = [ch for ch in word if ch.lower() != ch.upper()]
    all_caps = len(cased) > 1 and all(ch.isupper() for ch in cased)
    out = []
    previous = ""
    for position, ch in enumerate(word):
        if ch in APOSTROPHES:  # within a word: the Ukrainian apostrophe, not written
            continue
        lower = ch.lower()
        latin = after.get(previous + lower)
        if latin is None:
            latin = initial.get(lower) if position == 0 else None
        if latin is None:
            latin = letters.get(lower)
        previous = lower
        if latin is None:  # not Cyrillic: kept as it is
            out.append(ch)
        elif not ch.isupper():
            out.append(latin)
        elif all_caps:
            out.append(latin.upper())
        else:
            out.append(latin[:1].upper() + latin[1:])
    return "".join(out)


def transliterate(text: str, language: str = "uk") -> str:
    """``text`` with its Cyrillic letters written in Latin ones, by the table of ``language``.

    ``"uk"``: the official Ukrainian table of 2010 (resolution No. 55); ``"ru"``: the common
    Russian table. Raises :class:`ValueError` for another language.
    """
    try:
        table = TABLES[language]
    except (KeyError, TypeError):
        raise ValueError(
            f"No transliteration table for language {language!r}; "
            f"supported: {', '.join(repr(code) for code in LANGUAGES)}."
        ) from None
    out = []
    last = 0
    for start, end in _word_bounds(text):
        out.append(_quotes(text[last:start]))
        out.append(_word(text[start:end], table))
        last = end
    out.append(_quotes(text[last:]))
    return "".join(out)


def _quotes(between: str) -> str:
    """Apostrophe-like marks outside words are quotes: the ASCII one keeps the text GSM-7."""
    return "".join("'" if ch in APOSTROPHES else ch for ch in between)


def outgoing_text(transliterate_text: bool, text: str, language: str = "uk") -> str:
    """The text a request carries: ``text`` itself, or its transliteration when asked for.

    The worker and the cost estimate both call this, so what is priced is what is sent. Apply it
    last, to the text as rendered for the recipient (placeholders filled in).
    """
    return transliterate(text, language) if transliterate_text else text


def export_tables() -> dict[str, Any]:
    """The tables as JSON-able data, for the admin's counter (which mirrors :func:`transliterate`)."""
    return {"apostrophes": APOSTROPHES, "tables": TABLES}

"""Rendering one campaign text for many recipients, and measuring it, fast.

:mod:`django_letsads.personalisation` counts what a personalised campaign will send by rendering
each distinct combination of values once: up to a million texts for a campaign with a code per
recipient. :class:`Renderer` fills a template pre-split into pieces and :func:`measure` counts a
text's segments with regular expressions (in C) where :func:`django_letsads.text.analyze` walks
it character by character; both give exactly what the worker sends and the gateway counts
(``tests/test_personalisation.py`` compares them).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

from django_letsads import merge, unsubscribe
from django_letsads.conf import letsads_settings
from django_letsads.placeholders import FIELDS, UNSUBSCRIBE_URL
from django_letsads.text import (
    GSM7,
    GSM7_BASIC,
    GSM7_EXTENSION,
    SEGMENT_SIZES,
    UCS2,
    analyze,
    configured_limits,
)
from django_letsads.translit import APOSTROPHES, transliterate

#: Texts of the GSM-7 basic table only: one septet per character.
GSM_BASIC = re.compile("[" + re.escape(GSM7_BASIC) + "]*")
_GSM_ANY = re.compile("[" + re.escape(GSM7_BASIC + GSM7_EXTENSION) + "]*")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
#: Transliterated values remembered (names repeat; codes and addresses do not).
_CACHE_SIZE = 50_000
#: Texts that transliteration leaves as they are: no Cyrillic letter, no apostrophe-like mark.
_UNTOUCHED = re.compile("[^\u0400-\u04ff" + re.escape(APOSTROPHES) + "]*")


def data_fields_of(template: merge.Template) -> tuple[str, ...]:
    """The fields of ``template`` that come from the recipients' data (not built in)."""
    return tuple(name for name in template.fields if name not in FIELDS)


def required_fields(template: merge.Template) -> tuple[str, ...]:
    """Data fields used at least once without a default: a recipient without them is left out."""
    names = [
        part.name
        for part in template.parts
        if isinstance(part, merge.Placeholder) and part.default is None and part.name not in FIELDS
    ]
    return tuple(dict.fromkeys(names))


class Renderer:
    """Renders a campaign's template as it will be sent, fast enough for a million texts.

    Values come as a row: a tuple in the order of ``fields`` (``None`` or ``""`` when missing),
    as :func:`combinations` yields them. A transliterated campaign transliterates each literal
    part once and each distinct value once, when no word can span a placeholder's edge;
    otherwise the whole text, as the worker does.
    """

    def __init__(
        self, template: merge.Template, transliterated: bool, fields: Sequence[str] = ()
    ) -> None:
        self.template = template
        self.fields = tuple(fields) or data_fields_of(template)
        self.transliterated = transliterated
        self.limits = configured_limits()
        self.fixed: dict[str, str] = {}
        if UNSUBSCRIBE_URL in template.fields:
            base = letsads_settings.UNSUBSCRIBE_BASE_URL or "https://"
            self.fixed[UNSUBSCRIBE_URL] = base + "x" * unsubscribe.MAX_TOKEN_LENGTH
        self.piecewise = not transliterated or _words_end_at_placeholders(template)
        self._cache: dict[str, str] = {}
        latin = self._latin if transliterated and self.piecewise else _same
        # The text as a list of pieces; each slot says which piece a value fills.
        self.pieces: list[str] = []
        self.slots: list[tuple[int, int, str | None, str]] = []
        position = {name: i for i, name in enumerate(self.fields)}
        for part in template.parts:
            if isinstance(part, str):
                self.pieces.append(latin(part))
            elif part.name in self.fixed:
                self.pieces.append(self.fixed[part.name])
            else:
                default = None if part.default is None else latin(part.default)
                self.slots.append((len(self.pieces), position[part.name], default, part.name))
                self.pieces.append("")
        self.latin = latin
        #: The fields of slots without a default, in order: a row without one is left out.
        self.required = tuple(dict.fromkeys(s[3] for s in self.slots if s[2] is None))

    def _latin(self, value: str) -> str:
        if _UNTOUCHED.fullmatch(value):  # a code, a Latin name: nothing to remember
            return value
        out = self._cache.get(value)
        if out is None:
            if len(self._cache) >= _CACHE_SIZE:  # a million distinct values: bounded memory
                self._cache.clear()
            out = self._cache[value] = transliterate(value)
        return out

    def render_row(self, row: Sequence[str | None]) -> str:
        """The text sent for ``row``; raises :class:`merge.MissingValueError`."""
        pieces = self.pieces.copy()
        latin = self.latin
        for index, position, default, name in self.slots:
            value = row[position]
            if value:
                # Checked before transliterating: a soft sign alone is still a value.
                pieces[index] = latin(value)
            elif default is None:
                raise merge.MissingValueError(name)
            else:
                pieces[index] = default
        text = "".join(pieces)
        if self.transliterated and not self.piecewise:
            return transliterate(text)
        return text

    def render(self, values: Mapping[str, str]) -> str:
        """The text sent for ``values`` (field name to value)."""
        return self.render_row([values.get(name) for name in self.fields])

    def measure(self, text: str) -> tuple[str, int, bool]:
        """(encoding, segments, over the limit) of ``text``, as :func:`text.analyze` says."""
        return measure(text, self.limits)


def _same(value: str) -> str:
    return value


def simple_encoding(text: str) -> str | None:
    """The encoding of ``text`` when each of its characters takes one unit in it (nearly all
    texts), so that its units are ``len(text)``; ``None`` otherwise (an extension character of
    GSM-7, a character outside the BMP in UCS-2): then :func:`text.analyze` decides."""
    if GSM_BASIC.fullmatch(text):
        return GSM7
    if _GSM_ANY.fullmatch(text) is None and _ASTRAL.search(text) is None:
        return UCS2
    return None


def segments_of(encoding: str, units: int) -> int:
    """Segments of a text of ``units`` one-unit characters in ``encoding``."""
    sizes = SEGMENT_SIZES[encoding]
    if units <= sizes["single"]:
        return 1 if units else 0
    return math.ceil(units / sizes["multi"])


def measure(text: str, limits: Mapping[str, int]) -> tuple[str, int, bool]:
    """:func:`text.analyze`'s encoding, segments and limit check, with a fast path (regular
    expressions in C) for texts without two-unit characters, which are nearly all."""
    encoding = simple_encoding(text)
    if encoding is None:
        info = analyze(text)
        return info.encoding, info.segments, info.length > limits[info.encoding]
    units = len(text)
    return encoding, segments_of(encoding, units), units > limits[encoding]


def piecewise_safe(template: merge.Template) -> bool:
    """Whether transliterating ``template``'s parts one by one gives the transliteration of
    every rendering (see :class:`Renderer`)."""
    return _words_end_at_placeholders(template)


def _words_end_at_placeholders(template: merge.Template) -> bool:
    """True when no word can run across a placeholder's edge (see :mod:`translit`): the
    characters around each placeholder are neither letters nor apostrophes, nor placeholders."""
    parts = template.parts
    for index, part in enumerate(parts):
        if isinstance(part, str):
            continue
        before = parts[index - 1] if index else ""
        after = parts[index + 1] if index + 1 < len(parts) else ""
        if not isinstance(before, str) or not isinstance(after, str):
            return False
        if index and _wordish(before[-1]):
            return False
        if after and _wordish(after[0]):
            return False
    return True


def _wordish(ch: str) -> bool:
    return ch.isalpha() or ch in APOSTROPHES

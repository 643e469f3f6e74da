"""How the gateway measures a text: encoding, length, segments and limits.

One module, no copies: backends, the admin, the worker and the simulator all call :func:`analyze`,
and the admin's JavaScript counter mirrors the same rules from :func:`export_rules`, so the tables
are kept as plain data.

Rules (3GPP TS 23.038 and the LetsAds limits):

* A text is GSM-7 when every character is in the basic table or the extension table; an extension
  character takes two septets (an escape and the character). Anything else makes the whole text
  UCS-2, where a character outside the Basic Multilingual Plane takes two code units.
* ``length`` is what the gateway compares with its limits; it counts units as above, so an
  extension character or an emoji counts 2.
* One segment holds 160 septets or 70 UCS-2 units; a concatenated message loses room to the user
  data header and each part holds 153 or 67. A two-unit character is never split across parts
  (a phone would show garbage), so a part that has one unit left before such a character is
  closed early.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from django_letsads.exceptions import InvalidTextError
from django_letsads.translit import transliterate as transliterate  # public here (design.md)

if TYPE_CHECKING:
    from django_letsads.gsm7 import Gsm7Suggestion

GSM7 = "GSM-7"
UCS2 = "UCS-2"

#: The GSM 03.38 default alphabet, in table order (0x1B, the escape, is not a character).
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
).replace("\x1b", "")

#: Characters reached through the escape: each takes two septets.
GSM7_EXTENSION = "\f^{}\\[~]|€"

#: Septets or code units per segment: a text that fits ``single`` is sent as one part, else as
#: parts of ``multi`` each.
SEGMENT_SIZES: dict[str, dict[str, int]] = {
    GSM7: {"single": 160, "multi": 153},
    UCS2: {"single": 70, "multi": 67},
}

#: The gateway's limits in characters (LetsAds documents 459 Latin, 402 Cyrillic); the settings
#: ``MAX_LENGTH_GSM7`` / ``MAX_LENGTH_UCS2`` override these.
DEFAULT_LIMITS: dict[str, int] = {GSM7: 459, UCS2: 402}

_BASIC = frozenset(GSM7_BASIC)
_EXTENSION = frozenset(GSM7_EXTENSION)


@dataclass(frozen=True)
class TextInfo:
    """What :func:`analyze` found out about a text.

    ``length`` is what limits are compared with, ``units`` the septets or UCS-2 code units on the
    wire; under today's rules both count a two-unit character twice, so they are equal, but
    callers should use the one whose meaning they need. ``remaining`` is how many units still fit
    in the current (last) segment before another one starts.
    """

    encoding: str
    length: int
    units: int
    segments: int
    per_segment: int
    remaining: int
    limit: int

    @property
    def over_limit(self) -> bool:
        return self.length > self.limit

    @property
    def is_gsm7(self) -> bool:
        return self.encoding == GSM7

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form, as the admin's counter shows it."""
        return {**asdict(self), "over_limit": self.over_limit}


def is_gsm7(text: str) -> bool:
    """True when every character of ``text`` is in the GSM-7 basic or extension table."""
    return all(ch in _BASIC or ch in _EXTENSION for ch in text)


def char_units(ch: str, encoding: str) -> int:
    """Units one character takes in ``encoding``: 2 for an extension character or a non-BMP one."""
    if encoding == GSM7:
        return 2 if ch in _EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1


def _limit_for(encoding: str, max_gsm7: int | None, max_ucs2: int | None) -> int:
    explicit = max_gsm7 if encoding == GSM7 else max_ucs2
    if explicit is not None:
        return explicit
    return configured_limits()[encoding]


def configured_limits() -> dict[str, int]:
    """The limits from settings, or the gateway's defaults when Django is not configured.

    The simulator and the client may run without Django settings; they get the documented limits.
    """
    from django.conf import settings

    if not settings.configured:
        return dict(DEFAULT_LIMITS)
    from django_letsads.conf import letsads_settings

    return {GSM7: letsads_settings.MAX_LENGTH_GSM7, UCS2: letsads_settings.MAX_LENGTH_UCS2}


def _pack(sizes: list[int], per_segment: int) -> tuple[int, int]:
    """Fill parts of ``per_segment`` units without splitting a character; (parts, units in last)."""
    segments, used = 1, 0
    for size in sizes:
        if used + size > per_segment:
            segments += 1
            used = 0
        used += size
    return segments, used


def analyze(text: str, *, max_gsm7: int | None = None, max_ucs2: int | None = None) -> TextInfo:
    """Measure ``text`` as the gateway does. Never raises; see :func:`validate_text` for that.

    ``max_gsm7`` / ``max_ucs2`` override the limits from settings (e.g. in the simulator).
    An empty text has 0 segments and a full first segment remaining.
    """
    encoding = GSM7 if is_gsm7(text) else UCS2
    sizes = [char_units(ch, encoding) for ch in text]
    units = sum(sizes)
    single, multi = SEGMENT_SIZES[encoding]["single"], SEGMENT_SIZES[encoding]["multi"]
    if units <= single:
        segments, per_segment, remaining = (1 if units else 0), single, single - units
    else:
        segments, used = _pack(sizes, multi)
        per_segment, remaining = multi, multi - used
    return TextInfo(
        encoding=encoding,
        length=units,
        units=units,
        segments=segments,
        per_segment=per_segment,
        remaining=remaining,
        limit=_limit_for(encoding, max_gsm7, max_ucs2),
    )


def xml_illegal_characters(text: str) -> list[tuple[int, str]]:
    """(position, character) of each character XML 1.0 cannot carry, even as a reference.

    XML 1.0 allows tab, line feed, carriage return, U+0020 to U+D7FF, U+E000 to U+FFFD and the planes
    above; the rest (most C0 controls, lone surrogates, U+FFFE/U+FFFF) cannot reach the gateway.
    """
    bad = []
    for position, ch in enumerate(text):
        code = ord(ch)
        if code < 0x20:
            if ch not in "\t\n\r":
                bad.append((position, ch))
        elif 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF):
            bad.append((position, ch))
    return bad


def validate_text(text: str) -> TextInfo:
    """:func:`analyze` ``text`` and raise :class:`InvalidTextError` if the gateway cannot take it.

    Raised for an empty (or whitespace-only) text, for characters XML 1.0 cannot carry (the
    message names them and their positions) and for a text over the limit of its encoding (the
    message names the length, the encoding and the limit). ``error.code`` is ``NO_MESSAGE``,
    ``INVALID_CHARACTERS`` or ``MESSAGE_TOO_LONG`` respectively.
    """
    if not text or not text.strip():
        raise InvalidTextError("The text is empty.", code="NO_MESSAGE")
    bad = xml_illegal_characters(text)
    if bad:
        shown = ", ".join(f"U+{ord(ch):04X} at position {pos}" for pos, ch in bad[:5])
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise InvalidTextError(
            f"The text contains characters that cannot be sent: {shown}{more}.",
            code="INVALID_CHARACTERS",
        )
    info = analyze(text)
    if info.over_limit:
        raise InvalidTextError(
            f"The text is {info.length} characters long in {info.encoding}; "
            f"the limit is {info.limit}.",
            code="MESSAGE_TOO_LONG",
        )
    return info


def export_rules(*, max_gsm7: int | None = None, max_ucs2: int | None = None) -> dict[str, Any]:
    """The counting rules as JSON-able data, for the admin's JavaScript counter.

    ``gsm7_basic``/``gsm7_extension`` are strings of characters; ``segments`` maps an encoding to
    its single-part and multi-part sizes; ``limits`` are the limits in effect; ``gsm7_twins``
    and ``translit`` are the tables of :mod:`django_letsads.gsm7` and
    :mod:`django_letsads.translit`.
    """
    limits = configured_limits()
    if max_gsm7 is not None:
        limits[GSM7] = max_gsm7
    if max_ucs2 is not None:
        limits[UCS2] = max_ucs2
    from django_letsads.gsm7 import TWINS
    from django_letsads.translit import export_tables

    return {
        "gsm7_basic": GSM7_BASIC,
        "gsm7_twins": TWINS,
        "translit": export_tables(),
        "gsm7_extension": GSM7_EXTENSION,
        "segments": {enc: dict(sizes) for enc, sizes in SEGMENT_SIZES.items()},
        "limits": limits,
        "no_split": True,
    }


def gsm7_suggestions(text: str) -> list[Gsm7Suggestion]:
    """The characters of ``text`` that force UCS-2 but have an obvious GSM-7 twin.

    See :func:`django_letsads.gsm7.gsm7_suggestions` (that module needs :func:`analyze`, so it is
    imported when called).
    """
    from django_letsads import gsm7

    return gsm7.gsm7_suggestions(text)

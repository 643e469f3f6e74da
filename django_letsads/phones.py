"""Turning what people type as phone numbers into what the gateway wants: international digits.

The gateway takes ``380501234567`` — no ``+``, spaces or punctuation — and answers a number it
dislikes with an error that stops the whole request, so numbers are normalised and validated with
the ``phonenumbers`` library before anything is sent. Numbers of any country are accepted; a number
without a country code is read in the default region (``LETSADS["DEFAULT_REGION"]``, ``"UA"``).

Accepted forms: ``+380 (50) 123-45-67``, ``00380501234567``, ``380501234567``, ``0501234567`` and
``501234567`` (national, in the default region). Letters, extensions and anything else are refused.

:func:`normalize_many` handles a million numbers without raising: a campaign import or a worker
needs one verdict per input, with duplicates marked, not an exception at the first bad line.
Inputs that are already international digits skip ``phonenumbers``' text parsing, which is most of
its cost, and ``is_valid_number``'s verdict comes from patterns precompiled per country code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata, PhoneNumber, ValidationResult

from django_letsads.exceptions import InvalidRecipientError

INVALID_NUMBER = "INVALID_NUMBER"

#: Characters people put between digits; removed before reading the number. The most common
#: first: removing them one ``str.replace`` at a time, each only when present, costs a third of
#: ``str.translate`` with a deletion table, which looks every character up.
_SEPARATORS = " -()\t\u00a0\u2009\u2010\u2011\u2012\u2013.,/"

_POSSIBILITY_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: "unknown country code",
    ValidationResult.TOO_SHORT: "too short",
    ValidationResult.TOO_LONG: "too long",
    ValidationResult.INVALID_LENGTH: "wrong number of digits",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "a local number without its area code",
}


@dataclass(frozen=True, slots=True)
class NormalizedNumber:
    """The verdict on one input of :func:`normalize_many`.

    ``number`` is the normalised digits (``""`` when invalid); ``error_code`` and ``reason`` say
    why it is invalid; ``duplicate_of`` is the index of the first input with the same number.
    """

    input: str
    number: str
    error_code: str | None = None
    reason: str = ""
    duplicate_of: int | None = None

    @property
    def valid(self) -> bool:
        return self.error_code is None

    @property
    def duplicate(self) -> bool:
        return self.duplicate_of is not None


def default_region() -> str:
    """``LETSADS["DEFAULT_REGION"]``, or ``"UA"`` where Django is not configured."""
    from django.conf import settings

    if not settings.configured:
        return "UA"
    from django_letsads.conf import letsads_settings

    return letsads_settings.DEFAULT_REGION.upper()


def _digits(number: PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]


def _why_invalid(number: PhoneNumber) -> str:
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible in _POSSIBILITY_REASONS:
        return _POSSIBILITY_REASONS[possible]
    return f"not a valid number for country code +{number.country_code}"


#: The number types ``phonenumbers.is_valid_number`` accepts (any of them, after the general one).
_TYPE_DESCS = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)


def _desc(desc: object) -> tuple[frozenset[int], str] | None:
    pattern = getattr(desc, "national_number_pattern", None)
    if not pattern:
        return None
    return frozenset(getattr(desc, "possible_length", None) or ()), pattern


@cache
def _validator(country_code: int) -> dict[int, re.Pattern[str]] | None:
    """Per length of the national number, one pattern that gives ``is_valid_number``'s verdict.

    ``phonenumbers.is_valid_number`` costs about 10 µs, mostly in looking up and re-matching the
    same metadata: the number must match the general description and then any one number type,
    each only if its possible lengths allow. Folding that into one precompiled pattern per length
    gives the same verdict several times faster. Shared country codes (``+1``, ``+7``, ``+44`` …)
    pick a region first, so they keep the library path (``None``); the tests compare both paths
    over every country code.
    """
    regions = COUNTRY_CODE_TO_REGION_CODE.get(country_code, ())
    if len(regions) != 1 or regions[0] == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY:
        return None
    metadata = PhoneMetadata.metadata_for_region(regions[0], None)
    general = _desc(metadata.general_desc) if metadata is not None else None
    if metadata is None or general is None:
        return None
    types = [d for d in (_desc(getattr(metadata, name, None)) for name in _TYPE_DESCS) if d]
    by_length: dict[int, re.Pattern[str]] = {}
    for length in general[0] or range(1, 18):
        alternatives = [p for lengths, p in types if not lengths or length in lengths]
        if alternatives:
            either = "|".join(f"(?:{p})" for p in alternatives)
            by_length[length] = re.compile(f"(?=(?:{general[1]})\\Z)(?:{either})")
    return by_length


def is_valid_international(country_code: int, national: str) -> bool:
    """``phonenumbers.is_valid_number`` for a national significant number without leading zero."""
    validator = _validator(country_code)
    if validator is None:
        number = PhoneNumber(country_code=country_code, national_number=int(national))
        return bool(phonenumbers.is_valid_number(number))
    pattern = validator.get(len(national))
    return pattern is not None and pattern.fullmatch(national) is not None


def _international(digits: str) -> tuple[str, str]:
    """(normalised, "") or ("", reason) for international digits without ``+``.

    Builds the ``PhoneNumber`` directly from the country code table instead of parsing text; a
    national part with a leading zero (Italy and a few others) takes the general parser, which
    knows how to keep that zero.
    """
    if not 7 <= len(digits) <= 15:
        return "", "too short" if len(digits) < 7 else "too long"
    if digits.startswith("0"):
        return "", "unknown country code"
    for size in (1, 2, 3):
        country_code = int(digits[:size])
        if country_code in COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return "", "unknown country code"
    national = digits[size:]
    if not national.startswith("0"):
        if national and is_valid_international(country_code, national):
            return digits, ""
        return "", _why_invalid(
            PhoneNumber(country_code=country_code, national_number=int(national or "0"))
        )
    try:
        number = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException as exc:
        return "", str(exc.args[0]).rstrip(".").lower()
    if phonenumbers.is_valid_number(number):
        return _digits(number), ""
    return "", _why_invalid(number)


def _national(digits: str, region: str) -> tuple[str, str]:
    try:
        number = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException as exc:
        return "", str(exc.args[0]).rstrip(".").lower()
    if phonenumbers.is_valid_number(number):
        return _digits(number), ""
    return "", f"{_why_invalid(number)} (read as a national number of {region})"


def _verdict(raw: str, region: str) -> tuple[str, str]:
    """(normalised, "") or ("", reason)."""
    if raw.isdigit() and raw.isascii() and raw[0] != "0":
        return _bare_digits(raw, region)  # already the gateway's form: skip the clean-up
    text = raw.strip()
    if not text:
        return "", "empty"
    cleaned = text
    for separator in _SEPARATORS:
        if separator in cleaned:
            cleaned = cleaned.replace(separator, "")
    if cleaned.startswith("+"):
        international, body = True, cleaned[1:]
    elif cleaned.startswith("00"):
        international, body = True, cleaned[2:]
    else:
        international, body = False, cleaned
    if not (body.isascii() and body.isdigit()):
        return "", "contains characters other than digits"
    if international:
        return _international(body)
    if body.startswith("0"):
        return _national(body, region)
    return _bare_digits(body, region)


def _bare_digits(body: str, region: str) -> tuple[str, str]:
    """The gateway's own form first, then a national number without its trunk zero."""
    number, reason = _international(body)
    if number:
        return number, ""
    number, national_reason = _national(body, region)
    if number:
        return number, ""
    return "", reason if len(body) > 10 else national_reason


def normalize(raw: str, region: str | None = None) -> str:
    """The number as international digits, or :class:`InvalidRecipientError` with the reason."""
    number, reason = _verdict(str(raw), (region or default_region()).upper())
    if not number:
        raise InvalidRecipientError(
            f"{raw!r} is not a phone number: {reason}.", code=INVALID_NUMBER
        )
    return number


def normalize_many(raws: Iterable[str], region: str | None = None) -> list[NormalizedNumber]:
    """One :class:`NormalizedNumber` per input, in order; never raises for a bad number.

    The first occurrence of a number is the one to send; later ones have ``duplicate_of`` set.
    """
    raws = [str(raw) for raw in raws]
    return [
        NormalizedNumber(raw, number, None if number else INVALID_NUMBER, reason, duplicate_of)
        for raw, (number, reason, duplicate_of) in zip(raws, check_many(raws, region), strict=True)
    ]


def check_many(raws: Iterable[str], region: str | None = None) -> list[tuple[str, str, int | None]]:
    """:func:`normalize_many` as plain tuples ``(number, reason, duplicate_of)``, ``number``
    ``""`` when invalid: for imports of a million lines, where building a frozen dataclass per
    line cost more than checking most numbers."""
    region = (region or default_region()).upper()
    first_index: dict[str, int] = {}
    results: list[tuple[str, str, int | None]] = []
    append = results.append
    for index, raw in enumerate(raws):
        raw = str(raw)
        first = first_index.get(raw)
        if first is not None:  # a repeat of a number already in the gateway's form
            append((raw, "", first))
            continue
        number, reason = _verdict(raw, region)
        if not number:
            append(("", reason, None))
            continue
        first = first_index.setdefault(number, index)
        append((number, "", None if first == index else first))
    return results

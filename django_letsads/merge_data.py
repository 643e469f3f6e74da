"""``send_sms(..., merge_data={number: {field: value}})``: one template, a text per recipient.

Like django-anymail's ``merge_data`` for e-mail, with SMS's constraint in mind: the gateway takes
one text per request, so recipients are grouped by their rendered text and each distinct text
is sent (in requests of up to 50 numbers) on its own.

:func:`check_merge_data` checks the argument when the message is made (``TypeError`` for a
wrong type, ``ValueError`` for a number that is not a recipient, naming the problem) and keys it
by normalised number; :func:`render_texts` renders every valid recipient's text before anything
is sent, refusing the whole message (:class:`~django_letsads.exceptions.InvalidTextError`) for a
text that is not a valid template or a field without value and default: a transactional text
with a hole in it must not go to anyone.

Stateless (no database): the backends use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from django_letsads import merge
from django_letsads.exceptions import InvalidRecipientError, InvalidTextError
from django_letsads.phones import normalize, normalize_many

#: Codes of :class:`InvalidTextError` raised here.
INVALID_TEMPLATE = "INVALID_TEMPLATE"
MISSING_FIELD = "MISSING_FIELD"

MergeData = dict[str, dict[str, str]]


def check_merge_data(merge_data: object, recipients: Iterable[str]) -> MergeData:
    """``merge_data`` keyed by normalised number, after checking its shape against ``recipients``.

    Raises ``TypeError`` unless it is a mapping of numbers (``str``) to mappings of field names
    (``str``) to values (``str``), and ``ValueError`` for a key that is not a phone number, is
    not among ``recipients`` (after normalisation), or is the same number as another key.
    """
    if not isinstance(merge_data, Mapping):
        raise TypeError(
            "merge_data must be a mapping of phone numbers to mappings of field names to "
            f"values, not {type(merge_data).__name__}."
        )
    valid = {item.number for item in normalize_many(recipients) if item.number}
    checked: MergeData = {}
    for key, fields in _checked_items(
        merge_data,
        Mapping,
        bad_key=lambda key: f"merge_data keys must be phone numbers as str, not {key!r}.",
        bad_value=lambda key, fields: (
            f"merge_data[{key!r}] must be a mapping of field names to values, "
            f"not {type(fields).__name__}."
        ),
    ):
        try:
            number = normalize(key)
        except InvalidRecipientError as exc:
            raise ValueError(f"merge_data has a key that is not a phone number: {exc}") from None
        if number not in valid:
            raise ValueError(
                f"merge_data has data for {key!r}, which is not one of the recipients."
            )
        if number in checked:
            raise ValueError(f"merge_data has two keys for the number {number}.")
        checked[number] = _fields(key, fields)
    return checked


def _fields(key: str, fields: Mapping[object, object]) -> dict[str, str]:
    return dict(
        _checked_items(
            fields,
            str,
            bad_key=lambda name: (
                f"merge_data[{key!r}] has a field name that is not a str: {name!r}."
            ),
            bad_value=lambda name, value: (
                f"merge_data[{key!r}][{name!r}] must be a str, not {type(value).__name__}."
            ),
        )
    )


def _checked_items(
    mapping: Mapping[object, object],
    value_type: type[Any],
    *,
    bad_key: Callable[[object], str],
    bad_value: Callable[[str, object], str],
) -> Iterator[tuple[str, Any]]:
    """The items of ``mapping``, in order, each checked before it is given: a ``TypeError``
    with ``bad_key``'s message for a key that is not a ``str``, ``bad_value``'s for a value
    that is not a ``value_type``."""
    for key, value in mapping.items():
        if not isinstance(key, str):
            raise TypeError(bad_key(key))
        if not isinstance(value, value_type):
            raise TypeError(bad_value(key, value))
        yield key, value


def render_texts(text: str, recipients: Iterable[str], merge_data: MergeData) -> dict[str, str]:
    """Each of ``recipients`` (normalised numbers) → its text; all or nothing.

    Raises :class:`InvalidTextError` with code ``INVALID_TEMPLATE`` for a text that is not a
    valid template and ``MISSING_FIELD`` for a recipient without a value for a placeholder that
    has no default (naming both), having rendered nothing for anyone.
    """
    try:
        template = merge.parse(text)
    except merge.TemplateError as exc:
        raise InvalidTextError(
            f"The text is not a valid template: {exc.message}", code=INVALID_TEMPLATE
        ) from None
    texts: dict[str, str] = {}
    for number in recipients:
        try:
            texts[number] = template.render(
                merge.template_values(merge_data.get(number), template.fields)
            )
        except merge.MissingValueError as exc:
            raise InvalidTextError(
                f"No value for {{{exc.field}}} for {number} and no default in the text; "
                "nothing was sent.",
                code=MISSING_FIELD,
            ) from None
    return texts

"""Campaign texts as templates: ``{field}``, ``{field|default}``, and ``{{`` / ``}}`` for braces.

Recipient data is untrusted, so the syntax is deliberately tiny and nothing in it is evaluated:
no attribute or index access, no format specs or conversions, no Django template tags. A value
is inserted as plain text and never parsed again (a value ``"{code}"`` stays ``"{code}"``).

:func:`parse` turns a text into a :class:`Template` once (cached per text); :meth:`Template.render`
fills it per recipient. A text without braces is its own rendering: :func:`has_placeholders`
says so without parsing, which keeps the worker's path for plain texts as it was.

Field names are letters (any script, so a CSV column such as ``ім'я`` without its apostrophe
works), digits and ``_``. A value that is missing or empty takes the placeholder's default;
without a default the rendering fails with :class:`MissingValueError`, which callers turn into
"left out" rather than sending a text with a hole in it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

_NAME = re.compile(r"\w+")


class TemplateError(ValueError):
    """The text is not a valid template; ``position`` (from 0) is where the problem starts.

    ``code`` says what is wrong, for callers that word it themselves (the admin translates it):
    ``UNCLOSED_BRACE``, ``UNOPENED_BRACE``, ``NO_FIELD_NAME``, ``FIELD_WITH_SPACE``,
    ``FIELD_WITH_DOT`` or ``BAD_FIELD_NAME``; ``placeholder`` is the offending ``{…}``, if any.
    """

    def __init__(self, message: str, position: int, code: str, placeholder: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.code = code
        self.placeholder = placeholder


class MissingValueError(LookupError):
    """A placeholder without a default has no value for this recipient."""

    def __init__(self, field: str) -> None:
        super().__init__(f"no value for {{{field}}} and no default")
        self.field = field


@dataclass(frozen=True, slots=True)
class Placeholder:
    """``{name}`` (``default`` is ``None``) or ``{name|default}``."""

    name: str
    default: str | None = None


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed text: literal strings and :class:`Placeholder` parts, in order."""

    parts: tuple[str | Placeholder, ...]

    @property
    def fields(self) -> tuple[str, ...]:
        """The field names used, each once, in order of first use."""
        return tuple(dict.fromkeys(p.name for p in self.parts if isinstance(p, Placeholder)))

    @property
    def has_placeholders(self) -> bool:
        return any(isinstance(p, Placeholder) for p in self.parts)

    def render(self, values: Mapping[str, str]) -> str:
        """The text for one recipient; raises :class:`MissingValueError` for a hole."""
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = values.get(part.name)
            if not value:
                if part.default is None:
                    raise MissingValueError(part.name)
                value = part.default
            out.append(value)
        return "".join(out)


def has_placeholders(text: str) -> bool:
    """False when ``text`` certainly renders to itself (no brace at all): no parsing needed."""
    return "{" in text or "}" in text


@lru_cache(maxsize=256)
def parse(text: str) -> Template:
    """Parse ``text``; raises :class:`TemplateError` (a ``ValueError``) saying what is wrong."""
    parts: list[str | Placeholder] = []
    literal: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "{" and text.startswith("{{", i):
            literal.append("{")
            i += 2
        elif ch == "}" and text.startswith("}}", i):
            literal.append("}")
            i += 2
        elif ch == "}":
            raise TemplateError(
                f"'}}' at position {i + 1} closes nothing; write '}}}}' for a brace.",
                i,
                "UNOPENED_BRACE",
            )
        elif ch == "{":
            end = text.find("}", i + 1)
            nested = text.find("{", i + 1)
            if end == -1 or (nested != -1 and nested < end):
                raise TemplateError(
                    f"'{{' at position {i + 1} is never closed; write '{{{{' for a brace.",
                    i,
                    "UNCLOSED_BRACE",
                )
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(_placeholder(text[i + 1 : end], i))
            i = end + 1
        else:
            literal.append(ch)
            i += 1
    if literal:
        parts.append("".join(literal))
    return Template(tuple(parts))


def _placeholder(body: str, position: int) -> Placeholder:
    name, bar, default = body.partition("|")
    shown = "{" + body + "}"
    if not name:
        raise TemplateError(
            f"{shown} at position {position + 1} has no field name.",
            position,
            "NO_FIELD_NAME",
            shown,
        )
    if _NAME.fullmatch(name) is None:
        if any(ch.isspace() for ch in name):
            code, why = "FIELD_WITH_SPACE", "contains a space"
        elif "." in name:
            code, why = "FIELD_WITH_DOT", "contains a dot (attribute access is not supported)"
        else:
            code, why = "BAD_FIELD_NAME", "may contain only letters, digits and '_'"
        raise TemplateError(
            f"The field name in {shown} at position {position + 1} {why}.", position, code, shown
        )
    return Placeholder(name, default if bar else None)


def render(text: str, values: Mapping[str, str]) -> str:
    """Parse (cached) and render ``text`` in one call."""
    return parse(text).render(values)


def template_values(data: object, fields: Iterable[str]) -> dict[str, str]:
    """The values of ``fields`` in ``data`` as text, for :meth:`merge.Template.render`.

    Strings are used as they are; ``None`` is no value; numbers and booleans (stored by code,
    not by an import) are written as JSON writes them (``5``, ``true``); anything else as its
    JSON text. ``data`` that is not a mapping is no data. Never raises.
    """
    if not isinstance(data, Mapping):
        return {}
    values: dict[str, str] = {}
    for name in fields:
        value = data.get(name)
        if value is None:
            continue
        values[name] = value if isinstance(value, str) else _as_text(value)
    return values


def _as_text(value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):  # circular or absurdly deep (code's data)
        return str(value)

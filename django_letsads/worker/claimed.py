"""A message a send round has claimed, as much of it as sending needs (no model instance)."""

from __future__ import annotations

from typing import NamedTuple


class Claimed(NamedTuple):
    """A claimed message, as much of it as sending needs (no model instance).

    A named tuple rather than a frozen dataclass: the worker makes one per message sent, and a
    frozen dataclass's ``__init__`` (one ``object.__setattr__`` per field) cost several times
    as much CPU as the tuple (``docs/benchmarks.rst``). Immutable all the same; a copy with
    another text is ``message._replace(text=...)``.
    """

    id: int
    recipient: str
    campaign_id: int | None
    sender: str
    text: str

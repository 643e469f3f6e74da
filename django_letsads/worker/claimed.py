"""A message a send round has claimed, as much of it as sending needs (no model instance)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Claimed:
    """A claimed message, as much of it as sending needs (no model instance)."""

    id: int
    recipient: str
    campaign_id: int | None
    sender: str
    text: str

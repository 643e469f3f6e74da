"""What the fake gateway keeps and reports: accounts, logged requests, stored messages, outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(slots=True)
class Account:
    """A gateway account; change its fields at run time (e.g. ``api_enabled = False``)."""

    login: str
    password: str = field(repr=False)
    balance: Decimal = Decimal("1000")
    senders: set[str] = field(default_factory=lambda: {"Test"})
    api_enabled: bool = True
    moderated: bool = True
    price: Decimal = Decimal("0.50")
    currency: str = "UAH"

    def as_dict(self) -> dict[str, Any]:
        """JSON-able view, without the password."""
        return {
            "login": self.login,
            "balance": str(self.balance),
            "senders": sorted(self.senders),
            "api_enabled": self.api_enabled,
            "moderated": self.moderated,
            "price": str(self.price),
            "currency": self.currency,
        }


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One request as the gateway received it. Holds no password, only whether auth passed.

    ``processed`` is True when the gateway acted on the request successfully (for a send: queued
    and billed the messages). ``name``/``code`` are the answer the gateway produced; ``fault`` is
    what happened to that answer on the way back, if anything.
    """

    seq: int
    time: float
    wall_time: float
    kind: str
    login: str | None
    auth_ok: bool
    sender: str | None
    text: str | None
    recipients: tuple[str, ...]
    sms_ids: tuple[int, ...]
    processed: bool
    name: str
    code: str
    fault: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": self.time,
            "wall_time": self.wall_time,
            "kind": self.kind,
            "login": self.login,
            "auth_ok": self.auth_ok,
            "sender": self.sender,
            "text": self.text,
            "recipients": list(self.recipients),
            "sms_ids": list(self.sms_ids),
            "processed": self.processed,
            "name": self.name,
            "code": self.code,
            "fault": self.fault,
        }


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A queued message as :meth:`Gateway.message` reports it, with its status right now."""

    sms_id: int
    recipient: str
    login: str
    sender: str
    text: str
    sent_at: float
    status: str


@dataclass(frozen=True, slots=True)
class Outcome:
    answer: bytes
    entry: LogEntry

"""The fake gateway itself: accounts, the gateway's checks, billing, the message store and the log.

No HTTP here: :meth:`Gateway.parse` reads a request body, :meth:`Gateway.execute` acts on it and
returns the answer's bytes and a log entry. The server decides about faults in between, because a
fault is chosen by request kind before the gateway acts.

Messages are stored in parallel arrays (about 20 bytes each) rather than an object per message,
so a million of them fit in a few tens of megabytes. A message's status is not stored: it follows
from its send time, the clock and a deterministic rule, and is computed when asked.
"""

from __future__ import annotations

import hmac
import re
import threading
import time
import xml.etree.ElementTree as ET  # builds answers only; requests are read with defusedxml
from array import array
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from django_letsads import protocol
from django_letsads.simulator.faults import UNKNOWN_ERROR as FAULT_UNKNOWN_ERROR
from django_letsads.simulator.faults import Fault
from django_letsads.text import analyze

IN_QUEUE = "MESSAGE_IN_QUEUE"
IS_SENT = "MESSAGE_IS_SENT"
IS_DELIVERED = "MESSAGE_IS_DELIVERED"
NOT_DELIVERED = "MESSAGE_NOT_DELIVERED"

SEND, STATUS, BALANCE, INVALID = "send", "status", "balance", "invalid"

_ALNUM_SENDER = re.compile(r"[A-Za-z0-9]{1,11}")
_DIGIT_SENDER = re.compile(r"[0-9]{1,15}")
_RECIPIENT = re.compile(r"[0-9]{10,15}")


def undelivered_by_share(share: float) -> Callable[[str], bool]:
    """A rule that fails a fixed share of numbers, chosen by their last two digits.

    With ``share=0.1`` the numbers ending in ``00`` to ``09`` are not delivered, so a test can pick
    its recipients to get the outcome it wants.
    """
    cutoff = round(share * 100)

    def undelivered(recipient: str) -> bool:
        return int(recipient[-2:]) < cutoff

    return undelivered


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


@dataclass(slots=True)
class ParsedRequest:
    """What the gateway read from a body. ``error`` is set when it cannot even tell the kind."""

    kind: str
    error: str | None = None
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str | None = None
    text: str | None = None
    recipients: tuple[str, ...] = ()
    sms_id: str | None = None


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


def _answer(name: str, description: str, children: tuple[tuple[str, str], ...] = ()) -> bytes:
    root = ET.Element("response")
    ET.SubElement(root, "name").text = name
    ET.SubElement(root, "description").text = description
    for tag, text in children:
        ET.SubElement(root, tag).text = text
    return protocol.serialize(root)


def error_answer(code: str) -> bytes:
    return _answer(protocol.NAME_ERROR, code)


class Gateway:
    """All state of the fake gateway, safe to use from many threads."""

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        first_id: int = 1_633_217,
        max_recipients: int = 50,
        max_length_gsm7: int = 459,
        max_length_ucs2: int = 402,
        sent_after: float = 10.0,
        final_after: float = 120.0,
        undelivered: Callable[[str], bool] | None = None,
        log_limit: int = 100_000,
    ) -> None:
        self._now = clock
        self.lock = threading.RLock()
        self.accounts: dict[str, Account] = {}
        #: Numbers the gateway refuses with ``INCORRECT_RECIPIENT_<n>`` although they look valid.
        self.bad_recipients: set[str] = set()
        self.first_id = first_id
        self.max_recipients = max_recipients
        self.max_length_gsm7 = max_length_gsm7
        self.max_length_ucs2 = max_length_ucs2
        self.sent_after = sent_after
        self.final_after = final_after
        self.undelivered = undelivered or undelivered_by_share(0.1)
        # The message store: index i holds message first_id + i.
        self._recipient = array("q")
        self._recipient_len = array("B")
        self._sent_at = array("d")
        self._batch = array("I")
        self._batches: list[tuple[str, str, str]] = []  # (login, sender, text) per send request
        self._forced: dict[int, str] = {}
        self._log: deque[LogEntry] = deque(maxlen=log_limit)
        self._seq = 0
        self._counts: Counter[str] = Counter()

    # -- accounts -----------------------------------------------------------------------------

    def add_account(self, account: Account) -> Account:
        with self.lock:
            self.accounts[account.login] = account
        return account

    def account(self, login: str) -> Account:
        return self.accounts[login]

    # -- reading a request --------------------------------------------------------------------

    @staticmethod
    def parse(body: bytes) -> ParsedRequest:
        """Read a body the way the gateway does; hostile or malformed XML is WRONG_DATA_FORMAT."""
        if not body or not body.strip():
            return ParsedRequest(INVALID, error="NO_DATA")
        try:
            root = SafeET.fromstring(body, forbid_dtd=True)
        except (DefusedXmlException, ET.ParseError, ValueError):
            return ParsedRequest(INVALID, error="WRONG_DATA_FORMAT")
        if root.tag != "request":
            return ParsedRequest(INVALID, error="REQUEST_FORMAT")
        login = root.findtext("auth/login")
        password = root.findtext("auth/password")
        login = login.strip() if login is not None else None
        message = root.find("message")
        if message is not None:
            recipients = tuple((el.text or "").strip() for el in message.findall("recipient"))
            sender = message.findtext("from")
            return ParsedRequest(
                SEND,
                login=login,
                password=password,
                sender=sender.strip() if sender is not None else None,
                text=message.findtext("text"),
                recipients=recipients,
            )
        sms_id = root.findtext("sms_id")
        if sms_id is not None:
            return ParsedRequest(STATUS, login=login, password=password, sms_id=sms_id.strip())
        if root.find("balance") is not None:
            return ParsedRequest(BALANCE, login=login, password=password)
        return ParsedRequest(INVALID, error="REQUEST_FORMAT", login=login, password=password)

    # -- acting on it -------------------------------------------------------------------------

    def execute(self, request: ParsedRequest, fault: Fault | None = None) -> Outcome:
        """Act on ``request`` unless ``fault`` says the gateway never saw it; log it either way."""
        with self.lock:
            account = self._authenticate(request)
            ids: tuple[int, ...] = ()
            if fault is not None and not fault.processed:
                name, code = "", ""
                if fault.kind == FAULT_UNKNOWN_ERROR:
                    name, code = protocol.NAME_ERROR, "UNKNOWN_ERROR"
                answer = error_answer("UNKNOWN_ERROR")
            elif request.error:
                name, code, answer = protocol.NAME_ERROR, request.error, error_answer(request.error)
            elif account is None:
                name, code, answer = protocol.NAME_ERROR, "AUTH_DATA", error_answer("AUTH_DATA")
            elif not account.api_enabled:
                name, code = protocol.NAME_ERROR, "API_DISABLED"
                answer = error_answer(code)
            elif request.kind == SEND:
                name, code, answer, ids = self._send(account, request)
            elif request.kind == STATUS:
                name, code, answer = self._status(account, request)
            else:
                name, code = protocol.NAME_BALANCE, f"{account.balance:.2f}"
                answer = _answer(name, code, (("currency", account.currency),))
            processed = name in (
                protocol.NAME_COMPLETE,
                protocol.NAME_STATUS,
                protocol.NAME_BALANCE,
            )
            if fault is not None and fault.kind == FAULT_UNKNOWN_ERROR and name:
                name, code, answer = (
                    protocol.NAME_ERROR,
                    "UNKNOWN_ERROR",
                    error_answer("UNKNOWN_ERROR"),
                )
            entry = self._record(request, account is not None, ids, processed, name, code, fault)
        return Outcome(answer, entry)

    def _authenticate(self, request: ParsedRequest) -> Account | None:
        account = self.accounts.get(request.login or "")
        if account is None or request.password is None:
            return None
        if not hmac.compare_digest(account.password.encode(), request.password.encode()):
            return None
        return account

    def _send(
        self, account: Account, request: ParsedRequest
    ) -> tuple[str, str, bytes, tuple[int, ...]]:
        code = self._send_error(account, request)
        if code:
            return protocol.NAME_ERROR, code, error_answer(code), ()
        count = len(request.recipients)
        ids = self._store(
            account.login, request.sender or "", request.text or "", request.recipients
        )
        noun = "message" if count == 1 else "messages"
        description = f"{count} {noun} put into queue"
        answer = _answer(
            protocol.NAME_COMPLETE, description, tuple(("sms_id", str(i)) for i in ids)
        )
        return protocol.NAME_COMPLETE, description, answer, ids

    def _send_error(self, account: Account, request: ParsedRequest) -> str:
        """The gateway's checks of a send request, in order; '' when it may go (and is billed)."""
        if not account.moderated:
            return "USER_NOT_MODERATED"
        sender = request.sender or ""
        if not (_ALNUM_SENDER.fullmatch(sender) or _DIGIT_SENDER.fullmatch(sender)):
            return "INCORRECT_FROM"
        if sender not in account.senders:
            return "INVALID_FROM"
        text = request.text or ""
        if not text.strip():
            return "NO_MESSAGE"
        info = analyze(text, max_gsm7=self.max_length_gsm7, max_ucs2=self.max_length_ucs2)
        if info.over_limit:
            return "MESSAGE_TOO_LONG"
        if not request.recipients:
            return "REQUEST_FORMAT"
        if len(request.recipients) > self.max_recipients:
            return "MAX_MESSAGES_COUNT"
        for recipient in request.recipients:
            if not _RECIPIENT.fullmatch(recipient) or recipient in self.bad_recipients:
                return f"INCORRECT_RECIPIENT_{recipient}"
        cost = account.price * info.segments * len(request.recipients)
        if cost > account.balance:
            return "NOT_ENOUGH_MONEY"
        account.balance -= cost
        return ""

    def _store(
        self, login: str, sender: str, text: str, recipients: tuple[str, ...]
    ) -> tuple[int, ...]:
        start = self.first_id + len(self._recipient)
        batch = len(self._batches)
        self._batches.append((login, sender, text))
        now = self._now()
        for recipient in recipients:
            self._recipient.append(int(recipient))
            self._recipient_len.append(len(recipient))
            self._sent_at.append(now)
            self._batch.append(batch)
        return tuple(range(start, start + len(recipients)))

    def _status(self, account: Account, request: ParsedRequest) -> tuple[str, str, bytes]:
        index = self._index(request.sms_id or "")
        if index is None or self._batches[self._batch[index]][0] != account.login:
            return protocol.NAME_ERROR, "MESSAGE_NOT_EXIST", error_answer("MESSAGE_NOT_EXIST")
        code = self._status_of(index)
        # The provider's page shows the name with a leading space; answer exactly that.
        return protocol.NAME_STATUS, code, _answer(f" {protocol.NAME_STATUS}", code)

    def _index(self, sms_id: str | int) -> int | None:
        try:
            index = int(sms_id) - self.first_id
        except ValueError:
            return None
        return index if 0 <= index < len(self._recipient) else None

    def _recipient_at(self, index: int) -> str:
        return str(self._recipient[index]).zfill(self._recipient_len[index])

    def _status_of(self, index: int) -> str:
        forced = self._forced.get(index)
        if forced is not None:
            return forced
        age = self._now() - self._sent_at[index]
        if age < self.sent_after:
            return IN_QUEUE
        if age < self.final_after:
            return IS_SENT
        return NOT_DELIVERED if self.undelivered(self._recipient_at(index)) else IS_DELIVERED

    def _record(
        self,
        request: ParsedRequest,
        auth_ok: bool,
        ids: tuple[int, ...],
        processed: bool,
        name: str,
        code: str,
        fault: Fault | None,
    ) -> LogEntry:
        self._seq += 1
        entry = LogEntry(
            seq=self._seq,
            time=self._now(),
            wall_time=time.time(),
            kind=request.kind,
            login=request.login,
            auth_ok=auth_ok,
            sender=request.sender,
            text=request.text,
            recipients=request.recipients,
            sms_ids=ids,
            processed=processed,
            name=name,
            code=code,
            fault=fault.kind if fault else None,
        )
        self._log.append(entry)
        self._counts[f"kind:{request.kind}"] += 1
        self._counts[f"code:{code if name == protocol.NAME_ERROR else name}"] += 1
        if fault:
            self._counts[f"fault:{fault.kind}"] += 1
        return entry

    # -- reading the state --------------------------------------------------------------------

    def log(self, since: int = 0) -> list[LogEntry]:
        """Logged requests with ``seq`` > ``since`` (the oldest drop out past ``log_limit``)."""
        with self.lock:
            return [entry for entry in self._log if entry.seq > since]

    @property
    def message_count(self) -> int:
        return len(self._recipient)

    def message(self, sms_id: int | str) -> StoredMessage | None:
        with self.lock:
            index = self._index(sms_id)
            if index is None:
                return None
            login, sender, text = self._batches[self._batch[index]]
            return StoredMessage(
                sms_id=self.first_id + index,
                recipient=self._recipient_at(index),
                login=login,
                sender=sender,
                text=text,
                sent_at=self._sent_at[index],
                status=self._status_of(index),
            )

    def force_status(self, sms_id: int | str, status: str) -> None:
        """Pin one message's status, whatever the clock and the rule say."""
        if status not in (IN_QUEUE, IS_SENT, IS_DELIVERED, NOT_DELIVERED):
            raise ValueError(f"unknown status {status!r}")
        with self.lock:
            index = self._index(sms_id)
            if index is None:
                raise KeyError(sms_id)
            self._forced[index] = status

    def iter_recipients(self) -> Iterator[str]:
        with self.lock:
            count = len(self._recipient)
        for index in range(count):
            yield self._recipient_at(index)

    def count_recipient(self, recipient: str) -> int:
        """How many stored messages went to ``recipient``."""
        if not recipient.isdigit():
            return 0
        value, length = int(recipient), len(recipient)
        with self.lock:
            if not self._recipient.count(value):  # a scan in C; the loop below runs rarely
                return 0
            lengths = self._recipient_len
            return sum(
                1
                for index, stored in enumerate(self._recipient)
                if stored == value and lengths[index] == length
            )

    def stats(self) -> dict[str, Any]:
        with self.lock:
            counts = dict(self._counts)
            return {
                "requests": self._seq,
                "messages": len(self._recipient),
                "send_requests_processed": len(self._batches),
                "by_kind": {k[5:]: v for k, v in counts.items() if k.startswith("kind:")},
                "by_answer": {k[5:]: v for k, v in counts.items() if k.startswith("code:")},
                "faults": {k[6:]: v for k, v in counts.items() if k.startswith("fault:")},
                "accounts": {login: a.as_dict() for login, a in self.accounts.items()},
                "clock": self._now(),
            }

"""The fake gateway itself: accounts, the gateway's checks, billing, the message store and the log.

No HTTP here: :meth:`Gateway.parse` reads a request body, :meth:`Gateway.execute` acts on it and
returns the answer's bytes and a log entry (the XML both ways is :mod:`.wire`, the records kept
and reported :mod:`.records`). The server decides about faults in between, because a fault is
chosen by request kind before the gateway acts.

Messages are stored in parallel arrays (:mod:`.store`, about 20 bytes each) rather than an
object per message, so a million of them fit in a few tens of megabytes. A message's status is
not stored: it follows from its send time, the clock and a deterministic rule, and is computed
when asked. The checks of a request and the billing of a send are :mod:`.send_checks`.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from typing import Any

from django_letsads import protocol
from django_letsads.simulator.faults import UNKNOWN_ERROR as FAULT_UNKNOWN_ERROR
from django_letsads.simulator.faults import Fault
from django_letsads.simulator.records import Account, LogEntry, Outcome, StoredMessage
from django_letsads.simulator.send_checks import authenticate, send_error
from django_letsads.simulator.store import MessageStore
from django_letsads.simulator.wire import (
    BALANCE,
    INVALID,
    SEND,
    STATUS,
    ParsedRequest,
    build_answer,
    error_answer,
    parse_request,
)

__all__ = [
    "BALANCE",
    "INVALID",
    "IN_QUEUE",
    "IS_DELIVERED",
    "IS_SENT",
    "NOT_DELIVERED",
    "SEND",
    "STATUS",
    "Account",
    "Gateway",
    "LogEntry",
    "Outcome",
    "ParsedRequest",
    "StoredMessage",
    "error_answer",
    "undelivered_by_share",
]

IN_QUEUE = "MESSAGE_IN_QUEUE"
IS_SENT = "MESSAGE_IS_SENT"
IS_DELIVERED = "MESSAGE_IS_DELIVERED"
NOT_DELIVERED = "MESSAGE_NOT_DELIVERED"


def undelivered_by_share(share: float) -> Callable[[str], bool]:
    """A rule that fails a fixed share of numbers, chosen by their last two digits.

    With ``share=0.1`` the numbers ending in ``00`` to ``09`` are not delivered, so a test can pick
    its recipients to get the outcome it wants.
    """
    cutoff = round(share * 100)

    def undelivered(recipient: str) -> bool:
        return int(recipient[-2:]) < cutoff

    return undelivered


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
        self._messages = MessageStore(first_id)
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

    #: Read a body the way the gateway does (:func:`~django_letsads.simulator.wire.parse_request`).
    parse = staticmethod(parse_request)

    # -- acting on it -------------------------------------------------------------------------

    def execute(self, request: ParsedRequest, fault: Fault | None = None) -> Outcome:
        """Act on ``request`` unless ``fault`` says the gateway never saw it; log it either way."""
        with self.lock:
            account = authenticate(self.accounts, request)
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
                answer = build_answer(name, code, (("currency", account.currency),))
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

    def _send(
        self, account: Account, request: ParsedRequest
    ) -> tuple[str, str, bytes, tuple[int, ...]]:
        code = send_error(
            account,
            request,
            max_recipients=self.max_recipients,
            max_length_gsm7=self.max_length_gsm7,
            max_length_ucs2=self.max_length_ucs2,
            bad_recipients=self.bad_recipients,
        )
        if code:
            return protocol.NAME_ERROR, code, error_answer(code), ()
        count = len(request.recipients)
        ids = self._messages.append(
            account.login,
            request.sender or "",
            request.text or "",
            request.recipients,
            self._now(),
        )
        noun = "message" if count == 1 else "messages"
        description = f"{count} {noun} put into queue"
        answer = build_answer(
            protocol.NAME_COMPLETE, description, tuple(("sms_id", str(i)) for i in ids)
        )
        return protocol.NAME_COMPLETE, description, answer, ids

    def _status(self, account: Account, request: ParsedRequest) -> tuple[str, str, bytes]:
        index = self._messages.index(request.sms_id or "")
        if index is None or self._messages.batch_at(index)[0] != account.login:
            return protocol.NAME_ERROR, "MESSAGE_NOT_EXIST", error_answer("MESSAGE_NOT_EXIST")
        code = self._status_of(index)
        # The provider's page shows the name with a leading space; answer exactly that.
        return protocol.NAME_STATUS, code, build_answer(f" {protocol.NAME_STATUS}", code)

    def _status_of(self, index: int) -> str:
        forced = self._forced.get(index)
        if forced is not None:
            return forced
        age = self._now() - self._messages.sent_at(index)
        if age < self.sent_after:
            return IN_QUEUE
        if age < self.final_after:
            return IS_SENT
        return (
            NOT_DELIVERED if self.undelivered(self._messages.recipient_at(index)) else IS_DELIVERED
        )

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
        return len(self._messages)

    def message(self, sms_id: int | str) -> StoredMessage | None:
        with self.lock:
            index = self._messages.index(sms_id)
            if index is None:
                return None
            login, sender, text = self._messages.batch_at(index)
            return StoredMessage(
                sms_id=self.first_id + index,
                recipient=self._messages.recipient_at(index),
                login=login,
                sender=sender,
                text=text,
                sent_at=self._messages.sent_at(index),
                status=self._status_of(index),
            )

    def force_status(self, sms_id: int | str, status: str) -> None:
        """Pin one message's status, whatever the clock and the rule say."""
        if status not in (IN_QUEUE, IS_SENT, IS_DELIVERED, NOT_DELIVERED):
            raise ValueError(f"unknown status {status!r}")
        with self.lock:
            index = self._messages.index(sms_id)
            if index is None:
                raise KeyError(sms_id)
            self._forced[index] = status

    def iter_recipients(self) -> Iterator[str]:
        with self.lock:
            count = len(self._messages)
        for index in range(count):
            yield self._messages.recipient_at(index)

    def count_recipient(self, recipient: str) -> int:
        """How many stored messages went to ``recipient``."""
        with self.lock:
            return self._messages.count_recipient(recipient)

    def stats(self) -> dict[str, Any]:
        with self.lock:
            counts = dict(self._counts)
            return {
                "requests": self._seq,
                "messages": len(self._messages),
                "send_requests_processed": self._messages.batch_count,
                "by_kind": {k[5:]: v for k, v in counts.items() if k.startswith("kind:")},
                "by_answer": {k[5:]: v for k, v in counts.items() if k.startswith("code:")},
                "faults": {k[6:]: v for k, v in counts.items() if k.startswith("fault:")},
                "accounts": {login: a.as_dict() for login, a in self.accounts.items()},
                "clock": self._now(),
            }

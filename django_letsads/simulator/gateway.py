"""The fake gateway itself: accounts, the gateway's checks, billing, the message store and the log.

No HTTP here: :meth:`Gateway.parse` reads a request body, :meth:`Gateway.execute` acts on it and
returns the answer's bytes and a log entry (the XML both ways is :mod:`.wire`, the records kept
and reported :mod:`.records`, the log and counters :mod:`.request_log`). The server decides
about faults in between, because a fault is chosen by request kind before the gateway acts.

Messages are stored in parallel arrays (:mod:`.store`, about 20 bytes each) rather than an
object per message, so a million of them fit in a few tens of megabytes. A message's status is
not stored: it follows from its send time, the clock and a deterministic rule
(:mod:`.statuses`), and is computed when asked. The checks of a request and the billing of a send are :mod:`.send_checks`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from django_letsads import protocol
from django_letsads.simulator.faults import UNKNOWN_ERROR as FAULT_UNKNOWN_ERROR
from django_letsads.simulator.faults import Fault
from django_letsads.simulator.records import Account, LogEntry, Outcome, StoredMessage
from django_letsads.simulator.request_log import RequestLog
from django_letsads.simulator.send_checks import authenticate, send_error
from django_letsads.simulator.statuses import (
    IN_QUEUE,
    IS_DELIVERED,
    IS_SENT,
    NOT_DELIVERED,
    STATUSES,
    status_after,
    undelivered_by_share,
)
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
        self._log = RequestLog(clock, log_limit)

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
            entry = self._log.record(
                request, account is not None, ids, processed, name, code, fault
            )
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
        return status_after(
            self._now() - self._messages.sent_at(index),
            self._messages.recipient_at(index),
            sent_after=self.sent_after,
            final_after=self.final_after,
            undelivered=self.undelivered,
        )

    # -- reading the state --------------------------------------------------------------------

    def log(self, since: int = 0) -> list[LogEntry]:
        """Logged requests with ``seq`` > ``since`` (the oldest drop out past ``log_limit``)."""
        with self.lock:
            return self._log.since(since)

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
        if status not in STATUSES:
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
            return {
                "requests": self._log.seq,
                "messages": len(self._messages),
                "send_requests_processed": self._messages.batch_count,
                **self._log.counts(),
                "accounts": {login: a.as_dict() for login, a in self.accounts.items()},
                "clock": self._now(),
            }

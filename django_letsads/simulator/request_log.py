"""The fake gateway's memory of the requests it got: a bounded log and counters.

Tests and the control API read them (``/_sim/log``, ``/_sim/stats``); each entry says what was
asked, whether it was processed (billed, stored) and what was answered, and which fault, if any,
the server applied.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable

from django_letsads import protocol
from django_letsads.simulator.faults import Fault
from django_letsads.simulator.records import LogEntry
from django_letsads.simulator.wire import ParsedRequest


class RequestLog:
    """The last ``limit`` requests and counts of all of them. Not locked: the gateway calls it
    under its own lock."""

    def __init__(self, clock: Callable[[], float], limit: int) -> None:
        self._now = clock
        self._entries: deque[LogEntry] = deque(maxlen=limit)
        #: Requests logged so far (the last entry's ``seq``).
        self.seq = 0
        self._counts: Counter[str] = Counter()

    def record(
        self,
        request: ParsedRequest,
        auth_ok: bool,
        ids: tuple[int, ...],
        processed: bool,
        name: str,
        code: str,
        fault: Fault | None,
    ) -> LogEntry:
        """Log one request and what was answered; the entry is returned."""
        self.seq += 1
        entry = LogEntry(
            seq=self.seq,
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
        self._entries.append(entry)
        self._counts[f"kind:{request.kind}"] += 1
        self._counts[f"code:{code if name == protocol.NAME_ERROR else name}"] += 1
        if fault:
            self._counts[f"fault:{fault.kind}"] += 1
        return entry

    def since(self, seq: int) -> list[LogEntry]:
        """Logged requests with ``seq`` > ``seq`` (the oldest drop out past the limit)."""
        return [entry for entry in self._entries if entry.seq > seq]

    def counts(self) -> dict[str, dict[str, int]]:
        """Requests by kind, by answer (the error code or the answer's name) and by fault."""
        counts = dict(self._counts)
        return {
            "by_kind": {k[5:]: v for k, v in counts.items() if k.startswith("kind:")},
            "by_answer": {k[5:]: v for k, v in counts.items() if k.startswith("code:")},
            "faults": {k[6:]: v for k, v in counts.items() if k.startswith("fault:")},
        }

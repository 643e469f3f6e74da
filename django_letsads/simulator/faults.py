"""Which requests go wrong, and how.

Faults are chosen per request, before the gateway processes it, from two sources: a queue of
"the next N requests" (checked first, so a test can script one exact failure) and a share of all
requests drawn from a seeded RNG (so a benchmark's failures are reproducible). Either can be
limited to one request kind (``send``, ``status``, ``balance``).

Kinds and what the client sees:

``http_502``       an HTML error page with status 502, as a proxy in front of the gateway sends.
                   By default the gateway *did* process the request (the ambiguous real case);
                   ``processed=False`` models a proxy that failed before passing it on.
``timeout``        processed, then the answer is held back ``timeout_seconds``.
``drop``           processed, then the connection is closed without an answer.
``truncated``      processed, then only the first half of the answer is sent.
``unknown_error``  the gateway answers ``UNKNOWN_ERROR``; not processed unless ``processed=True``.

A gateway that is down altogether (connection refused) is ``Simulator.down()``, not a fault: a
request that reached the server cannot be refused any more.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

HTTP_502 = "http_502"
TIMEOUT = "timeout"
DROP = "drop"
TRUNCATED = "truncated"
UNKNOWN_ERROR = "unknown_error"

FAULT_KINDS = (HTTP_502, TIMEOUT, DROP, TRUNCATED, UNKNOWN_ERROR)
REQUEST_KINDS = ("send", "status", "balance")

#: Whether the gateway acts on a request that meets each fault, unless told otherwise.
DEFAULT_PROCESSED = {
    HTTP_502: True,
    TIMEOUT: True,
    DROP: True,
    TRUNCATED: True,
    UNKNOWN_ERROR: False,
}


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault to inject: ``processed`` says whether the gateway acts (and bills) first."""

    kind: str
    processed: bool


def _check_kind(kind: str) -> str:
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; choose from {', '.join(FAULT_KINDS)}")
    return kind


def _check_only(only: str | None) -> str | None:
    if only is not None and only not in REQUEST_KINDS:
        raise ValueError(f"unknown request kind {only!r}; choose from {', '.join(REQUEST_KINDS)}")
    return only


class FaultPlan:
    """Thread-safe source of faults and latency for the server."""

    def __init__(self, *, seed: int = 0, timeout_seconds: float = 30.0) -> None:
        self._lock = threading.Lock()
        self._queue: deque[tuple[Fault, str | None]] = deque()
        self._rng = random.Random(seed)
        self.rate = 0.0
        self.kinds: tuple[str, ...] = ()
        self.only: str | None = None
        self.processed: bool | None = None
        #: How long a ``timeout`` fault holds the answer back, in real seconds.
        self.timeout_seconds = timeout_seconds
        #: Real seconds every request waits before it is answered, and the share it applies to.
        self.latency = 0.0
        self.latency_share = 1.0

    def inject(
        self,
        kind: str,
        count: int = 1,
        *,
        only: str | None = None,
        processed: bool | None = None,
    ) -> None:
        """Make the next ``count`` requests (of kind ``only``, if given) meet fault ``kind``."""
        fault = Fault(
            _check_kind(kind), DEFAULT_PROCESSED[kind] if processed is None else processed
        )
        _check_only(only)
        with self._lock:
            self._queue.extend([(fault, only)] * count)

    def set_rate(
        self,
        rate: float,
        kinds: Iterable[str] = FAULT_KINDS,
        *,
        only: str | None = None,
        processed: bool | None = None,
        seed: int | None = None,
    ) -> None:
        """Give a share ``rate`` (0 to 1) of requests one of ``kinds``, drawn from a seeded RNG."""
        if not 0 <= rate <= 1:
            raise ValueError("rate must be between 0 and 1")
        checked = tuple(_check_kind(kind) for kind in kinds)
        if rate and not checked:
            raise ValueError("a fault rate needs at least one fault kind")
        with self._lock:
            self.rate, self.kinds, self.only = rate, checked, _check_only(only)
            self.processed = processed
            if seed is not None:
                self._rng.seed(seed)

    def set_latency(self, seconds: float, share: float = 1.0) -> None:
        if seconds < 0 or not 0 <= share <= 1:
            raise ValueError("latency must be >= 0 and share between 0 and 1")
        with self._lock:
            self.latency, self.latency_share = seconds, share

    def clear(self) -> None:
        """No more faults and no latency (the RNG keeps its state)."""
        with self._lock:
            self._queue.clear()
            self.rate, self.kinds, self.only, self.processed = 0.0, (), None, None
            self.latency, self.latency_share = 0.0, 1.0

    @property
    def pending(self) -> int:
        """How many scripted faults are still waiting for a request."""
        return len(self._queue)

    def pick(self, request_kind: str) -> tuple[Fault | None, float]:
        """The fault (or None) and the latency in seconds for one request of ``request_kind``."""
        with self._lock:
            fault = self._take_scripted(request_kind)
            wanted = fault is None and self.rate and self.only in (None, request_kind)
            if wanted and self._rng.random() < self.rate:
                kind = self._rng.choice(self.kinds)
                processed = DEFAULT_PROCESSED[kind] if self.processed is None else self.processed
                fault = Fault(kind, processed)
            latency = 0.0
            if self.latency and (
                self.latency_share >= 1 or self._rng.random() < self.latency_share
            ):
                latency = self.latency
            return fault, latency

    def _take_scripted(self, request_kind: str) -> Fault | None:
        for index, (fault, only) in enumerate(self._queue):
            if only in (None, request_kind):
                del self._queue[index]
                return fault
        return None

    def as_dict(self) -> dict[str, object]:
        with self._lock:
            return {
                "rate": self.rate,
                "kinds": list(self.kinds),
                "only": self.only,
                "processed": self.processed,
                "pending": len(self._queue),
                "timeout_seconds": self.timeout_seconds,
                "latency": self.latency,
                "latency_share": self.latency_share,
            }

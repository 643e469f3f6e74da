"""The HTTP edges of the client: one deadline per call, and an answer read with a size cap.

``requests`` bounds each socket operation, not a call: a server that drips one byte a second
keeps a call with a 3 s timeout busy for as long as it likes, and ``Response.content`` reads an
answer of any size (or a gzip bomb) into memory. Here:

* :func:`deadline` starts a call's clock. A single watchdog thread shuts down the socket of every
  call still running at its deadline, whichever phase it is in (sending, waiting for the headers,
  reading the body), so the blocked read returns at once and the call ends as a timeout. Sockets
  are known only to the adapter of :func:`new_session`; through a session of the caller's, the
  body is still read against the deadline between reads, and each read is bounded by the socket
  timeout.
* :func:`read_body` reads the answer in pieces, decompresses ``gzip``/``deflate`` itself, and
  stops as soon as the answer, compressed or not, exceeds the cap.

No Django here: the client must work without it.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import requests
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

#: A LetsAds answer for 50 recipients is under 4 KB; anything over this is not one.
MAX_ANSWER_BYTES = 1024 * 1024
_CHUNK = 16 * 1024


class Call:
    """One call's deadline and, while it talks, the connection it talks on."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        #: An ``http.client``/urllib3 connection: what is shut down is its ``sock``.
        self.connection: Any = None
        self.expired = False
        #: The call ended: its place in the watchdog's heap is dropped when next it looks.
        self.finished = False

    def remaining(self) -> float:
        """Seconds left; a tiny positive floor, because a socket timeout of 0 means non-blocking."""
        return max(self.deadline - time.monotonic(), 0.001)

    def check(self) -> None:
        if self.expired or time.monotonic() >= self.deadline:
            self.expired = True
            raise DeadlineExceeded

    def expire(self) -> None:
        self.expired = True
        connection = self.connection
        sock = getattr(connection, "sock", None) if connection is not None else None
        if sock is not None:
            # shutdown, not close: the blocked recv on the caller's thread returns at once,
            # and the caller's thread still owns (and closes) the socket.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class DeadlineExceeded(Exception):
    """The call's deadline passed (raised by :meth:`Call.check`)."""


class AnswerTooLarge(Exception):
    """The answer, compressed or decompressed, is larger than the cap."""


class BadEncoding(Exception):
    """The answer's ``Content-Encoding`` is unknown or its compressed data is broken."""


_current = threading.local()


class _Watchdog:
    """One daemon thread for all calls: wakes at the earliest deadline and expires what is due."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._heap: list[tuple[float, int, Call]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, call: Call) -> None:
        with self._lock:
            heapq.heappush(self._heap, (call.deadline, next(self._order), call))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="letsads-deadline", daemon=True
                )
                self._thread.start()
            elif self._heap[0][2] is call:
                self._lock.notify()

    def forget(self, call: Call) -> None:
        # Finished calls leave the heap lazily, all those at its top at once, so the thread
        # wakes about once per timeout rather than once per call; from now on the connection
        # (back in the pool, perhaps serving another call) is no longer theirs to shut down.
        with self._lock:
            call.connection = None
            call.finished = True

    def _run(self) -> None:
        with self._lock:
            while True:
                heap = self._heap
                while heap and heap[0][2].finished:
                    heapq.heappop(heap)
                if not self._heap:
                    self._lock.wait(timeout=60)
                    if not self._heap:
                        self._thread = None
                        return
                    continue
                due, _, call = self._heap[0]
                delay = due - time.monotonic()
                if delay > 0:
                    self._lock.wait(timeout=delay)
                    continue
                heapq.heappop(self._heap)
                if call.connection is not None:
                    call.expire()


_watchdog = _Watchdog()


@contextmanager
def deadline(timeout: float) -> Iterator[Call]:
    """Run one call under ``timeout`` seconds in all (see the module doc)."""
    call = Call(timeout)
    _current.call = call
    _watchdog.watch(call)
    try:
        yield call
    finally:
        _current.call = None
        _watchdog.forget(call)


def attach(call: Call, connection: Any) -> None:
    """From now until the call ends, ``connection`` is what its deadline shuts down."""
    call.connection = connection
    if call.expired:
        call.expire()


def _register(connection: HTTPConnection) -> None:
    call = getattr(_current, "call", None)
    if call is not None:
        attach(call, connection)


class _HTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self)
        super().request(*args, **kwargs)


class _HTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self)
        super().request(*args, **kwargs)


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS: dict[str, type[HTTPConnectionPool]] = {"http": _HTTPPool, "https": _HTTPSPool}


class DeadlineAdapter(requests.adapters.HTTPAdapter):
    """An adapter whose connections let :func:`deadline` find their socket."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _POOLS
        return manager


def never_left(exc: requests.ConnectionError) -> bool:
    """True when a requests connection error proves the request was never written.

    requests wraps both "could not connect" and "connection dropped after sending" in
    ``ConnectionError``; only the former is safe to retry, so look at urllib3's reason.
    """
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # MaxRetryError wraps the real cause
    return isinstance(
        reason,
        urllib3.exceptions.NewConnectionError
        | urllib3.exceptions.NameResolutionError
        | urllib3.exceptions.ConnectTimeoutError,
    )


def new_session() -> requests.Session:
    session = requests.Session()
    # Our own retry policy only; urllib3 must never resend a request on its own.
    adapter = DeadlineAdapter(pool_connections=4, pool_maxsize=64, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _decompressor(encoding: str) -> Any:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip", "deflate"):
        # 32 + 15: a zlib or gzip header, detected; what urllib3 itself accepts for both.
        return zlib.decompressobj(32 + zlib.MAX_WBITS)
    raise BadEncoding(f"unsupported Content-Encoding {encoding!r}")


class Body(Protocol):
    """An answer whose body is still to read: ``read1`` gives ``b""`` only at its complete end."""

    @property
    def headers(self) -> Any: ...

    def read1(self, size: int) -> bytes: ...


def read_body(raw: Body, call: Call, cap: int = MAX_ANSWER_BYTES) -> bytes:
    """The whole answer of ``raw``, decompressed; at most ``cap`` bytes before and after.

    Raises :class:`AnswerTooLarge`, :class:`BadEncoding`, :class:`DeadlineExceeded`, or what the
    connection raises (``urllib3``/``http.client`` errors, ``OSError``) when it breaks.
    """
    decompressor = _decompressor(raw.headers.get("Content-Encoding", ""))
    pieces: list[bytes] = []
    received = produced = 0
    while True:
        call.check()
        data = raw.read1(_CHUNK)
        call.check()
        if not data:
            break
        received += len(data)
        if received > cap:
            raise AnswerTooLarge
        if decompressor is not None:
            try:
                data = decompressor.decompress(data, cap - produced + 1)
            except zlib.error as exc:
                raise BadEncoding(str(exc)) from None
            if decompressor.unconsumed_tail:
                raise AnswerTooLarge
        produced += len(data)
        if produced > cap:
            raise AnswerTooLarge
        pieces.append(data)
    if decompressor is not None:
        try:
            tail = decompressor.flush()
        except zlib.error as exc:  # pragma: no cover - flush after eof does not fail
            raise BadEncoding(str(exc)) from None
        if not decompressor.eof:
            raise BadEncoding("the compressed answer is cut off")
        if produced + len(tail) > cap:
            raise AnswerTooLarge
        pieces.append(tail)
    return b"".join(pieces)

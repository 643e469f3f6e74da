"""Writing a round's results beside its claims, where the database lets two connections write.

The coordinator thread of a worker does two kinds of database work: claiming the next messages
and writing the answers of the last ones. They touch different rows, and on PostgreSQL each costs
tens of microseconds a row in the server, so doing them one after the other on one connection
made the database, not the gateway, the bound of a campaign (``docs/benchmarks.rst``). A
:class:`BackgroundWriter` runs the writes on a thread of its own, with its own connection, while
the coordinator goes on claiming and sending.

:func:`result_writer` picks it only where that is safe and useful: on a database server (not
SQLite, whose writers take turns on one file lock anyway) and when the worker is not running
inside a caller's transaction (a test's, say), whose rows a second connection could not see.
Otherwise an :class:`InlineWriter` runs each write at once in the caller's thread: the same
calls, one connection.

The recipient import uses the same two classes for its inserts (there the background thread
shares the caller's connection, so a caller's transaction still covers the import).

One write runs at a time, in the order they were handed over: :meth:`~BackgroundWriter.submit`
waits for the previous one. The send coordinator gathers answers and hands them over as one write
once the writer is free (``busy``) and a pool's worth waits, or the oldest has waited a moment
(``sending._Round._write_due``), so each transaction covers hundreds of messages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, Protocol, TypeVar

from django.db import connections, router

from django_letsads.models import Message

logger = logging.getLogger(__name__)

R = TypeVar("R")


class Writer(Protocol[R]):
    @property
    def busy(self) -> bool: ...

    def submit(self, func: Callable[[], R]) -> None: ...

    def collect(self, *, wait: bool = False) -> list[R]: ...

    def close(self, *, raise_errors: bool = True) -> None: ...


def can_write_concurrently() -> bool:
    """True when a second connection may write while the caller claims (see the module doc)."""
    connection = connections[router.db_for_write(Message)]
    return connection.vendor != "sqlite" and not connection.in_atomic_block


def result_writer(name: str) -> Writer[R]:
    if can_write_concurrently():
        return BackgroundWriter(name)
    return InlineWriter()


class InlineWriter(Generic[R]):
    """Runs each write when it is submitted; its error is raised by :meth:`submit`."""

    busy = False

    def __init__(self) -> None:
        self._done: list[R] = []

    def submit(self, func: Callable[[], R]) -> None:
        self._done.append(func())

    def collect(self, *, wait: bool = False) -> list[R]:
        done, self._done = self._done, []
        return done

    def close(self, *, raise_errors: bool = True) -> None:
        return None


class BackgroundWriter(Generic[R]):
    """Runs writes one at a time on a thread of its own. A write that asks ``connections`` for a
    connection there gets that thread's own, which :meth:`close` closes.

    A write's error is raised by the next :meth:`collect` (or :meth:`close`), once.
    """

    def __init__(self, name: str) -> None:
        self._pool: ThreadPoolExecutor | None = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=name
        )
        self._current: Future[R] | None = None
        self._done: list[R] = []

    @property
    def busy(self) -> bool:
        return self._current is not None and not self._current.done()

    def submit(self, func: Callable[[], R]) -> None:
        """Start ``func`` on the writer thread, after the previous write has finished."""
        if self._pool is None:
            raise RuntimeError("This writer is closed")
        self._harvest(wait=True)
        self._current = self._pool.submit(func)

    def collect(self, *, wait: bool = False) -> list[R]:
        """Results of the writes finished since the last call (``wait``: of all submitted)."""
        self._harvest(wait=wait)
        done, self._done = self._done, []
        return done

    def _harvest(self, *, wait: bool) -> None:
        current = self._current
        if current is None or not (wait or current.done()):
            return
        self._current = None
        self._done.append(current.result())  # waits; raises the write's error

    def close(self, *, raise_errors: bool = True) -> None:
        """Wait for the write in progress and close the writer thread's connection."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        try:
            if self._current is not None:
                error = self._current.exception()
                if error is not None and not raise_errors:
                    logger.error("Writing results failed", exc_info=error)
                    self._current = None
            # Django opens a connection per thread and closes only those it opened for a
            # request: close the writer thread's own, on that thread.
            pool.submit(connections.close_all).result()
        finally:
            pool.shutdown(wait=True)
        if raise_errors:
            self._harvest(wait=True)

"""Keeping a worker running: rounds, sleeps, back-off, clean exit on SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Protocol

from django.db import DatabaseError, close_old_connections

from django_letsads.worker.report import RoundReport

logger = logging.getLogger(__name__)

#: Longest wait between rounds after repeated trouble (gateway down, account refused, DB gone).
MAX_BACKOFF = 300.0


class Worker(Protocol):
    stop_event: threading.Event

    def run_once(self) -> RoundReport: ...


def run_loop(
    worker: Worker,
    *,
    interval: float = 5.0,
    max_rounds: int | None = None,
    on_round: Callable[[RoundReport], None] | None = None,
) -> int:
    """Run rounds until stopped; returns the number of rounds.

    SIGTERM and SIGINT set the worker's stop event: the round in progress finishes the requests
    already in flight, writes their results, releases what it had not sent, and the loop ends.
    Trouble (gateway unreachable, account refused, database errors) doubles the wait up to
    ``MAX_BACKOFF``; a quiet round waits ``interval``.
    """
    stop = worker.stop_event
    restore = _install_signal_handlers(stop)
    rounds = 0
    backoff = interval
    try:
        while not stop.is_set() and (max_rounds is None or rounds < max_rounds):
            close_old_connections()
            rounds += 1
            try:
                report = worker.run_once()
            except DatabaseError:
                logger.exception("Database error in a worker round; retrying after %.0fs", backoff)
                close_old_connections()
                stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            if on_round is not None:
                on_round(report)
            if report.stop_error is not None or report.backoff:
                logger.warning("Worker backing off %.0fs: %s", backoff, report.summary())
                stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
            else:
                backoff = interval
                if report.idle:
                    stop.wait(interval)
    finally:
        restore()
    return rounds


def _install_signal_handlers(stop: threading.Event) -> Callable[[], None]:
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: FrameType | None) -> None:
        logger.info("Signal %s: finishing the requests in flight, then stopping", signum)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore

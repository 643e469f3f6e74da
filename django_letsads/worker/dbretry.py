"""Riding out a database restart without losing what the gateway told us.

Once the gateway has answered, its ids exist only in this process until they are written. If the
database goes away at that moment, the write is tried again on a fresh connection for a while
before giving up (then the claims stay ``sending`` and the lease later makes them ``unknown`` —
never a resend).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import InterfaceError, OperationalError, close_old_connections, connections

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

#: Seconds to wait before each new try; about two minutes in all.
DELAYS = (0.5, 1, 2, 4, 8, 15, 30, 60)


def retry_on_db_error(func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    for delay in (*DELAYS, None):
        try:
            return func(*args, **kwargs)
        except (OperationalError, InterfaceError) as exc:
            if delay is None or _in_atomic_block():
                raise
            logger.warning("Database error (%s); retrying in %ss", exc, delay)
            _reset_connections()
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def _in_atomic_block() -> bool:
    """Inside a caller's transaction a retry cannot help: the transaction is already broken."""
    return any(conn.in_atomic_block for conn in connections.all(initialized_only=True))


def _reset_connections() -> None:
    for conn in connections.all(initialized_only=True):
        try:
            conn.close()
        except Exception:
            logger.debug("Closing a broken connection failed", exc_info=True)
    close_old_connections()

"""CPU time of processes from ``/proc``: ours, and the database server backends that served us.

Wall times move with the load of a shared machine; CPU time per message barely does. A child
process measures its own CPU with ``time.process_time()`` (every thread). Its PostgreSQL
backends are other processes: :class:`BackendCpu` learns the pid of every connection the child
opens (Django's ``connection_created`` signal, psycopg's ``info.backend_pid``) and reads
``/proc/<pid>/stat`` when the connection opens, when it closes and when the work ends. That
works because the server runs on this machine, as in every run of this suite; otherwise the
figures are left out. SQLite runs inside the process, so its cost is in the process's own.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def parse_stat(line: str, ticks: int = _TICKS) -> float:
    """User + system CPU seconds from one ``/proc/<pid>/stat`` line.

    The second field (the command) is in parentheses and may hold spaces and parentheses
    itself, so the fields are counted from the last ``)``: utime and stime are the 14th and
    15th fields of the line.
    """
    rest = line[line.rindex(")") + 2 :].split()
    # rest[0] is field 3 (the state): field n is rest[n - 3].
    return (int(rest[11]) + int(rest[12])) / ticks


def process_cpu(pid: int) -> float | None:
    """CPU seconds of process ``pid`` so far, or ``None`` when it is gone (or not ours to see)."""
    try:
        return parse_stat(Path(f"/proc/{pid}/stat").read_text())
    except (OSError, ValueError, IndexError):
        return None


def per_item_us(seconds: float, items: int) -> float:
    """Microseconds of CPU per item (``0`` items: ``0``, rather than a division error)."""
    return seconds * 1e6 / items if items else 0.0


class BackendCpu:
    """The CPU that PostgreSQL backends spent on this process's connections, summed.

    ``read`` returns the seconds each backend spent between its first sighting and its last;
    a backend whose connection is closed is read right before it closes (``on_close``).
    """

    def __init__(self, reader: Callable[[int], float | None] = process_cpu) -> None:
        self._read = reader
        self._lock = threading.Lock()
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}

    def seen(self, pid: int) -> None:
        value = self._read(pid)
        if value is None:
            return
        with self._lock:
            self._first.setdefault(pid, value)
            self._last[pid] = value

    def read(self) -> float:
        """Seconds spent so far; live backends are read again now."""
        with self._lock:
            pids = list(self._first)
        for pid in pids:
            value = self._read(pid)
            if value is not None:
                with self._lock:
                    self._last[pid] = max(self._last[pid], value)
        with self._lock:
            return sum(self._last[pid] - self._first[pid] for pid in self._first)

    @property
    def backends(self) -> int:
        return len(self._first)

    def install(self) -> None:
        """Watch every PostgreSQL connection Django opens or closes in this process."""
        from django.db.backends.postgresql.base import DatabaseWrapper
        from django.db.backends.signals import connection_created

        def created(sender: Any, connection: Any, **kwargs: Any) -> None:
            pid = _backend_pid(connection)
            if pid is not None:
                self.seen(pid)

        connection_created.connect(created, weak=False)
        wrapper_class: Any = DatabaseWrapper
        original_close = wrapper_class._close
        tracker = self

        def _close(wrapper: Any) -> None:
            pid = _backend_pid(wrapper)
            if pid is not None:
                tracker.seen(pid)
            original_close(wrapper)

        wrapper_class._close = _close


def _backend_pid(wrapper: Any) -> int | None:
    if wrapper.vendor != "postgresql" or wrapper.connection is None:
        return None
    try:
        return int(wrapper.connection.info.backend_pid)
    except (AttributeError, TypeError, ValueError):
        return None

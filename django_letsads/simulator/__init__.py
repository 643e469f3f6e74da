"""A LetsAds gateway simulator: real HTTP on 127.0.0.1, for tests, demos and benchmarks.

``Simulator`` is the handle (context manager, ``start()``/``stop()``); the management command
``letsads_simulator`` and ``python -m django_letsads.simulator`` run one from a shell.
"""

from __future__ import annotations

from django_letsads.simulator.core import Simulator
from django_letsads.simulator.faults import FAULT_KINDS, Fault, FaultPlan
from django_letsads.simulator.gateway import (
    IN_QUEUE,
    IS_DELIVERED,
    IS_SENT,
    NOT_DELIVERED,
    Account,
    LogEntry,
    StoredMessage,
)

__all__ = [
    "FAULT_KINDS",
    "IN_QUEUE",
    "IS_DELIVERED",
    "IS_SENT",
    "NOT_DELIVERED",
    "Account",
    "Fault",
    "FaultPlan",
    "LogEntry",
    "Simulator",
    "StoredMessage",
]

"""Bounded number types for command-line options (the commands and the simulator's CLI).

``type=int`` accepts ``--interval -1`` (a loop that never sleeps), ``--limit`` with twenty digits
(the database refuses the query) and ``--port 99999`` (a raw ``OverflowError`` from the socket):
each is an argument error with the option's range instead. No Django here: the simulator's command
line runs without it.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def integer(low: int, high: int) -> Callable[[str], int]:
    """An ``argparse`` type: a whole number from ``low`` to ``high``."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"{value} is not between {low} and {high}")
        return number

    return parse


def number(low: float, high: float) -> Callable[[str], float]:
    """An ``argparse`` type: a finite number from ``low`` to ``high``."""

    def parse(value: str) -> float:
        try:
            result = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
        if not math.isfinite(result) or not low <= result <= high:
            raise argparse.ArgumentTypeError(f"{value} is not between {low:g} and {high:g}")
        return result

    return parse


#: What the worker commands accept.
LIMIT = integer(1, 10**9)
CONCURRENCY = integer(1, 256)
INTERVAL = number(0.1, 86400)
OBJECT_ID = integer(1, 2**63 - 1)
PORT = integer(0, 65535)

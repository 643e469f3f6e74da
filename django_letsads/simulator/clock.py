"""The simulator's clock: real time scaled by a speed factor, plus jumps tests make.

Message statuses advance on this clock, so a test can say ``sim.clock.advance(600)`` instead of
sleeping ten minutes, and a demo can run at ``speed=60`` (a minute passes every second).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Clock:
    """Seconds since the simulator started, as the gateway sees them.

    ``now()`` = jumps made with :meth:`advance` + real seconds elapsed * ``speed``. Changing the
    speed keeps ``now()`` continuous. ``speed=0`` freezes time so that only ``advance`` moves it.
    """

    def __init__(self, speed: float = 1.0, *, monotonic: Callable[[], float] = time.monotonic):
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._speed = float(speed)
        self._base_real = monotonic()
        self._base_sim = 0.0

    def now(self) -> float:
        with self._lock:
            return self._base_sim + (self._monotonic() - self._base_real) * self._speed

    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        if value < 0:
            raise ValueError("speed must be >= 0")
        with self._lock:
            real = self._monotonic()
            self._base_sim += (real - self._base_real) * self._speed
            self._base_real = real
            self._speed = float(value)

    def advance(self, seconds: float) -> float:
        """Jump ``seconds`` ahead (never back); returns the new ``now()``."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._base_sim += seconds
        return self.now()

    def __repr__(self) -> str:
        return f"<Clock now={self.now():.3f} speed={self._speed:g}>"

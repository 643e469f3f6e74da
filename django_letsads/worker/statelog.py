"""What a looping worker says: its state changes and a periodic line, not every round.

A loop with ``--interval 5`` runs about 17,000 rounds a day; printing each idle one filled logs
with "nothing to do". At verbosity 1 a round with work prints its summary, a round with trouble
(gateway unreachable, account refused) prints its summary, the first idle round after work says
so once, and a long idle spell prints one line every ``every`` seconds. Verbosity 0 prints nothing
(warnings still go to the ``django_letsads`` loggers); verbosity 2 prints every round.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django_letsads.worker.report import RoundReport

#: Seconds between "still idle" lines at verbosity 1.
IDLE_LINE_EVERY = 3600.0


class StateLog:
    """Turns round reports into the lines worth printing."""

    def __init__(
        self,
        verbosity: int = 1,
        *,
        every: float = IDLE_LINE_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.verbosity = verbosity
        self.every = every
        self.clock = clock
        self.state = ""
        self.idle_since = 0.0
        self.idle_rounds = 0
        self.last_line = 0.0

    def lines(self, report: RoundReport) -> list[str]:
        """The lines to print after ``report``'s round (often none)."""
        now = self.clock()
        trouble = report.stop_error is not None or report.backoff
        state = "trouble" if trouble else "idle" if report.idle else "busy"
        previous, self.state = self.state, state
        if state != "idle":
            self.idle_rounds = 0
            return self._say(report.summary(), now) if self.verbosity >= 1 else []
        self.idle_rounds += 1
        if previous != "idle":
            self.idle_since = now
            if self.verbosity >= 1:
                return self._say("idle: nothing to do, waiting for work", now)
            return []
        if self.verbosity >= 2:
            return self._say(report.summary(), now)
        if self.verbosity >= 1 and now - self.last_line >= self.every:
            minutes = (now - self.idle_since) / 60
            return self._say(
                f"still idle: {self.idle_rounds} round(s) in {minutes:.0f} min, nothing to do", now
            )
        return []

    def _say(self, line: str, now: float) -> list[str]:
        self.last_line = now
        return [line]

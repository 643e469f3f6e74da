"""What one worker round did, for logs, the command's output and tests."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django_letsads.exceptions import LetsAdsError


@dataclass
class RoundReport:
    """Counts by outcome, plus why the round stopped early (if it did).

    ``stop_error`` is an account-level error (auth, money, sender …): the run must stop.
    ``backoff`` is True when the gateway was unreachable and the worker should wait before the
    next round.
    """

    counts: Counter[str] = field(default_factory=Counter)
    stop_error: LetsAdsError | None = None
    backoff: bool = False
    interrupted: bool = False

    def add(self, **counts: int) -> None:
        for key, value in counts.items():
            if value:
                self.counts[key] += value

    @property
    def idle(self) -> bool:
        """Nothing was there to do."""
        return not self.counts.get("claimed") and not self.counts.get("polled")

    def as_dict(self) -> dict[str, int]:
        return dict(sorted(self.counts.items()))

    def summary(self) -> str:
        parts = [f"{key}={value}" for key, value in self.as_dict().items()] or ["nothing to do"]
        if self.stop_error is not None:
            parts.append(f"stopped: {self.stop_error.code}")
        if self.backoff:
            parts.append("gateway unreachable: backing off")
        if self.interrupted:
            parts.append("interrupted")
        return " ".join(parts)

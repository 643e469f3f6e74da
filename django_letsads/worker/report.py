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
    next round. With several accounts (``worker.per_account``): ``account_errors`` holds each
    account's error, ``held`` the accounts skipped this round after an earlier error, and
    ``left_behind`` the aliases not in ``settings.LETSADS`` whose work was left alone.
    """

    counts: Counter[str] = field(default_factory=Counter)
    stop_error: LetsAdsError | None = None
    backoff: bool = False
    interrupted: bool = False
    account_errors: dict[str, LetsAdsError] = field(default_factory=dict)
    held: list[str] = field(default_factory=list)
    left_behind: dict[str, str] = field(default_factory=dict)

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
        if len(self.account_errors) > 1 or (
            self.account_errors and self.stop_error not in self.account_errors.values()
        ):
            parts += [f"account {a}: {e.code}" for a, e in sorted(self.account_errors.items())]
        if self.held:
            parts.append(f"accounts held: {', '.join(self.held)}")
        if self.left_behind:
            left = ", ".join(f"{a} ({w})" for a, w in sorted(self.left_behind.items()))
            parts.append(f"left for accounts not configured: {left}")
        if self.interrupted:
            parts.append("interrupted")
        return " ".join(parts)

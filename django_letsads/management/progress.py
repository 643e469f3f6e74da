"""The progress bar of ``letsads_send`` and ``letsads_poll`` on a terminal (tqdm).

Shown only when the output is a terminal and verbosity is at least 1; nothing of it reaches a
pipe or a log file. tqdm sizes the bar to the terminal's width at every refresh, so it never
wraps, and shows the total, percentage, rate and time left. Each round with work gets its own
bar, closed before the round's summary line is written, so the two never share a line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Never, TextIO

from tqdm import tqdm

from django_letsads.models import Message
from django_letsads.worker import RoundReport

Kind = Literal["send", "poll"]

#: Report counters that mean "this message is dealt with for this round".
_DONE: dict[Kind, tuple[str, ...]] = {
    "send": ("queued", "failed", "unknown", "released", "stale", "crashed"),
    "poll": ("polled", "poll_errors", "not_found"),
}
_WAITING: dict[Kind, Callable[[], int]] = {
    "send": lambda: Message.objects.sendable().count(),
    "poll": lambda: Message.objects.due_for_poll().count(),
}
_LABELS: dict[Kind, str] = {"send": "Sending", "poll": "Polling"}


class RoundProgress:
    """A worker's ``on_progress`` callback that draws one bar per round."""

    def __init__(self, kind: Kind, stream: TextIO, *, limit: int | None = None) -> None:
        self.kind = kind
        self.stream = stream
        self.limit = limit
        self.bar: tqdm[Never] | None = None

    def done(self, report: RoundReport) -> int:
        return sum(report.counts.get(key, 0) for key in _DONE[self.kind])

    def __call__(self, report: RoundReport) -> None:
        done = self.done(report)
        bar = self.bar
        if bar is None:
            # The round's size is known only as it goes (claims are taken batch by batch):
            # what it did so far, what it holds, and what still waits.
            held = report.counts.get("claimed", 0) if self.kind == "send" else done
            total = held + _WAITING[self.kind]()
            if self.limit is not None:
                total = min(total, self.limit)
            bar = self.bar = tqdm(
                total=max(total, done),
                desc=_LABELS[self.kind],
                unit="msg",
                file=self.stream,
                dynamic_ncols=True,
                mininterval=0.2,
                leave=True,
            )
        if done > (bar.total or 0):
            bar.total = done
        bar.update(done - bar.n)

    def finish(self) -> None:
        """Close the round's bar (it stays on screen, complete), before the summary line."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None

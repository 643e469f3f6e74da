"""Shared pieces of the reliability suite: sizes, the figures it reports, and what it checks.

Sizes are scaled by ``LETSADS_RELIABILITY_SCALE`` (default 0.1, which keeps CI within its time
budget; 1 runs the sizes of the issue: 10,000 recipients per fault run, 20,000 under SIGKILL).
Figures (requests, faults, kills, duplicates, lost) are collected per test, printed in the
terminal summary and written to ``test-artifacts/reliability-<database>.json``.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

from django_letsads.simulator import Simulator
from django_letsads.status import FINAL_STATUSES, Status

ROOT = Path(__file__).resolve().parents[2]
SCALE = float(os.environ.get("LETSADS_RELIABILITY_SCALE", "0.1"))


def scaled(full: int, minimum: int = 100) -> int:
    """``full`` (the size the issue asks for) times the scale, but at least ``minimum``."""
    return max(minimum, int(full * SCALE))


@dataclass
class Figures:
    """What one scenario did and found."""

    scenario: str
    database: str = ""
    recipients: int = 0
    requests: int = 0
    faults: int = 0
    kills: int = 0
    duplicates: int = 0
    lost: int = 0
    unknown: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


_FIGURES: list[Figures] = []


def record(figures: Figures) -> Figures:
    from django.db import connection

    figures.database = connection.vendor
    _FIGURES.append(figures)
    return figures


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.reliability)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _FIGURES:
        return
    tr = terminalreporter
    tr.section(f"letsads reliability figures (scale {SCALE})")
    tr.write_line(
        f"{'scenario':<44} {'db':<10} {'recipients':>10} {'requests':>9} {'faults':>7} "
        f"{'kills':>5} {'dupl.':>5} {'lost':>5} {'unknown':>7}"
    )
    for f in _FIGURES:
        tr.write_line(
            f"{f.scenario:<44} {f.database:<10} {f.recipients:>10} {f.requests:>9} "
            f"{f.faults:>7} {f.kills:>5} {f.duplicates:>5} {f.lost:>5} {f.unknown:>7}"
        )
    out = ROOT / "test-artifacts"
    out.mkdir(exist_ok=True)
    databases = sorted({f.database for f in _FIGURES})
    path = out / f"reliability-{'-'.join(databases)}.json"
    path.write_text(
        json.dumps(
            {"scale": SCALE, "figures": [asdict(f) for f in _FIGURES]}, indent=2, default=str
        )
    )
    tr.write_line(f"written to {path.relative_to(ROOT)}")


# -- what the simulator's log proves -------------------------------------------------------------


def billed(sim: Simulator) -> Counter[str]:
    """Recipient → how many times the gateway queued (and billed) a message to it."""
    return Counter(sim.sent_recipients())


def duplicates(counts: Counter[str]) -> int:
    return sum(n - 1 for n in counts.values() if n > 1)


def ambiguous_recipients(sim: Simulator) -> set[str]:
    """Recipients of send requests whose answer never reached the client intact."""
    out: set[str] = set()
    for entry in sim.log():
        if entry.kind == "send" and entry.fault is not None:
            out.update(entry.recipients)
    return out


def faults_injected(sim: Simulator) -> int:
    return sum(1 for entry in sim.log() if entry.fault is not None)


ACCEPTED = {Status.QUEUED, Status.SENT, Status.DELIVERED, Status.UNDELIVERED, Status.EXPIRED}


def lost_messages(rows: Iterable[tuple[str, str]], counts: Counter[str]) -> list[tuple[str, str]]:
    """Messages whose state lies about what the gateway did.

    ``rows`` are (recipient, status). Accepted states need exactly one billed message; ``failed``,
    ``pending`` and ``cancelled`` need none; ``unknown`` may be either (that is what it says).
    """
    lost = []
    for recipient, status in rows:
        n = counts.get(recipient, 0)
        if (status in ACCEPTED and n != 1) or (
            status in (Status.FAILED, Status.PENDING, Status.CANCELLED) and n != 0
        ):
            lost.append((recipient, status))
    return lost


def is_settled(status: str) -> bool:
    return status in FINAL_STATUSES or status == Status.UNKNOWN

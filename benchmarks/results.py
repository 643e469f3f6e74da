"""What a benchmark case reports: figures, the goals they are judged by, the printed table.

A :class:`Result` travels from a child process to the parent as one JSON line
(``as_json`` / :func:`result_from_json`); :func:`table` prints every case's figures, goals marked
with their target and verdict, and :func:`machine` says what they were measured on.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Goal:
    """A goal of the issue: ``value`` compared with ``target`` by ``op`` (``>=``, ``<=``, ``==``)."""

    name: str
    value: float
    op: str
    target: float

    @property
    def met(self) -> bool:
        if self.op == ">=":
            return self.value >= self.target
        if self.op == "<=":
            return self.value <= self.target
        return self.value == self.target


@dataclass
class Result:
    """The outcome of one case on one database: plain figures and the goals they are judged by."""

    case: str
    db: str
    quick: bool
    figures: dict[str, float | int | str] = field(default_factory=dict)
    goals: list[Goal] = field(default_factory=list)
    note: str = ""

    def goal(self, name: str, value: float, op: str, target: float) -> None:
        self.goals.append(Goal(name, value, op, target))

    def as_json(self) -> str:
        return json.dumps(
            {
                "case": self.case,
                "db": self.db,
                "quick": self.quick,
                "figures": self.figures,
                "goals": {
                    g.name: {"value": g.value, "op": g.op, "target": g.target, "met": g.met}
                    for g in self.goals
                },
                "note": self.note,
            },
            sort_keys=True,
        )


def result_from_json(text: str) -> Result:
    """A :class:`Result` back from its ``as_json()`` (a child process's line)."""
    data = json.loads(text)
    result = Result(data["case"], data["db"], data["quick"], data["figures"], note=data["note"])
    for name, goal in data["goals"].items():
        result.goals.append(Goal(name, goal["value"], goal["op"], goal["target"]))
    return result


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(results: Sequence[Result], *, judge: bool = True) -> str:
    """A plain-text table: one row per figure, goals marked with their target and verdict.

    Without ``judge`` (quick runs: a tenth of the sizes, on a busy CI machine) the figures
    stand alone: the timing goals are set for the full sizes and mean nothing there.
    """
    rows: list[tuple[str, ...]] = [("case", "db", "figure", "value", "goal", "")]
    for result in results:
        goals = {g.name: g for g in result.goals} if judge else {}
        for name, value in result.figures.items():
            goal = goals.pop(name, None)
            verdict = "" if goal is None else ("met" if goal.met else "NOT MET")
            target = "" if goal is None else f"{goal.op} {_fmt(goal.target)}"
            rows.append((result.case, result.db, name, _fmt(value), target, verdict))
        for goal in goals.values():
            verdict = "met" if goal.met else "NOT MET"
            target = f"{goal.op} {_fmt(goal.target)}"
            rows.append((result.case, result.db, goal.name, _fmt(goal.value), target, verdict))
        if result.note:
            rows.append((result.case, result.db, "note", result.note, "", ""))
    if not judge:
        rows = [row[:4] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{mem_kb / 1024 / 1024:.0f} GiB"
    except OSError:
        memory = "?"
    import django

    return {
        "cpu": cpu or platform.processor(),
        "cores": str(os.cpu_count()),
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
    }

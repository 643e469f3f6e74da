"""The benchmarks' table: quick runs print figures only; full runs judge them by their goals."""

from __future__ import annotations

from benchmarks.results import Result, table


def slow_result(quick: bool) -> Result:
    result = Result("send", "sqlite", quick, figures={"seconds": 12.5, "messages": 1000})
    result.goal("seconds", 12.5, "<=", 5)
    return result


def test_a_quick_run_prints_figures_without_verdicts():
    printed = table([slow_result(quick=True)], judge=False)

    assert "NOT MET" not in printed
    assert "<= 5" not in printed
    assert "12.500" in printed
    assert "1,000" in printed


def test_a_full_run_judges_its_figures():
    printed = table([slow_result(quick=False)])

    assert "NOT MET" in printed
    assert "<= 5" in printed

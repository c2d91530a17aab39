"""bench/sampling.py: the grid it reads, the totals it prints and the setting it picks."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import sampling  # noqa: E402


def _row(repeat: float, frequency: float, *, good: bool, reasks: int = 0) -> sampling.Row:
    return sampling.Row(
        idea="i",
        held_out=False,
        repeat=repeat,
        frequency=frequency,
        solution_parses=good,
        repeats_removed=0,
        reasks=reasks,
        tests_parse_3=good,
        importable=False,
        tokens=100,
        lines=10,
        seconds=1.0,
    )


def test_grid() -> None:
    assert sampling.parse_grid("1.0:0, 1.2:0.3,1.1") == [(1.0, 0.0), (1.2, 0.3), (1.1, 0.0)]


def test_totals_and_the_best_setting() -> None:
    rows = [
        _row(1.1, 0.0, good=False),
        _row(1.1, 0.0, good=True),
        _row(1.2, 0.0, good=True, reasks=1),
        _row(1.2, 0.0, good=True),
        _row(1.3, 0.3, good=True),
        _row(1.3, 0.3, good=True),
    ]
    summed = sampling.totals(rows)
    assert summed[(1.1, 0.0)]["steps"] == 2
    assert summed[(1.1, 0.0)]["solution_parses"] == 1
    assert summed[(1.2, 0.0)]["reasks"] == 1
    assert sampling.best(summed) == (1.3, 0.3)  # as many successes, fewer re-asks
    table = sampling.markdown(summed)
    assert "| 1.1 | 0 | 1/2 | 1/2 | 0/2 | 0 | 0 | 200 | 10 | 2 |" in table


def test_a_tie_keeps_the_old_default() -> None:
    rows = [_row(1.0, 0.0, good=True), _row(*sampling.OLD_DEFAULT, good=True)]
    assert sampling.best(sampling.totals(rows)) == sampling.OLD_DEFAULT


def test_solution_only_rows_show_no_test_figures() -> None:
    row = _row(1.0, 0.0, good=True)
    row.tests_parse_3 = row.importable = None
    summed = sampling.totals([row])
    assert summed[(1.0, 0.0)]["tested"] == 0
    assert "| 1 | 0 | 1/1 | — | — |" in sampling.markdown(summed)

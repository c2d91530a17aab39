"""Backlogs: every bad file is refused with its line number and nothing is queued."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coauthor.cli import main
from coauthor.pipeline.batch import COLUMNS, BacklogError, parse_backlog, read_backlog

GOOD_CSV = (
    "idea,domain,difficulty,steps,lessons\n"
    "Pick a sample size for an A/B test,e-commerce,junior,2,power analysis;effect size\n"
    '"Forecast demand, weekly",retail,middle,3,\n'
)


def test_a_valid_csv_gives_one_brief_per_row_with_its_line() -> None:
    backlog = parse_backlog(GOOD_CSV.encode(), kind="csv")
    assert [item.line for item in backlog.items] == [2, 3]
    first, second = (item.brief for item in backlog.items)
    assert first.steps == 2 and [lesson.title for lesson in first.lessons] == [
        "power analysis",
        "effect size",
    ]
    assert second.idea == "Forecast demand, weekly" and second.domain == "retail"
    assert second.lessons == []


def test_jsonl_rows_and_their_problems_carry_line_numbers() -> None:
    rows = [
        {"idea": "Churn model", "steps": 2, "lessons": ["a", "b"]},
        {"idea": "", "steps": 1},
        {"idea": "x", "color": "red"},
        {"idea": "y", "steps": "abc"},
    ]
    raw = "\n".join(json.dumps(r) for r in rows) + "\nnot json\n"
    with pytest.raises(BacklogError) as caught:
        parse_backlog(raw.encode(), kind="jsonl")
    assert [p.line for p in caught.value.problems] == [2, 3, 4, 5]
    assert "idea is empty" in str(caught.value) and "color" in str(caught.value)
    assert "nothing was queued" in str(caught.value)
    kept = parse_backlog(raw.encode(), kind="jsonl", skip_invalid=True)
    assert [item.line for item in kept.items] == [1]
    assert len(kept.problems) == 4


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"title,steps\nx,2\n", "header must name an 'idea' column"),
        (b"idea,idea\nx,y\n", "header must name"),
        (b"idea,steps\nx,2,3\n", "line 2: 3 cells"),
        ("idea\ncaf\u00e9\n".encode("latin-1"), "line 2: not UTF-8"),
        (b"\x00\x01\x02binary", "not a text file"),
        (b"", "empty"),
        (b"idea\n" + b"x" * 10_000_000 + b"\n", "line 2: 10,000,000 characters"),
        (b"idea\n" + b"an idea\n" * 100_000, "100,000 ideas; a batch is at most"),
    ],
    ids=[
        "wrong columns",
        "repeated column",
        "extra cell",
        "latin-1",
        "binary",
        "empty",
        "10 MB line",
        "100,000 rows",
    ],
)
def test_bad_csv_is_refused_with_where_and_why(raw: bytes, words: str) -> None:
    with pytest.raises(BacklogError, match=words):
        parse_backlog(raw, kind="csv")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_any_bytes_give_a_backlog_or_a_backlog_error(raw: bytes) -> None:
    for kind in ("csv", "jsonl"):
        try:
            backlog = parse_backlog(raw, kind=kind)
        except BacklogError as exc:
            assert str(exc).startswith("the backlog is not valid")
        else:
            assert backlog.items and not backlog.problems


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from([*COLUMNS, "title", "Idea ", "steps2", ""]), min_size=1, max_size=8),
    st.lists(st.text(max_size=40), max_size=8),
)
def test_any_header_and_cells_give_a_backlog_or_a_backlog_error(
    header: list[str], cells: list[str]
) -> None:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerow(cells)
    try:
        backlog = parse_backlog(out.getvalue().encode(), kind="csv")
    except BacklogError as exc:
        assert "nothing was queued" in str(exc)
    else:
        assert "idea" in [name.strip().lower() for name in header]
        assert len(backlog.items) == 1 and backlog.items[0].line == 2


def test_an_unknown_suffix_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ideas.txt"
    path.write_text("idea\nx\n")
    with pytest.raises(BacklogError, match=r"\.csv or \.jsonl"):
        read_backlog(path)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(min_size=1, max_size=500))
def test_the_cli_refuses_a_bad_backlog_with_exit_2_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], raw: bytes
) -> None:
    database = tmp_path / "never.db"
    monkeypatch.setenv("COAUTHOR_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("COAUTHOR_QUEUE_URL", "postgresql://nobody@127.0.0.1:1/none")
    backlog = tmp_path / "backlog.csv"
    backlog.write_bytes(b"title,idea\n" + raw)  # a wrong column: never valid
    with pytest.raises(SystemExit) as exit_code:
        main(["batch", str(backlog)])
    assert exit_code.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("error: the backlog is not valid") and "nothing was queued" in error
    assert len(error.strip().splitlines()) <= 3
    assert not database.exists()


@pytest.mark.parametrize(
    ("raw", "suffix", "words"),
    [
        (b"idea\n" + b"x" * 10_000_000 + b"\n", "csv", "10,000,000 characters"),
        (b"idea\n" + b"an idea\n" * 100_000, "csv", "100,000 ideas"),
        ("idea\ncaf\u00e9\n".encode("latin-1"), "csv", "not UTF-8"),
        (bytes(range(256)) * 40, "jsonl", "not a text file"),
        (b'{"idea": "x", "stepz": 2}\n', "jsonl", "stepz"),
    ],
    ids=["10 MB line", "100,000 rows", "latin-1", "binary", "wrong field"],
)
def test_the_cli_refuses_each_kind_of_bad_backlog_with_exit_2_and_writes_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    raw: bytes,
    suffix: str,
    words: str,
) -> None:
    database = tmp_path / "never" / "never.db"
    monkeypatch.setenv("COAUTHOR_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("COAUTHOR_QUEUE_URL", "postgresql://nobody@127.0.0.1:1/none")
    backlog = tmp_path / f"backlog.{suffix}"
    backlog.write_bytes(raw)
    with pytest.raises(SystemExit) as exit_code:
        main(["batch", str(backlog), "--json"])
    assert exit_code.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: the backlog is not valid") and words in captured.err
    assert "nothing was queued" in captured.err and len(captured.err) < 2000
    assert not database.parent.exists()

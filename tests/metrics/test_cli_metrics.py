"""``coauthor metrics``, ``bug``, ``bugs`` and ``bug-close`` on the fixture library."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from coauthor.cli import app
from coauthor.store import Store


def cli(user: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"COAUTHOR_USER": user, "COLUMNS": "250"})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(autouse=True)
def database(library: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COAUTHOR_DATABASE_URL", library.url)
    monkeypatch.setenv("COAUTHOR_PRICES", '{"gpt-4o-mini": {"input": 0.15, "output": 0.6}}')


def test_metrics_json_and_tables() -> None:
    code, out, err = cli("ann", "metrics", "--json")
    assert code == 0, err
    figures = json.loads(out)
    assert figures["cost"]["by_model"]["gpt-4o-mini"]["cost"] == pytest.approx(0.00135)
    assert figures["correctness"]["verified"] == 2
    assert figures["effort"]["by_author"]["bob"]["mean_hours_to_approval"] == 24.0
    assert figures["text"]["terms_defined"] == 0 and figures["bugs"]["closed_by_task"] == {}
    code, out, _ = cli("ann", "metrics")
    assert code == 0 and "Cost by step" in out and "task 1 step 1" in out
    assert "terms defined in theory" in out and "closed per author" in out
    code, out, _ = cli("ann", "metrics", "--since", "2026-11-05")
    assert code == 0 and "Churn curve" in out and "Cart totals" not in out
    assert "1350" not in out and "0.0014" not in out  # bob's calls were before the 5th


def test_bug_list() -> None:
    code, out, _ = cli("rita", "bug", "1", "The test wants five")
    assert (code, out) == (0, "bug 1 filed against task 1\n")
    assert cli("rita", "bug", "9", "No such task")[0] == 2
    assert cli("mallory", "bug", "1", "Not a member")[0] == 2
    code, out, _ = cli("bob", "bug-close", "1")
    assert (code, out) == (0, "bug 1 closed\n")
    code, out, _ = cli("ann", "bugs", "--task", "1", "--json")
    [bug] = json.loads(out)["bugs"]
    assert (bug["status"], bug["reporter"], bug["closed_by"]) == ("closed", "rita", "bob")
    code, out, _ = cli("ann", "metrics", "--json")
    assert json.loads(out)["bugs"]["closed"] == 1
    assert json.loads(out)["bugs"]["closed_by_author"] == {"bob": 1}  # bob wrote task 1

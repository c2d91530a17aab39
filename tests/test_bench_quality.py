"""bench/quality.py: the figures it prints come from a real run through the pipeline."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from coauthor.llm.registry import registered_backend
from coauthor.llm.testing import ScriptedModel
from coauthor.settings import Settings
from coauthor.testing import run_replies

BENCH = Path(__file__).parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import quality  # noqa: E402


def test_static_checks_of_a_step() -> None:
    solution = quality.parses("import math\n\ndef f(x):\n    return x\n\nLIMIT = 2\n")
    good = quality.parses("from solution import f, LIMIT\n\ndef test_a(): ...\n")
    missing = quality.parses("from solution import g\n")
    assert quality.importable(solution, good)
    assert not quality.importable(solution, missing)
    assert not quality.importable(solution, quality.parses("import math\n"))  # no solution
    assert not quality.importable(None, good)
    tests = quality.parses("def test_a(): ...\ndef test_b(): ...\ndef helper(): ...\n")
    assert tests is not None and quality.test_count(tests) == 2


def test_a_scripted_run_is_measured(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COAUTHOR_DATABASE_URL", f"sqlite:///{tmp_path / 'unused.db'}")
    ideas = tmp_path / "ideas.jsonl"
    rows = [
        {"idea": "Pick a sample size", "steps": 1, "held_out": False},
        {"idea": "Summarise delivery times", "steps": 1, "held_out": True},
    ]
    ideas.write_text("\n".join(json.dumps(r) for r in rows))

    def factory(argument: str, settings: Settings) -> ScriptedModel:
        if argument == "good":
            return ScriptedModel(run_replies(1))
        return ScriptedModel(run_replies(1, broken_step=1))  # a solution that never parses

    with registered_backend("scripted", factory, forms=["scripted"]):
        assert quality.main([str(ideas), "--model", "scripted:good", "--no-repair", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["repair_rounds"] == 0 and [i["held_out"] for i in got["ideas"]] == [False, True]
    step = got["ideas"][0]["steps"][0]
    assert step == {
        "solution_parses": True,
        "tests_parse_3": True,
        "importable": True,
        "passes_before": True,
        "passes_after": True,
        "starter_fails": True,
        "verified": True,
        "mutation": step["mutation"],
        "rounds": 0,
        "cases": 3,
        "cases_agree": 3,
    }
    assert got["ideas"][0]["tokens"] > 0

    with registered_backend("scripted", factory, forms=["scripted"]):
        quality.main(
            [str(ideas), "--model", "scripted:bad", "--no-repair", "--limit", "1", "--shipped"]
        )
    table = capsys.readouterr().out
    assert "total, shipped" in table and "held out" not in table
    assert "0/1" in table  # the solution that never parses is counted, not hidden

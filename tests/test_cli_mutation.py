"""``coauthor verify`` shows the mutation score and the survivors; an author marks a
survivor as equivalent with a note, saved as a revision and left out of the score."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coauthor.cli import app
from coauthor.llm.registry import registered_backend
from coauthor.llm.testing import ScriptedModel
from coauthor.mutation import survivor_problems
from coauthor.schemas import TestOutcome as Outcome
from coauthor.schemas import Verdict
from coauthor.schemas.mutation import Mutant, MutantStatus, MutationReport
from coauthor.store import Store
from coauthor.testing import (
    BOUNDARY_KILLERS,
    BOUNDARY_SOLUTION,
    BOUNDARY_STARTER,
    BOUNDARY_TESTS,
    run_replies,
)

BOUNDARY = Mutant(
    id="boun-1",
    operator="boundary",
    line=6,
    change="`not control or not treatment` became `not control and not treatment`",
    diff="--- solution.py\n+++ mutant.py\n@@ -6 +6 @@\n-    if not control or not treatment:\n"
    "+    if not control and not treatment:",
    status=MutantStatus.survived,
)
CONSTANT = Mutant(
    id="cons-2",
    operator="constant",
    line=7,
    change="the message became ''",
    diff="--- solution.py\n+++ mutant.py\n@@ -7 +7 @@\n-        raise ValueError('x')\n"
    "+        raise ValueError('')",
    status=MutantStatus.survived,
)
KILLED = [
    Mutant(
        id=f"arit-{n}",
        operator="arithmetic",
        line=8,
        change="`-` became `+`",
        status=MutantStatus.killed,
        killed_by=["test_positive_uplift"],
    )
    for n in range(3)
]


@pytest.fixture
def model() -> ScriptedModel:
    return ScriptedModel(run_replies(1))


@pytest.fixture(autouse=True)
def database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model: ScriptedModel
) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'mutation.db'}"
    monkeypatch.setenv("COAUTHOR_DATABASE_URL", url)
    monkeypatch.setenv("COAUTHOR_MODEL", "scriptedmutation")
    with registered_backend("scriptedmutation", lambda argument, settings: model):
        result = CliRunner().invoke(app, ["new", "idea", "--steps", "1", "--no-verify"])
        assert result.exit_code == 0, result.stderr
        yield url


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _with_survivors(url: str) -> int:
    """A revision whose step 1 has a verdict with two survivors out of five mutants."""
    with Store(url) as store:
        head = store.revision(1)
        step = head.task.steps[0]
        report = MutationReport(
            generated=5,
            killed=3,
            survived=2,
            score=0.6,
            threshold=0.8,
            mutants=[*KILLED, BOUNDARY, CONSTANT],
        )
        verdict = Verdict(
            verified=False,
            tests=3,
            solution_outcomes={"test_positive_uplift": Outcome.passed},
            problems=survivor_problems(report, step.solution),
            mutation=report,
        )
        steps = [step.model_copy(update={"verdict": verdict})]
        task = head.task.model_copy(update={"steps": steps})
        return store.add_revision(1, task, source="verify", note="checked").number


def test_marking_a_survivor_equivalent_saves_a_revision_and_rescores(database: str) -> None:
    base = _with_survivors(database)
    code, out, err = cli(
        "verify", "1", "--step", "1", "--equivalent", "cons-2", "--note", "messages are free"
    )
    assert code == 0, err
    assert "mutation score 0.75 (threshold 0.80, below the threshold): 3 killed, 1 survived" in out
    assert "1 equivalent of 5" in out
    assert "survivor boun-1, line 6: `not control or not treatment` became" in out
    assert "        +    if not control and not treatment:" in out
    assert "cons-2" not in out
    with Store(database) as store:
        head = store.revision(1)
        assert head.number == base + 1 and head.source == "edit"
        assert "mutant cons-2 marked equivalent: messages are free" in head.note
        step = head.task.steps[0]
        [mark] = step.equivalent_mutants
        assert (mark.mutant_id, mark.note) == ("cons-2", "messages are free")
        assert step.verdict is not None and step.verdict.mutation is not None
        assert step.verdict.mutation.equivalent == 1 and not step.verdict.verified

    code, out, err = cli(
        "verify", "1", "--step", "1", "--equivalent", "boun-1", "--note", "same", "--json"
    )
    assert code == 0, err
    [shown] = json.loads(out)["steps"]
    assert shown["mutation_score"] == 1.0 and shown["survivors"] == []
    assert shown["verified"] is True and shown["problems"] == []
    assert [m["mutant_id"] for m in shown["equivalent_mutants"]] == ["cons-2", "boun-1"]


def test_a_mark_for_a_mutant_that_is_not_a_survivor_is_a_one_line_error(database: str) -> None:
    base = _with_survivors(database)
    code, out, err = cli("verify", "1", "--step", "1", "--equivalent", "arit-0", "--note", "x")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        "error: mutant 'arit-0' is not a surviving mutant of step 1 (survivors: boun-1, cons-2)"
    ]
    code, _, err = cli("verify", "1", "--step", "1", "--equivalent", "boun-1")
    assert code == 2 and "say in a note why" in err
    code, _, err = cli("verify", "1", "--equivalent", "boun-1", "--note", "x")
    assert code == 2 and "--equivalent needs --step N" in err
    with Store(database) as store:
        assert store.revision(1).number == base


def test_unmarking_an_equivalent_mutant_makes_it_a_survivor_again(database: str) -> None:
    _with_survivors(database)
    for mutant in ("cons-2", "boun-1"):
        code, _, err = cli("verify", "1", "--step", "1", "--equivalent", mutant, "--note", "n")
        assert code == 0, err
    code, out, err = cli("verify", "1", "--step", "1", "--unmark-equivalent", "boun-1")
    assert code == 0, err
    assert "mutation score 0.75 (threshold 0.80, below the threshold): 3 killed, 1 survived" in out
    assert "survivor boun-1, line 6" in out
    with Store(database) as store:
        head = store.revision(1)
        assert head.source == "edit"
        assert "mutant boun-1 no longer marked equivalent" in head.note
        step = head.task.steps[0]
        assert [m.mutant_id for m in step.equivalent_mutants] == ["cons-2"]
        assert step.verdict is not None and not step.verdict.verified
        assert any("mutation score 0.75" in p for p in step.verdict.problems)
        base = head.number
    code, out, err = cli("verify", "1", "--step", "1", "--unmark-equivalent", "boun-1")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        "error: mutant 'boun-1' is not marked equivalent in step 1 (marked: cons-2)"
    ]
    code, _, err = cli("verify", "1", "--unmark-equivalent", "cons-2")
    assert code == 2 and "--unmark-equivalent needs --step N" in err
    with Store(database) as store:
        assert store.revision(1).number == base


def test_a_step_never_analysed_cannot_be_marked(database: str) -> None:
    code, _, err = cli("verify", "1", "--step", "1", "--equivalent", "boun-1", "--note", "x")
    assert code == 2
    assert "step 1 has no mutation analysis yet; verify it first" in err


def test_the_mutant_cap_can_be_set_or_turned_off_for_one_check() -> None:
    code, out, err = cli("verify", "1", "--mutants", "3", "--json")
    assert code == 0, err
    [step] = json.loads(out)["steps"]
    assert step["mutation"]["generated"] == 3 and len(step["mutation"]["mutants"]) == 3
    code, out, err = cli("verify", "1", "--no-mutation", "--json")
    [step] = json.loads(out)["steps"]
    assert code == 0, err
    assert step["verified"] is True
    assert step["mutation_score"] is None and step["mutation"] is None
    code, _, err = cli("verify", "1", "--mutants", "-1")
    assert code == 2 and "--mutants" in err


def test_verify_repair_adds_tests_when_only_survivors_hold_a_step_back(
    database: str, model: ScriptedModel
) -> None:
    with Store(database) as store:
        head = store.revision(1)
        step = head.task.steps[0].model_copy(
            update={
                "solution": BOUNDARY_SOLUTION,
                "starter": BOUNDARY_STARTER,
                "tests": BOUNDARY_TESTS,
            }
        )
        store.add_revision(1, head.task.model_copy(update={"steps": [step]}), source="edit")
    code, out, _ = cli("verify", "1")
    assert code == 1
    assert "mutation score 0.73 (threshold 0.80, below the threshold): 8 killed, 3 survived" in out
    assert "survivor boun-3a9466515389, line 3: `>=` became `>`" in out
    assert "        +    if total > 100:" in out

    model.add(f"```python\n{BOUNDARY_KILLERS}```")
    code, out, err = cli("verify", "1", "--repair", "--json")
    assert code == 0, err
    [shown] = json.loads(out)["steps"]
    assert shown["verified"] is True and shown["mutation_score"] == 1.0
    assert shown["repairs"] == [
        "round 1: added tests: test_exactly_one_hundred_gets_the_discount, "
        "test_just_below_one_hundred_pays_in_full kill 3 of 3 surviving mutants"
    ]
    with Store(database) as store:
        sources = [r.source for r in store.revisions(1)]
        assert sources[-2:] == ["repair", "verify"]
        assert "added tests" in store.revisions(1)[-2].note


def test_a_marked_mutant_stays_out_of_the_score_in_later_checks(database: str) -> None:
    with Store(database) as store:
        head = store.revision(1)
        step = head.task.steps[0].model_copy(
            update={
                "solution": BOUNDARY_SOLUTION,
                "starter": BOUNDARY_STARTER,
                "tests": BOUNDARY_TESTS,
            }
        )
        store.add_revision(1, head.task.model_copy(update={"steps": [step]}), source="edit")
    assert cli("verify", "1")[0] == 1
    code, _, err = cli(
        "verify", "1", "--step", "1", "--equivalent", "boun-3a9466515389", "--note", "n"
    )
    assert code == 0, err
    code, out, _ = cli("verify", "1", "--json")
    [shown] = json.loads(out)["steps"]
    assert shown["mutation"]["equivalent"] == 1 and shown["mutation"]["survived"] == 2
    assert shown["survivors"] == ["cons-5869a157ba49", "cons-6bc6a8c2c5bd"]
    assert shown["mutation_score"] == pytest.approx(0.8)
    assert [m["mutant_id"] for m in shown["equivalent_mutants"]] == ["boun-3a9466515389"]

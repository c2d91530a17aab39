"""The verdict tab shows the mutation score and each survivor as a diff; an author adds
tests for the survivors or marks one as equivalent, each saved as a revision."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from coauthor.cli.checks import verdict_line
from coauthor.llm.testing import ScriptedModel
from coauthor.pipeline.equivalents import mark_equivalent
from coauthor.pipeline.verify import Checker
from coauthor.schemas import Verdict
from coauthor.schemas.cases import CaseDisagreement, DisagreementKind
from coauthor.schemas.mutation import Mutant, MutantStatus, MutationReport
from coauthor.settings import Settings
from coauthor.store import Store
from coauthor.testing import BOUNDARY_KILLERS, BOUNDARY_SOLUTION, BOUNDARY_STARTER, BOUNDARY_TESTS


def texts(app: AppTest, kind: str) -> list[str]:
    return [str(e.value) for e in getattr(app, kind)]


def click(app: AppTest, label: str, index: int = 0) -> AppTest:
    found = [b for b in app.button if b.label == label]
    assert found, f"no button {label!r}; have {[b.label for b in app.button]}"
    return found[index].click().run()


def _with_survivors(store: Store, task_id: int) -> tuple[int, list[Mutant]]:
    """A revision whose step 1 is the boundary example, checked for real: three mutants
    of ``>= 100`` survive its tests."""
    head = store.revision(task_id)
    step = head.task.steps[0].model_copy(
        update={
            "solution": BOUNDARY_SOLUTION,
            "starter": BOUNDARY_STARTER,
            "tests": BOUNDARY_TESTS,
            "requirements": ["orders of 100 or more get 10% off"],
        }
    )
    step = step.model_copy(update={"verdict": Checker.from_settings(Settings()).verdict(step)})
    steps = [step, *head.task.steps[1:]]
    task = head.task.model_copy(update={"steps": steps})
    assert step.verdict is not None and step.verdict.mutation is not None
    survived = step.verdict.mutation.survivors
    return store.add_revision(task_id, task, source="verify", note="").number, survived


def test_the_verdict_shows_the_score_and_each_survivor_as_a_diff(
    open_page: Callable[..., AppTest], store: Store, task_id: int
) -> None:
    _, survived = _with_survivors(store, task_id)
    app = open_page("editor", query={"task": str(task_id)})
    assert not app.exception, [e.value for e in app.exception]
    report_line = [t for t in texts(app, "error") if t.startswith("Mutation score")]
    assert report_line == ["Mutation score 73% (threshold 80%)"]
    assert any(
        t.startswith("NOT verified — 3 tests, coverage 100%, mutation score 73%, ")
        for t in texts(app, "error")
    ), texts(app, "error")
    assert "11 mutants: 8 killed, 3 survived, 0 timed out, 0 marked equivalent" in texts(
        app, "caption"
    )
    diffs = [c for c in app.code if c.language == "diff" and "mutant.py" in c.value]
    assert [c.value.strip() for c in diffs] == [m.diff.strip() for m in survived]
    assert len(survived) == 3 and "+    if total > 100:" in diffs[0].value
    assert all(c.proto.wrap_lines for c in diffs)
    assert any(m.id in t for m in survived for t in texts(app, "markdown"))
    labels = [b.label for b in app.button]
    assert "Add tests for these" in labels and "Mark equivalent" in labels


def test_marking_a_survivor_equivalent_saves_a_revision_with_the_note(
    open_page: Callable[..., AppTest], store: Store, task_id: int
) -> None:
    base, survived = _with_survivors(store, task_id)
    app = open_page("editor", query={"task": str(task_id)})
    key = f"{task_id}_{base}_1"
    app = click(app, "Mark equivalent")
    assert any("say in a note why" in t for t in texts(app, "error"))
    assert store.revision(task_id).number == base

    app.selectbox(key=f"eq_id_{key}").set_value(survived[0].id)
    app.text_input(key=f"eq_note_{key}").input("the contract says nothing about 100")
    app = click(app, "Mark equivalent")
    head = store.revision(task_id)
    assert head.number == base + 1
    [mark] = head.task.steps[0].equivalent_mutants
    assert mark.mutant_id == survived[0].id
    assert mark.note == "the contract says nothing about 100"
    said = texts(app, "error") + texts(app, "success")
    assert any(f"Marked {survived[0].id} as equivalent." in t for t in said)
    assert any(survived[0].id in t and "contract" in t for t in texts(app, "caption"))
    assert "11 mutants: 8 killed, 2 survived, 0 timed out, 1 marked equivalent" in texts(
        app, "caption"
    )


def test_unmark_beside_a_marked_mutant_makes_it_a_survivor_again(
    open_page: Callable[..., AppTest], store: Store, task_id: int
) -> None:
    head = store.revision(task_id)
    survivor = Mutant(
        id="boun-7", operator="boundary", line=2, change="`>=` became `>`", status="survived"
    )
    report = MutationReport(
        generated=2,
        killed=1,
        survived=1,
        score=0.5,
        mutants=[
            survivor,
            survivor.model_copy(
                update={"id": "arit-1", "status": MutantStatus.killed, "killed_by": ["test_a"]}
            ),
        ],
    )
    verdict = Verdict(verified=False, tests=1, problems=["score"], mutation=report)
    step = head.task.steps[0].model_copy(update={"verdict": verdict})
    task = head.task.model_copy(update={"steps": [step, *head.task.steps[1:]]})
    store.add_revision(task_id, task, source="verify", note="")
    marked = mark_equivalent(store, task_id, 1, "boun-7", note="same at 100")
    app = open_page("editor", query={"task": str(task_id)})
    assert "2 mutants: 1 killed, 0 survived, 0 timed out, 1 marked equivalent" in texts(
        app, "caption"
    )
    app = click(app, "Unmark")
    assert not app.exception, [e.value for e in app.exception]
    head = store.revision(task_id)
    assert head.number == marked.number + 1 and head.source == "edit"
    assert head.task.steps[0].equivalent_mutants == []
    said = texts(app, "error") + texts(app, "success")
    assert any("boun-7 is no longer marked equivalent." in t for t in said), said
    assert "2 mutants: 1 killed, 1 survived, 0 timed out, 0 marked equivalent" in texts(
        app, "caption"
    )
    assert "Unmark" not in [b.label for b in app.button]


def test_add_tests_for_these_keeps_a_test_that_kills_the_survivor(
    open_page: Callable[..., AppTest], store: Store, task_id: int, model: ScriptedModel
) -> None:
    base, survived = _with_survivors(store, task_id)
    model.add(f"```python\n{BOUNDARY_KILLERS}```")
    app = click(open_page("editor", query={"task": str(task_id)}), "Add tests for these")
    assert not app.exception, [e.value for e in app.exception]
    assert "Mutant " + survived[0].id in model.requests[0][-1]["content"]
    revisions = store.revisions(task_id)
    assert [r.source for r in revisions[-2:]] == ["repair", "verify"]
    assert revisions[-1].number == base + 2
    step = store.revision(task_id).task.steps[0]
    assert step.tests.startswith(BOUNDARY_TESTS.rstrip())
    assert "def test_just_below_one_hundred_pays_in_full" in step.tests
    assert "kill 3 of 3 surviving mutants" in revisions[-2].note
    assert step.verdict is not None and step.verdict.verified
    said = texts(app, "success")
    assert any(
        t.startswith("Added test_exactly_one_hundred_gets_the_discount, ") and "verified" in t
        for t in said
    ), said


def test_add_tests_that_fail_on_the_solution_saves_nothing(
    open_page: Callable[..., AppTest], store: Store, task_id: int, model: ScriptedModel
) -> None:
    base, _ = _with_survivors(store, task_id)
    model.add("```python\ndef test_wrong():\n    assert discounted(100) == 100\n```")
    app = click(open_page("editor", query={"task": str(task_id)}), "Add tests for these")
    assert store.revision(task_id).number == base
    assert any(
        "Nothing saved: no new test kept: test_wrong fails on the reference solution" in t
        for t in texts(app, "warning")
    ), texts(app, "warning")
    assert not texts(app, "success")


def test_cases_the_solution_does_not_meet_are_listed_in_the_verdict(
    open_page: Callable[..., AppTest], store: Store, task_id: int
) -> None:
    head = store.revision(task_id)
    step = head.task.steps[0]
    wrong = CaseDisagreement(
        case="test_empty_cart",
        kind=DisagreementKind.wrong_value,
        call="total([])",
        expected="1",
        actual="0",
    )
    verdict = Verdict(verified=False, tests=3, problems=["p"], disagreements=[wrong])
    steps = [step.model_copy(update={"verdict": verdict}), *head.task.steps[1:]]
    store.add_revision(task_id, head.task.model_copy(update={"steps": steps}), source="verify")
    app = open_page("editor", query={"task": str(task_id)})
    assert not app.exception, [e.value for e in app.exception]
    shown = [t for t in texts(app, "markdown") if "does not meet" in t]
    assert shown and "`test_empty_cart`: `total([])` expected `1`, got `0`" in shown[0]
    assert "case and solution disagree: test_empty_cart: total([]) expected 1, got 0" in (
        verdict_line(1, verdict)
    )

"""The verdict tab shows the mutation score and each survivor as a diff; an author adds
tests for the survivors or marks one as equivalent, each saved as a revision."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from coauthor.llm.testing import ScriptedModel
from coauthor.mutation import generate, survivor_problems
from coauthor.schemas import TestOutcome as Outcome
from coauthor.schemas import Verdict
from coauthor.schemas.mutation import Mutant, MutantStatus, MutationReport
from coauthor.store import Store
from coauthor.testing import SOLUTION, TESTS


def texts(app: AppTest, kind: str) -> list[str]:
    return [str(e.value) for e in getattr(app, kind)]


def click(app: AppTest, label: str, index: int = 0) -> AppTest:
    found = [b for b in app.button if b.label == label]
    assert found, f"no button {label!r}; have {[b.label for b in app.button]}"
    return found[index].click().run()


def _mutants() -> list[Mutant]:
    """The engine's real mutants of the example solution; the empty-message one survives
    the example tests (they never look at the message)."""
    made = [m.mutant for m in generate(SOLUTION)]
    return [
        m.model_copy(
            update={
                "status": MutantStatus.survived
                if m.change.endswith('became `""`')
                else MutantStatus.killed
            }
        )
        for m in made
    ]


def _with_survivors(store: Store, task_id: int) -> tuple[int, list[Mutant]]:
    head = store.revision(task_id)
    mutants = _mutants()
    survived = [m for m in mutants if m.status is MutantStatus.survived]
    killed = len(mutants) - len(survived)
    report = MutationReport(
        generated=len(mutants),
        killed=killed,
        survived=len(survived),
        score=round(killed / len(mutants), 4),
        threshold=0.95,
        mutants=mutants,
    )
    step = head.task.steps[0]
    verdict = Verdict(
        verified=False,
        tests=3,
        solution_outcomes={name: Outcome.passed for name in ("test_positive_uplift",)},
        problems=survivor_problems(report, step.solution),
        mutation=report,
    )
    steps = [step.model_copy(update={"verdict": verdict}), *head.task.steps[1:]]
    task = head.task.model_copy(update={"steps": steps})
    return store.add_revision(task_id, task, source="verify", note="").number, survived


def test_the_verdict_shows_the_score_and_each_survivor_as_a_diff(
    open_page: Callable[..., AppTest], store: Store, task_id: int
) -> None:
    _, survived = _with_survivors(store, task_id)
    app = open_page("editor", query={"task": str(task_id)})
    assert not app.exception, [e.value for e in app.exception]
    report_line = [t for t in texts(app, "error") if t.startswith("Mutation score")]
    assert report_line == [f"Mutation score {1 - len(survived) / 9:.0%} (threshold 95%)"]
    assert f"9 mutants: {9 - len(survived)} killed, {len(survived)} survived" in " ".join(
        texts(app, "caption")
    )
    diffs = [c for c in app.code if c.language == "diff" and "mutant.py" in c.value]
    assert [c.value.strip() for c in diffs] == [m.diff.strip() for m in survived]
    assert len(survived) == 1 and '+        raise ValueError("")' in diffs[0].value
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
    app.text_input(key=f"eq_note_{key}").input("the message is not part of the contract")
    app = click(app, "Mark equivalent")
    head = store.revision(task_id)
    assert head.number == base + 1
    [mark] = head.task.steps[0].equivalent_mutants
    assert mark.mutant_id == survived[0].id
    assert mark.note == "the message is not part of the contract"
    said = texts(app, "error") + texts(app, "success")
    assert any(f"Marked {survived[0].id} as equivalent." in t for t in said)
    assert any(survived[0].id in t and "contract" in t for t in texts(app, "caption"))


def test_add_tests_for_these_keeps_a_test_that_kills_the_survivor(
    open_page: Callable[..., AppTest], store: Store, task_id: int, model: ScriptedModel
) -> None:
    base, survived = _with_survivors(store, task_id)
    model.add(
        "```python\n"
        "def test_an_empty_group_says_why():\n"
        "    with pytest.raises(ValueError, match='at least one value'):\n"
        "        mean_uplift([1.0], [])\n"
        "```"
    )
    app = click(open_page("editor", query={"task": str(task_id)}), "Add tests for these")
    assert not app.exception, [e.value for e in app.exception]
    assert "Mutant " + survived[0].id in model.requests[0][-1]["content"]
    revisions = store.revisions(task_id)
    assert [r.source for r in revisions[-2:]] == ["repair", "verify"]
    assert revisions[-1].number == base + 2
    tests = store.revision(task_id).task.steps[0].tests
    assert tests.startswith(TESTS.rstrip()) and "def test_an_empty_group_says_why" in tests
    assert "added tests: test_an_empty_group_says_why kill" in revisions[-2].note
    said = texts(app, "success") + texts(app, "error") + texts(app, "warning")
    assert any(t.startswith("Added test_an_empty_group_says_why") for t in said), said


def test_add_tests_that_fail_on_the_solution_saves_nothing(
    open_page: Callable[..., AppTest], store: Store, task_id: int, model: ScriptedModel
) -> None:
    base, _ = _with_survivors(store, task_id)
    model.add("```python\ndef test_wrong():\n    assert mean_uplift([1.0], [2.0]) == 3.0\n```")
    app = click(open_page("editor", query={"task": str(task_id)}), "Add tests for these")
    assert store.revision(task_id).number == base
    assert any(
        "Nothing saved: no new test kept: test_wrong fails on the reference solution" in t
        for t in texts(app, "warning")
    ), texts(app, "warning")
    assert not texts(app, "success")

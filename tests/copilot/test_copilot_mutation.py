"""The copilot reports mutation scores, and ``add_tests`` aims new tests at the surviving
mutants (the real checking system and mutation engine, a scripted model)."""

from __future__ import annotations

import pytest
from copilot_helpers import FakeChecker, SessionFactory, a_task

from coauthor.copilot import Intent, Request, Slots
from coauthor.copilot.checking import verify
from coauthor.copilot.editing import strengthen_tests
from coauthor.copilot.results import Edited
from coauthor.llm.testing import ScriptedModel
from coauthor.pipeline.parts import Part
from coauthor.pipeline.verify import Checker
from coauthor.sandbox import BubblewrapSandbox, SandboxUnavailableError
from coauthor.schemas import Task, Verdict
from coauthor.schemas.mutation import MutationReport
from coauthor.settings import Settings
from coauthor.testing import BOUNDARY_KILLERS, BOUNDARY_SOLUTION, BOUNDARY_STARTER, BOUNDARY_TESTS


def boundary_task() -> Task:
    """One step whose tests let the mutants of ``>= 100`` survive."""
    task = a_task(1)
    step = task.steps[0].model_copy(
        update={
            "solution": BOUNDARY_SOLUTION,
            "starter": BOUNDARY_STARTER,
            "tests": BOUNDARY_TESTS,
            "requirements": ["orders of 100 or more get 10% off"],
        }
    )
    return task.model_copy(update={"steps": [step]})


def request(text: str, **slots: object) -> Request:
    return Request.of(text, Slots(**slots))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def checker() -> Checker:
    try:
        BubblewrapSandbox()
    except SandboxUnavailableError as exc:
        pytest.skip(f"bubblewrap unavailable here: {exc}")
    return Checker.from_settings(Settings())


def test_verify_reports_the_mutation_score(session: SessionFactory) -> None:
    report = MutationReport(generated=10, killed=9, survived=1, score=0.9, threshold=0.8)
    judged = FakeChecker(Verdict(verified=True, tests=3, coverage=100.0, mutation=report))
    s = session(task=a_task(1), checker=judged)
    reply = verify(s, request("verify the task"))
    assert "step 1: verified (3 tests, 100% coverage, mutation score 0.90)" in reply.text
    ru = verify(s, request("проверь задачу"))
    assert "мутационный балл 0.90" in ru.text


def test_add_tests_kills_the_survivor_the_verdict_named(
    session: SessionFactory, checker: Checker
) -> None:
    model = ScriptedModel([f"```python\n{BOUNDARY_KILLERS}```"])
    s = session(model=model, task=boundary_task(), checker=checker)
    first = verify(s, request("verify step 1", step=1))
    assert first.revision is not None
    assert "mutation score 0.73 is below the threshold 0.80" in first.text
    reply = strengthen_tests(s, request("add a test that catches the off-by-one", step=1))
    assert reply.intent is Intent.add_tests and reply.revision == first.revision + 2
    assert reply.text.startswith(
        "Step 1: added test_exactly_one_hundred_gets_the_discount, "
        "test_just_below_one_hundred_pays_in_full, which catch 3 of 3 surviving mutants"
    )
    assert "Verified" in reply.text
    assert reply.result == Edited(step=1, part=Part.tests, verified=True)
    prompt = model.requests[0][-1]["content"]
    assert "The author asks: add a test that catches the off-by-one" in prompt
    assert "+    if total > 100:" in prompt
    head = s.head()
    assert head.task.steps[0].tests.startswith(BOUNDARY_TESTS.rstrip())
    verdict = head.task.steps[0].verdict
    assert verdict is not None and verdict.verified and verdict.mutation is not None
    assert verdict.mutation.score == 1.0
    sources = [r.source for r in s.store.revisions(s.task_id or 0)]
    assert sources[-2:] == ["copilot", "verify"]


def test_add_tests_whose_test_fails_on_the_solution_saves_nothing(
    session: SessionFactory, checker: Checker
) -> None:
    wrong = "```python\ndef test_wrong():\n    assert discounted(100) == 100\n```"
    s = session(model=ScriptedModel([wrong]), task=boundary_task(), checker=checker)
    first = verify(s, request("verify step 1", step=1))
    reply = strengthen_tests(s, request("add a test for the boundary", step=1))
    assert reply.revision is None and s.head().number == first.revision
    assert reply.text.startswith(
        "Step 1: no new test was kept, nothing saved: no new test kept: "
        "test_wrong fails on the reference solution (failed)"
    )

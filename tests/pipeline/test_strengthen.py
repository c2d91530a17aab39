"""Add-tests rounds: when mutants survive, the model writes new tests; only tests the
sandbox shows to pass on the solution and kill a survivor are kept and saved."""

from __future__ import annotations

import pytest

from coauthor.llm.testing import ScriptedModel
from coauthor.mutation import analyse, survivor_problems
from coauthor.pipeline.checking import check
from coauthor.pipeline.context import Context
from coauthor.pipeline.events import Events
from coauthor.pipeline.parts import Part
from coauthor.pipeline.strengthen import (
    SandboxTrials,
    append_tests,
    new_functions,
    wants_tests,
)
from coauthor.sandbox import BubblewrapSandbox, Limits, SandboxUnavailableError
from coauthor.schemas import Step, Verdict
from coauthor.schemas import TestOutcome as Outcome
from coauthor.schemas.mutation import EquivalentMark, Mutant, MutantStatus, MutationReport

LIMITS = Limits(cpu_seconds=10, wall_seconds=30)

SOLUTION = """def clip(value: int, top: int) -> int:
    \"\"\"``value``, but never above ``top``.\"\"\"
    if value > top:
        return top
    return value
"""
OFF_BY_ONE = SOLUTION.replace("value > top", "value >= top - 1")
STARTER = "def clip(value: int, top: int) -> int:\n    raise NotImplementedError\n"
TESTS = """from solution import clip


def test_below_the_top_is_kept():
    assert clip(1, 10) == 1


def test_above_the_top_is_clipped():
    assert clip(50, 10) == 10
"""
KILLING = """```python
def test_just_below_the_top_is_kept():
    assert clip(9, 10) == 9
```"""
FAILING = """```python
def test_the_top_is_exclusive():
    assert clip(10, 10) == 9
```"""


class MutantJudge:
    """A judge with a real sandbox: the step is verified once its tests kill every mutant
    of a fixed set (the engine's role, played by hand)."""

    def __init__(self, sandbox: BubblewrapSandbox, mutants: dict[str, str]) -> None:
        self.trials = SandboxTrials(sandbox, LIMITS)
        self.mutants = mutants

    def outcomes(self, source: str, tests: str) -> dict[str, Outcome]:
        return self.trials.outcomes(source, tests)

    def source(self, solution: str, mutant_id: str) -> str | None:
        return self.mutants.get(mutant_id) if solution == SOLUTION else None

    def verdict(self, step: Step) -> Verdict:
        on_solution = self.outcomes(step.solution, step.tests)
        ran: list[Mutant] = []
        for mutant_id, source in self.mutants.items():
            got = self.outcomes(source, step.tests)
            killers = [n for n, o in got.items() if o is not Outcome.passed]
            ran.append(_mutant(mutant_id, killers))
        killed = sum(1 for m in ran if m.status is MutantStatus.killed)
        score = killed / len(ran)
        report = MutationReport(
            generated=len(ran),
            killed=killed,
            survived=len(ran) - killed,
            score=score,
            threshold=1.0,
            mutants=ran,
        )
        problems = [] if score >= 1.0 else [f"mutation score {score:.0%}: mutants survive"]
        return Verdict(
            verified=not problems,
            tests=len(on_solution),
            solution_outcomes=on_solution,
            problems=problems,
            mutation=report,
        )


def _mutant(mutant_id: str, killers: list[str]) -> Mutant:
    status = MutantStatus.killed if killers else MutantStatus.survived
    return Mutant(
        id=mutant_id,
        operator="comparison",
        line=3,
        change="`value > top` became `value >= top - 1`",
        diff="-    if value > top:\n+    if value >= top - 1:",
        status=status,
        killed_by=killers,
    )


@pytest.fixture(scope="module")
def sandbox() -> BubblewrapSandbox:
    try:
        return BubblewrapSandbox()
    except SandboxUnavailableError as exc:
        pytest.skip(f"bubblewrap unavailable here: {exc}")


def _step(tests: str = TESTS) -> Step:
    return Step(title="Clip", story="", theory="", starter=STARTER, solution=SOLUTION, tests=tests)


class Recorded(Events):
    def __init__(self) -> None:
        self.seen: list[str] = []

    def tests_round(self, step: int, *, number: int, rounds: int) -> None:
        self.seen.append(f"tests {step} {number}/{rounds}")

    def repair_round(self, step: int, *, number: int, rounds: int, part: Part | None) -> None:
        self.seen.append(f"repair {step} {number}/{rounds}")

    def note(self, message: str) -> None:
        self.seen.append(message)


@pytest.fixture
def judge(sandbox: BubblewrapSandbox, monkeypatch: pytest.MonkeyPatch) -> MutantJudge:
    made = MutantJudge(sandbox, {"m-off-by-one": OFF_BY_ONE})
    monkeypatch.setattr("coauthor.pipeline.strengthen.engine_source", made.source)
    return made


def test_a_round_adds_a_test_that_kills_the_survivor(judge: MutantJudge) -> None:
    model = ScriptedModel([KILLING])
    events = Recorded()
    saved: list[Step] = []
    checked = check(
        _step(),
        checker=judge,
        number=1,
        ctx=Context(model, "master"),
        rounds=2,
        events=events,
        on_round=lambda step, done: saved.append(step),
    )
    assert checked.verdict.verified, checked.verdict.problems
    assert checked.step.tests.startswith(TESTS.rstrip())
    assert "def test_just_below_the_top_is_kept" in checked.step.tests
    [done] = checked.rounds
    assert done.kind == "add_tests" and done.part is Part.tests
    assert done.note == (
        "round 1: added tests: test_just_below_the_top_is_kept kill 1 of 1 surviving mutants"
    )
    assert checked.verdict.repairs == [done.note] and checked.verdict.repair_rounds == 1
    assert [s.tests for s in saved] == [checked.step.tests]
    assert events.seen[0] == "tests 1 1/2"
    prompt = model.requests[0][-1]["content"]
    assert "Mutant m-off-by-one, line 3" in prompt and "value >= top - 1" in prompt
    assert "def test_above_the_top_is_clipped" in prompt


def test_a_new_test_that_fails_on_the_solution_is_rejected_and_nothing_saved(
    judge: MutantJudge,
) -> None:
    model = ScriptedModel([FAILING])
    events = Recorded()
    saved: list[Step] = []
    checked = check(
        _step(),
        checker=judge,
        number=1,
        ctx=Context(model, "master"),
        rounds=1,
        events=events,
        on_round=lambda step, done: saved.append(step),
    )
    assert not checked.verdict.verified
    assert checked.rounds == [] and saved == []
    assert checked.step.tests == TESTS
    assert events.seen == [
        "tests 1 1/1",
        "step 1: round 1: no new test kept: "
        "test_the_top_is_exclusive fails on the reference solution (failed)",
    ]


def test_a_test_that_kills_nothing_is_dropped_and_the_next_round_tries_again(
    judge: MutantJudge,
) -> None:
    idle = "```python\ndef test_zero_is_kept():\n    assert clip(0, 10) == 0\n```"
    model = ScriptedModel([idle, KILLING])
    events = Recorded()
    checked = check(
        _step(), checker=judge, number=1, ctx=Context(model, "master"), rounds=2, events=events
    )
    assert checked.verdict.verified
    assert "test_zero_is_kept" not in checked.step.tests
    assert "step 1: round 1: no new test kept: test_zero_is_kept kills no surviving mutant" in (
        events.seen
    )
    assert [r.number for r in checked.rounds] == [2]


def test_only_a_step_held_back_by_survivors_asks_for_tests() -> None:
    survivor = _mutant("m1", [])
    report = MutationReport(
        generated=2, killed=1, survived=1, score=0.5, threshold=0.8, mutants=[survivor]
    )
    passing = {"test_a": Outcome.passed}
    low = Verdict(
        verified=False,
        tests=1,
        solution_outcomes=passing,
        problems=["mutation score 50% is below 80%: 1 mutant survives"],
        mutation=report,
    )
    assert wants_tests(_step(), low)
    failing = low.model_copy(
        update={
            "solution_outcomes": {"test_a": Outcome.failed},
            "problems": [*low.problems, "the solution fails: test_a (failed)"],
        }
    )
    assert not wants_tests(_step(), failing)
    marked = _step().model_copy(update={"equivalent_mutants": [EquivalentMark(mutant_id="m1")]})
    assert not wants_tests(marked, low)
    assert not wants_tests(_step(), low.model_copy(update={"mutation": None}))


def test_new_functions_keep_only_new_tests_and_the_imports_they_need() -> None:
    reply = (
        "import math\nfrom solution import clip\n\n\n"
        "def helper():\n    return 1\n\n\n"
        "def test_above_the_top_is_clipped():\n    assert clip(11, 10) == 10\n\n\n"
        "@pytest.mark.parametrize('v', [1, 2])\ndef test_small(v):\n    assert clip(v, 10) == v\n"
    )
    new = new_functions(TESTS, reply)
    assert new.imports == ("import math",)
    assert list(new.functions) == ["test_small"]
    assert new.functions["test_small"].startswith("@pytest.mark.parametrize")
    assert new.dropped == (
        "helper is not a test function",
        "test_above_the_top_is_clipped already exists (the new one was dropped)",
    )
    combined = append_tests(TESTS, new)
    assert combined.splitlines()[:2] == ["from solution import clip", "import math"]
    assert combined.rstrip().endswith("assert clip(v, 10) == v")


DISCOUNT = '''def discounted(total: float) -> float:
    """Orders of 100 or more get 10% off."""
    if total >= 100:
        return total * 0.9
    return total
'''
DISCOUNT_TESTS = """import pytest

from solution import discounted


def test_small_orders_pay_in_full():
    assert discounted(50) == 50


def test_large_orders_get_ten_percent_off():
    assert discounted(200) == pytest.approx(180)
"""


class EngineJudge:
    """The real mutation engine over the real sandbox, judged as the checking system
    does: verified when the solution passes and the score reaches the threshold."""

    def __init__(self, sandbox: BubblewrapSandbox) -> None:
        self.sandbox = sandbox
        self.limits = LIMITS

    def verdict(self, step: Step) -> Verdict:
        on_solution = SandboxTrials(self.sandbox, LIMITS).outcomes(step.solution, step.tests)
        report = analyse(step, sandbox=self.sandbox, limits=LIMITS, threshold=1.0)
        problems = survivor_problems(report, step.solution)
        return Verdict(
            verified=not problems,
            tests=len(on_solution),
            solution_outcomes=on_solution,
            problems=problems,
            mutation=report,
        )


def test_with_the_engine_new_boundary_tests_kill_the_survivors(sandbox: BubblewrapSandbox) -> None:
    step = Step(
        title="Discount",
        story="",
        theory="",
        starter="def discounted(total):\n    raise NotImplementedError\n",
        solution=DISCOUNT,
        tests=DISCOUNT_TESTS,
    )
    reply = (
        "```python\nimport pytest\n\nfrom solution import discounted\n\n\n"
        "def test_exactly_one_hundred_gets_the_discount():\n"
        "    assert discounted(100) == pytest.approx(90)\n\n\n"
        "def test_just_below_one_hundred_pays_in_full():\n"
        "    assert discounted(99.5) == 99.5\n```"
    )
    model = ScriptedModel([reply])
    checked = check(
        step, checker=EngineJudge(sandbox), number=1, ctx=Context(model, "master"), rounds=2
    )
    assert checked.verdict.verified, checked.verdict.problems
    report = checked.verdict.mutation
    assert report is not None and report.score == 1.0 and report.survived == 0
    prompt = model.requests[0][-1]["content"]
    assert "`>=` became `>`" in prompt and "+    if total > 100:" in prompt
    [done] = checked.rounds
    assert done.note == (
        "round 1: added tests: test_exactly_one_hundred_gets_the_discount, "
        "test_just_below_one_hundred_pays_in_full kill 3 of 3 surviving mutants"
    )
    assert checked.step.tests.count("import pytest") == 1

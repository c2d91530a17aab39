"""Repair rounds that add tests: when the tests let mutants of the solution survive, the
model writes NEW test functions aimed at the named survivors.

A new test is kept only when the sandbox shows that it passes on the reference solution
and fails (or errors) on at least one surviving mutant (the mutant's source comes from the
mutation engine), so it is never weak (a weak test passes on the starter and kills
nothing). Kept tests are appended to the step's tests; the existing tests are never
changed. Nothing kept, nothing changes.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from pydantic import Field

from coauthor.mutation import mutant_source, survivor_problems
from coauthor.pipeline.context import Context
from coauthor.sandbox import Limits, Sandbox, run_pytest
from coauthor.sandbox.boundary import Mode
from coauthor.schemas import Step, Strict, TestOutcome, Verdict
from coauthor.schemas.mutation import Mutant

REASON_KEPT = 400
SURVIVORS_SHOWN = 8
"""Survivors named in one prompt (and tried against the new tests)."""

SourceOf = Callable[[str, str], str | None]
"""``(solution, mutant_id) -> the mutant's source``, None for an id the solution has not."""

WIDEST = 200
"""The most mutants a check generates (the ``mutants`` setting's bound)."""


@runtime_checkable
class Trials(Protocol):
    """Runs a test file against a version of ``solution.py`` and says how each test went."""

    def outcomes(self, source: str, tests: str) -> dict[str, TestOutcome]: ...


@dataclass(frozen=True)
class SandboxTrials:
    """Trials in the sandbox, with the checker's limits and checking mode."""

    sandbox: Sandbox
    limits: Limits | None = None
    mode: Mode = "auto"

    def outcomes(self, source: str, tests: str) -> dict[str, TestOutcome]:
        report = run_pytest(
            self.sandbox,
            {"solution.py": source, "test_step.py": tests},
            limits=self.limits,
            isolate="solution.py",
            mode=self.mode,
        )
        return {name.split("::")[-1]: TestOutcome(got) for name, got in report.outcomes.items()}


def trials_for(judge: object) -> Trials | None:
    """The trials a judge offers: itself when it runs tests, else its sandbox when it has
    one (the pipeline's ``Checker``); None for a judge that can only give verdicts."""
    if isinstance(judge, Trials):
        return judge
    sandbox = getattr(judge, "sandbox", None)
    if isinstance(sandbox, Sandbox):
        limits = getattr(judge, "limits", None)
        mode: Mode = getattr(judge, "mode", "auto")
        return SandboxTrials(sandbox, limits if isinstance(limits, Limits) else None, mode)
    return None


def engine_source(solution: str, mutant_id: str) -> str | None:
    """The mutation engine's source of one mutant: among the default set, else the widest
    a check can generate (ids are stable for the same solution and change)."""
    found = mutant_source(solution, mutant_id)
    return found if found is not None else mutant_source(solution, mutant_id, limit=WIDEST)


def survivors(step: Step, verdict: Verdict) -> list[Mutant]:
    """The surviving mutants of the step's verdict, without those an author marked
    equivalent."""
    if verdict.mutation is None:
        return []
    marked = {mark.mutant_id for mark in step.equivalent_mutants}
    return [m for m in verdict.mutation.survivors if m.id not in marked]


def wants_tests(step: Step, verdict: Verdict) -> bool:
    """True when the only thing between the step and a verified verdict is a mutation score
    below its threshold: the solution passes every test, no test is weak,
    the session was clean, and mutants survive. New tests can help; a rewrite cannot."""
    report = verdict.mutation
    if verdict.verified or report is None or report.skipped or not survivors(step, verdict):
        return False
    if verdict.tests == 0 or verdict.failing_tests or verdict.weak_tests:
        return False
    if report.score is not None and report.score >= report.threshold:
        return False
    about_survivors = set(survivor_problems(report, step.solution))
    return all(p in about_survivors or _about_mutants(p) for p in verdict.problems)


def _about_mutants(problem: str) -> bool:
    said = problem.lower()
    return said.startswith("mutation score") or "surviving mutant" in said


class Added(Strict):
    """What one add-tests round made of the model's reply."""

    step: Step = Field(description="The step with the kept tests appended (unverified)")
    added: list[str] = Field(default_factory=list, description="Test functions kept")
    killed: list[str] = Field(default_factory=list, description="Survivors the kept tests kill")
    tried: list[str] = Field(default_factory=list, description="Survivors the tests ran against")
    rejected: list[str] = Field(
        default_factory=list, description="Test functions dropped, each with why"
    )

    @property
    def reason(self) -> str:
        """The round in one line, as revision labels show it."""
        if not self.added:
            dropped = "; ".join(self.rejected[:3]) or "the reply had no new test function"
            said = f"no new test kept: {dropped}"
        else:
            said = (
                f"{', '.join(self.added)} kill {len(self.killed)} of {len(self.tried)} "
                "surviving mutants"
            )
        return said if len(said) <= REASON_KEPT else said[: REASON_KEPT - 1] + "…"


def add_tests(
    ctx: Context,
    step: Step,
    verdict: Verdict,
    *,
    number: int,
    trials: Trials,
    mutant_source: SourceOf | None = None,
    instruction: str = "",
) -> Added:
    """Ask the model for tests that kill the step's surviving mutants; keep those the
    sandbox shows to pass on the solution and kill a survivor. ``instruction`` is the
    author's wish, if any ("a test that catches the off-by-one")."""
    source_of = mutant_source or engine_source
    aimed = survivors(step, verdict)[:SURVIVORS_SHOWN]
    values = {
        "step": step,
        "number": number,
        "survivors": aimed,
        "verdict": verdict,
        "instruction": instruction.strip(),
    }
    reply = ctx.model.code(ctx.messages("add_tests.j2", **values), max_tokens=1200)
    if not reply.ok:
        return Added(step=step, rejected=[f"the reply is not Python ({reply.error})"])
    new = new_functions(step.tests, reply.code)
    if not new.functions:
        return Added(step=step, rejected=new.dropped or ["the reply had no new test function"])
    combined = append_tests(step.tests, new)
    on_solution = _by_function(trials.outcomes(step.solution, combined))
    rejected = list(new.dropped)
    candidates: list[str] = []
    for name in new.functions:
        got = on_solution.get(name, [TestOutcome.missing])
        if any(o is not TestOutcome.passed for o in got):
            rejected.append(f"{name} fails on the reference solution ({_worst(got)})")
        else:
            candidates.append(name)
    kills: dict[str, list[str]] = {name: [] for name in candidates}
    if candidates:
        for mutant in aimed:
            source = source_of(step.solution, mutant.id)
            if source is None:
                continue
            outcomes = _by_function(trials.outcomes(source, combined))
            for name in candidates:
                if any(o in _CAUGHT for o in outcomes.get(name, [])):
                    kills[name].append(mutant.id)
    kept = [name for name in candidates if kills[name]]
    rejected += [f"{name} kills no surviving mutant" for name in candidates if not kills[name]]
    killed = sorted({mutant for name in kept for mutant in kills[name]})
    tried = [m.id for m in aimed]
    if not kept:
        return Added(step=step, tried=tried, rejected=rejected)
    tests = append_tests(step.tests, new.only(kept))
    strengthened = step.model_copy(update={"tests": tests, "verdict": None})
    return Added(step=strengthened, added=kept, killed=killed, tried=tried, rejected=rejected)


_CAUGHT = frozenset({TestOutcome.failed, TestOutcome.error})
_PARAMS = re.compile(r"\[.*\]\Z", re.DOTALL)


def _by_function(outcomes: dict[str, TestOutcome]) -> dict[str, list[TestOutcome]]:
    """Outcomes per test function (a parametrised test has one per case)."""
    grouped: dict[str, list[TestOutcome]] = {}
    for name, got in outcomes.items():
        grouped.setdefault(_PARAMS.sub("", name), []).append(got)
    return grouped


def _worst(outcomes: list[TestOutcome]) -> str:
    failing = [o.value for o in outcomes if o is not TestOutcome.passed]
    return failing[0] if failing else "passed"


@dataclass(frozen=True)
class NewTests:
    """Test functions (with their decorators) and the imports they need, from a reply."""

    imports: tuple[str, ...]
    functions: dict[str, str]
    dropped: tuple[str, ...] = ()

    def only(self, names: list[str]) -> NewTests:
        return NewTests(self.imports, {n: self.functions[n] for n in names})


def new_functions(current: str, reply: str) -> NewTests:
    """The test functions of ``reply`` that ``current`` does not define yet (a reply that
    repeats the whole file brings only its new functions), and the imports ``current`` lacks.
    Other code in the reply (helpers, fixtures, module-level calls) is dropped, by name."""
    lines = reply.splitlines()
    tree = ast.parse(reply)
    existing = _defined(current)
    have_imports = {line.strip() for line in current.splitlines()}
    imports: list[str] = []
    functions: dict[str, str] = {}
    dropped: list[str] = []
    for node in tree.body:
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        text = "\n".join(lines[start - 1 : node.end_lineno])
        if isinstance(node, ast.Import | ast.ImportFrom):
            if text.strip() not in have_imports:
                imports.append(text.strip())
        elif isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            if node.name in existing:
                if text.strip() != _source_of(current, node.name):
                    dropped.append(f"{node.name} already exists (the new one was dropped)")
            elif node.name not in functions:
                functions[node.name] = text
        elif (
            isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)
            and node.name not in existing
        ):
            dropped.append(f"{node.name} is not a test function")
    return NewTests(tuple(dict.fromkeys(imports)), functions, tuple(dropped))


def _defined(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }


def _source_of(source: str, name: str) -> str:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    lines = source.splitlines()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            return "\n".join(lines[start - 1 : node.end_lineno]).strip()
    return ""


def append_tests(current: str, new: NewTests) -> str:
    """``current`` with the new imports after its own and the new functions at the end."""
    text = current.rstrip("\n") + "\n"
    if new.imports:
        text = _with_imports(text, list(new.imports))
    for body in new.functions.values():
        text += "\n\n" + body.rstrip() + "\n"
    return text


def _with_imports(source: str, imports: list[str]) -> str:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return "\n".join(imports) + "\n" + source
    last = 0
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            last = node.end_lineno or node.lineno
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            break
    lines = source.splitlines()
    return "\n".join(lines[:last] + imports + lines[last:]) + "\n"

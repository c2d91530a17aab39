"""Stage: write one step — prose, reference solution, tests, starter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from coauthor.llm.code import CodeResult, code_error
from coauthor.pipeline.cases import ask_cases, merged_tests, render_cases, signature_for
from coauthor.pipeline.context import Context
from coauthor.pipeline.figures import FigureDrawer, draw_figures
from coauthor.pipeline.starter import stub
from coauthor.schemas import Plan, Step, StepDraft, TaskBrief
from coauthor.schemas.cases import TestCase


def step(
    ctx: Context,
    brief: TaskBrief,
    plan: Plan,
    number: int,
    summary: str,
    *,
    figures: Callable[[], FigureDrawer] | None = None,
) -> Step:
    """Step ``number`` (1-based), given only the rolling summary of the steps before it.
    The figures the draft proposes are drawn with ``figures()`` (the house style and a
    sandbox; asked for only when there are figures to draw)."""
    outline = plan.steps[number - 1]
    values: dict[str, Any] = {
        "brief": brief,
        "plan": plan,
        "outline": outline,
        "number": number,
        "exemplar": ctx.exemplar,
    }
    draft = ctx.model.generate(
        ctx.messages("step.j2", summary=summary, **values), output=StepDraft, max_tokens=1400
    )
    solution = ctx.model.code(ctx.messages("solution.j2", draft=draft, **values))
    tests, cases, notes = _tests(ctx, solution, draft=draft, values=values)
    starter = _starter(ctx, solution, draft=draft, values=values)
    flags = [
        f"{name}: {result.error} (kept as the model wrote it after {result.attempts} attempts)"
        for name, result in (("solution", solution), ("tests", tests), ("starter", starter))
        if result.error is not None
    ] + notes
    flags += [
        f"{name}: {note}"
        for name, result in (("solution", solution), ("tests", tests), ("starter", starter))
        for note in result.notes
    ]
    made = Step(
        title=outline.title,
        goal=outline.goal,
        lessons=list(outline.lessons),
        story=draft.story,
        theory=draft.theory,
        links=draft.links,
        requirements=list(draft.requirements),
        starter=starter.code,
        solution=solution.code,
        tests=tests.code,
        flags=flags,
        cases=cases,
    )
    if not draft.figures:
        return made
    drawer = figures() if figures is not None else FigureDrawer()
    return draw_figures(ctx, made, draft.figures, drawer, number=number, title=plan.title)


def _tests(
    ctx: Context, solution: CodeResult, *, draft: StepDraft, values: dict[str, Any]
) -> tuple[CodeResult, list[TestCase], list[str]]:
    """The tests, the cases they were partly written from, and notes for the author.

    For a function-style step the model first proposes cases (structured), which are
    rendered into pytest functions; then it adds free-form tests for what cases cannot
    express. Other steps, and a step whose cases the model could not give, get free-form
    tests only."""
    outline = values["outline"]
    hint = "\n".join([outline.title, outline.goal, *draft.requirements])
    signature = signature_for(solution.code, hint)
    cases = (
        ask_cases(ctx, signature, draft=draft, solution=solution.code, **values)
        if signature is not None
        else None
    )
    rendered = render_cases(cases, signature) if cases and signature is not None else None
    notes = [f"case left out: {why}" for why in (rendered.skipped if rendered else ())]
    if rendered is not None and not rendered.cases:
        rendered = None
    case_tests = rendered.code if rendered is not None else ""
    extra = ctx.model.code(
        ctx.messages(
            "tests.j2", draft=draft, solution=solution.code, case_tests=case_tests, **values
        ),
        max_tokens=1200,
    )
    if rendered is None:
        return extra, [], notes
    kept = rendered.kept
    if extra.error is not None:
        notes.append(f"tests: the further tests did not parse ({extra.error}); left out")
        return CodeResult(code=rendered.code, error=None), kept, notes
    code = merged_tests(rendered, extra.code)
    return CodeResult(code=code, error=code_error(code), attempts=extra.attempts), kept, notes


def _starter(
    ctx: Context, solution: CodeResult, *, draft: StepDraft, values: dict[str, object]
) -> CodeResult:
    derived = stub(solution.code) if solution.ok else None
    if derived is not None:
        return CodeResult(code=derived, error=code_error(derived), attempts=0)
    return ctx.model.code(ctx.messages("starter.j2", draft=draft, **values))

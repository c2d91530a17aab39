"""Stage: write one step — prose, reference solution, tests, starter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from coauthor.llm.code import CodeResult, code_error
from coauthor.pipeline.context import Context
from coauthor.pipeline.figures import FigureDrawer, draw_figures
from coauthor.pipeline.starter import stub
from coauthor.schemas import Plan, Step, StepDraft, TaskBrief


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
    tests = ctx.model.code(
        ctx.messages("tests.j2", draft=draft, solution=solution.code, **values), max_tokens=1200
    )
    starter = _starter(ctx, solution, draft=draft, values=values)
    flags = [
        f"{name}: {result.error} (kept as the model wrote it after {result.attempts} attempts)"
        for name, result in (("solution", solution), ("tests", tests), ("starter", starter))
        if result.error is not None
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
    )
    if not draft.figures:
        return made
    drawer = figures() if figures is not None else FigureDrawer()
    return draw_figures(ctx, made, draft.figures, drawer, number=number, title=plan.title)


def _starter(
    ctx: Context, solution: CodeResult, *, draft: StepDraft, values: dict[str, object]
) -> CodeResult:
    derived = stub(solution.code) if solution.ok else None
    if derived is not None:
        return CodeResult(code=derived, error=code_error(derived), attempts=0)
    return ctx.model.code(ctx.messages("starter.j2", draft=draft, **values))

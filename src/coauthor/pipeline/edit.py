"""Stage: rewrite one part of one step, keeping the rest of the task as it is."""

from __future__ import annotations

import difflib
from typing import Annotated

from pydantic import Field, StringConstraints

from coauthor.pipeline.context import Context
from coauthor.pipeline.parts import CODE_PARTS, Part, with_code
from coauthor.schemas import Step, Strict, Task

__all__ = [
    "CODE_PARTS",
    "EditError",
    "Part",
    "add_tests",
    "changed_parts",
    "part_diff",
    "part_text",
    "regenerate",
    "replace_step",
    "step_at",
]


class ProseReply(Strict):
    text: str = Field(min_length=1, max_length=1000)


class RequirementsReply(Strict):
    requirements: list[Annotated[str, StringConstraints(min_length=1, max_length=300)]] = Field(
        min_length=1, max_length=8
    )


class EditError(ValueError):
    """The edit names a step or part that does not exist."""


def regenerate(ctx: Context, task: Task, number: int, part: Part, *, instruction: str = "") -> Step:
    """Step ``number`` (1-based) with ``part`` rewritten; every other part unchanged.

    The result has no verdict: it has not been checked since it changed.
    """
    current = step_at(task, number)
    values = {"task": task, "step": current, "number": number, "part": part.value}
    values["instruction"] = instruction.strip()
    if part in CODE_PARTS:
        result = ctx.model.code(ctx.messages("edit_code.j2", **values), max_tokens=1200)
        return with_code(current, part, result, derive_starter=not instruction)
    if part is Part.requirements:
        reply = ctx.model.generate(
            ctx.messages("edit_prose.j2", **values), output=RequirementsReply
        )
        return current.model_copy(
            update={"requirements": list(reply.requirements), "verdict": None}
        )
    prose = ctx.model.generate(ctx.messages("edit_prose.j2", **values), output=ProseReply)
    return current.model_copy(update={part.value: prose.text, "verdict": None})


def add_tests(ctx: Context, task: Task, number: int, *, instruction: str) -> Step:
    """The step's tests extended as asked; existing tests are kept."""
    wish = instruction.strip() or "edge cases the requirements name"
    return regenerate(ctx, task, number, Part.tests, instruction=f"add tests: {wish}")


def step_at(task: Task, number: int) -> Step:
    """Step ``number`` (1-based); EditError says how many steps there are."""
    if not 1 <= number <= len(task.steps):
        raise EditError(f"the task has {len(task.steps)} steps; there is no step {number}")
    return task.steps[number - 1]


def replace_step(task: Task, number: int, step: Step) -> Task:
    steps = list(task.steps)
    steps[number - 1] = step
    return task.model_copy(update={"steps": steps})


def part_text(step: Step, part: Part) -> str:
    """A part as one text (requirements one per line), as diffs and comparisons read it."""
    if part is Part.requirements:
        return "\n".join(step.requirements)
    return str(getattr(step, part.value))


def changed_parts(before: Step, after: Step) -> list[Part]:
    """The parts whose text differs: empty when a regeneration changed nothing."""
    return [part for part in Part if part_text(before, part) != part_text(after, part)]


def part_diff(before: Step, after: Step) -> str:
    """A unified diff of every part that differs (a new solution can bring a new starter)."""
    chunks: list[str] = []
    for part in changed_parts(before, after):
        chunks.extend(
            difflib.unified_diff(
                part_text(before, part).splitlines(),
                part_text(after, part).splitlines(),
                fromfile=f"{part.value} (now)",
                tofile=f"{part.value} (proposed)",
                lineterm="",
            )
        )
    return "\n".join(chunks)

"""Stage: decompose the brief into steps."""

from __future__ import annotations

import functools

from pydantic import Field, create_model

from coauthor.pipeline.context import Context
from coauthor.schemas import Plan, StepOutline, TaskBrief


@functools.lru_cache(maxsize=32)
def sized_plan(steps: int) -> type[Plan]:
    """A Plan model whose step count is fixed at ``steps``; built once per count (a new
    class per run also meant a new JSON schema and validator per run)."""
    return create_model(
        "Plan",
        __base__=Plan,
        steps=(list[StepOutline], Field(min_length=steps, max_length=steps)),
    )


def plan(ctx: Context, brief: TaskBrief) -> Plan:
    """A plan with exactly the number of steps asked for.

    The count is part of the schema (min/max items), so a grammar-constrained
    model cannot return another number, and a free one is re-asked.
    """
    sized = sized_plan(brief.steps)
    room = 300 + 180 * brief.steps
    prompt = ctx.messages("plan.j2", brief=brief, exemplar=ctx.exemplar)
    reply = ctx.model.generate(prompt, output=sized, max_tokens=room)
    return Plan.model_validate(reply.model_dump())

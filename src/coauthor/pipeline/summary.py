"""Stage: the rolling summary that stands in for the full text of earlier steps.

It is bounded (``StepSummary.text`` is at most 1,000 characters), so the prompt of
step N does not grow with N and the cost of a task grows linearly with its steps.
"""

from __future__ import annotations

from coauthor.pipeline.context import Context
from coauthor.schemas import Step, StepSummary


def summary(ctx: Context, previous: str, step: Step, *, number: int) -> str:
    reply = ctx.model.generate(
        ctx.messages("summary.j2", previous=previous, step=step, number=number),
        output=StepSummary,
        max_tokens=400,
    )
    return reply.text

"""Stage: a step that failed verification goes back to the model with the pytest output.

The model first says which part was wrong (the solution or the tests), then
rewrites that part. The caller verifies again and decides whether to go on.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from coauthor.pipeline.context import Context
from coauthor.pipeline.starter import stub
from coauthor.schemas import Step, Strict, Verdict


class Diagnosis(Strict):
    culprit: Literal["solution", "tests"] = Field(
        description="The part that is wrong: the reference solution or the tests"
    )
    reason: str = Field(min_length=1, max_length=400, description="Why, in one sentence")


def repair(ctx: Context, step: Step, verdict: Verdict, *, number: int) -> tuple[Step, str]:
    """The step with its wrong part rewritten, and a line saying what was changed and why."""
    values = {"step": step, "verdict": verdict, "number": number}
    diagnosis = ctx.model.generate(
        ctx.messages("repair_diagnosis.j2", **values), output=Diagnosis, max_tokens=300
    )
    part = diagnosis.culprit
    result = ctx.model.code(ctx.messages("repair_code.j2", part=part, **values), max_tokens=1200)
    flags = [f for f in step.flags if not f.startswith(f"{part}:")]
    if result.error is not None:
        flags.append(f"{part}: {result.error} (kept as the model wrote it during repair)")
    update: dict[str, object] = {part: result.code, "flags": flags, "verdict": None}
    if part == "solution" and result.ok:
        update["starter"] = stub(result.code) or step.starter
    return step.model_copy(update=update), f"rewrote the {part}: {diagnosis.reason}"

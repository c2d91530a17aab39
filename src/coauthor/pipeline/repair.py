"""Stage: a step that failed verification goes back to the model with the pytest output.

The model first says which part was wrong (the solution or the tests), then
rewrites that part. The checking service verifies again and decides whether to go on.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from coauthor.pipeline.context import Context
from coauthor.pipeline.parts import Part, with_code
from coauthor.schemas import Step, Strict, Verdict

REASON_KEPT = 160
"""Characters of the model's reason kept in notes and revision labels (the logbook has all)."""


class Diagnosis(Strict):
    culprit: Literal["solution", "tests"] = Field(
        description="The part that is wrong: the reference solution or the tests"
    )
    reason: str = Field(min_length=1, max_length=400, description="Why, in one sentence")

    @property
    def part(self) -> Part:
        return Part(self.culprit)

    @property
    def short_reason(self) -> str:
        """The first sentence of the reason, on one line and bounded."""
        line = " ".join(self.reason.split())
        first = line.split(". ")[0].rstrip(".")
        return first if len(first) <= REASON_KEPT else first[: REASON_KEPT - 1] + "…"


def diagnose(ctx: Context, step: Step, verdict: Verdict, *, number: int) -> Diagnosis:
    values = {"step": step, "verdict": verdict, "number": number}
    return ctx.model.generate(
        ctx.messages("repair_diagnosis.j2", **values), output=Diagnosis, max_tokens=300
    )


def rewrite(
    ctx: Context, step: Step, verdict: Verdict, diagnosis: Diagnosis, *, number: int
) -> Step:
    """The step with the part ``diagnosis`` blames rewritten (unverified)."""
    values = {"step": step, "verdict": verdict, "number": number, "part": diagnosis.culprit}
    result = ctx.model.code(ctx.messages("repair_code.j2", **values), max_tokens=1200)
    return with_code(step, diagnosis.part, result, derive_starter=True)

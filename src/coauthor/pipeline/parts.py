"""The parts of a step an author or a repair round can rewrite, and how a rewritten
code part lands in the step (its flag, and the starter derived from a new solution)."""

from __future__ import annotations

from enum import StrEnum

from coauthor.llm.code import CodeResult
from coauthor.pipeline.cases import cases_still_in
from coauthor.pipeline.starter import stub
from coauthor.schemas import Step


class Part(StrEnum):
    story = "story"
    theory = "theory"
    requirements = "requirements"
    starter = "starter"
    solution = "solution"
    tests = "tests"


CODE_PARTS = frozenset({Part.starter, Part.solution, Part.tests})


def with_code(step: Step, part: Part, result: CodeResult, *, derive_starter: bool) -> Step:
    """``step`` with ``part`` replaced by ``result``'s code: a flag says when that code does
    not parse (it is kept as written) and what was removed from it (a repeated definition),
    an older flag of the part goes, and a new solution that parses brings its derived
    starter when ``derive_starter``; new tests keep only the test cases they still hold.
    Unverified."""
    flags = [flag for flag in step.flags if not flag.startswith(f"{part.value}:")]
    if result.error is not None:
        flags.append(f"{part.value}: {result.error} (kept as the model wrote it)")
    flags += [f"{part.value}: {note}" for note in result.notes]
    update: dict[str, object] = {part.value: result.code, "flags": flags, "verdict": None}
    if part is Part.solution and result.ok and derive_starter:
        update["starter"] = stub(result.code) or step.starter
    if part is Part.tests and step.cases:
        update["cases"] = cases_still_in(step, result.code)
    return step.model_copy(update=update)

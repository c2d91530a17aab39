"""Progress reporting: the runner and the checking service call these; the CLI and the
studio implement them."""

from __future__ import annotations

from coauthor.pipeline.parts import Part
from coauthor.schemas import Verdict


class Events:
    """No-op defaults, so a caller overrides only what it shows."""

    def stage_started(self, stage: str, *, step: int | None = None, total: int = 0) -> None:
        """A stage began; ``step`` is set for per-step stages, ``total`` is the step count."""

    def stage_finished(self, stage: str, *, step: int | None = None, total: int = 0) -> None:
        """A stage was done and checkpointed (or found done already on resume)."""

    def repair_round(self, step: int, *, number: int, rounds: int, part: Part | None) -> None:
        """Repair round ``number`` of ``rounds`` on ``step``: diagnosing (``part`` None), then
        rewriting ``part``."""

    def tests_round(self, step: int, *, number: int, rounds: int) -> None:
        """Repair round ``number`` of ``rounds`` on ``step`` asks for new tests that kill the
        mutants the tests let survive (instead of diagnosing and rewriting a part)."""

    def note(self, message: str) -> None:
        """Something the author should see (a flagged part, a repair, a resume)."""

    def verdict(self, step: int, verdict: Verdict) -> None:
        """The checking system judged a step (after any repair rounds)."""

    def run_ended(self) -> None:
        """The runner stopped (finished, failed or cancelled): show what is still pending."""


def repair_words(number: int, rounds: int, part: Part | None) -> str:
    """A repair round as the author reads it: ``repair round 1 of 2: rewriting the tests``."""
    doing = "finding what is wrong" if part is None else f"rewriting the {part.value}"
    return f"repair round {number} of {rounds}: {doing}"


def tests_words(number: int, rounds: int) -> str:
    """An add-tests round as the author reads it."""
    return f"repair round {number} of {rounds}: adding tests that kill surviving mutants"

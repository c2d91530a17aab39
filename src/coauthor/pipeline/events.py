"""Progress reporting: the runner calls these; the CLI and the UI implement them."""

from __future__ import annotations

from coauthor.schemas import Verdict


class Events:
    """No-op defaults, so a caller overrides only what it shows."""

    def stage_started(self, stage: str, *, step: int | None = None, total: int = 0) -> None:
        """A stage began; ``step`` is set for per-step stages, ``total`` is the step count."""

    def stage_finished(self, stage: str, *, step: int | None = None, total: int = 0) -> None:
        """A stage was done and checkpointed (or found done already on resume)."""

    def note(self, message: str) -> None:
        """Something the author should see (a flagged part, a resume)."""

    def verdict(self, step: int, verdict: Verdict) -> None:
        """The checking system judged a step (after any repair rounds)."""

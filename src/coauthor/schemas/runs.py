"""The live state of a generation run: written by whoever executes it, read by every view."""

from __future__ import annotations

import time

from pydantic import Field

from coauthor.schemas import Strict, TaskBrief, Verdict

TEXT_KEPT = 4000
NOTES_KEPT = 50


class RunProgress(Strict):
    """Where a run is: the stage in flight, the text the model is writing, what is done."""

    stage: str = Field(default="starting", description="lessons, plan, step, verify, summary")
    step: int | None = None
    total: int = 0
    detail: str = Field(default="", description="What the stage is doing now, e.g. a repair round")
    text: str = Field(default="", max_length=TEXT_KEPT)
    notes: list[str] = Field(default_factory=list, max_length=NOTES_KEPT)
    stages_done: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    started_at: float = Field(default_factory=time.time)
    verdicts: dict[int, Verdict] = Field(default_factory=dict)

    def noted(self, message: str) -> RunProgress:
        return self.model_copy(update={"notes": [*self.notes, message][-NOTES_KEPT:]})

    def with_text(self, chunk: str) -> RunProgress:
        return self.model_copy(update={"text": (self.text + chunk)[-TEXT_KEPT:]})


class RunOptions(Strict):
    """Choices a run was started with; resuming it makes the same ones unless told otherwise."""

    verify: bool = True
    given_plan: bool = False
    """The author gave the plan (saved as the run's first checkpoint before it started)."""


def expected_stages(brief: TaskBrief, *, verify: bool) -> int:
    """How many stages a full run of ``brief`` finishes: the lessons (when the brief has
    none), the plan, then per step the step, its verification (when verifying) and its
    summary. Every progress bar counts with this one function."""
    per_step = 3 if verify else 2
    return (0 if brief.lessons else 1) + 1 + per_step * brief.steps

"""What the router decides: an intent, the slots it found, and how sure it is."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from coauthor.schemas import Language


class Intent(StrEnum):
    new_task = "new_task"
    edit_step = "edit_step"
    add_tests = "add_tests"
    verify = "verify"
    ask_guidelines = "ask_guidelines"
    ask_library = "ask_library"
    explain = "explain"
    review = "review"
    export = "export"
    other = "other"


class DecidedBy(StrEnum):
    classifier = "classifier"
    model = "model"
    author = "author"  # the author picked the intent (a button, an answer to a question)
    nobody = "nobody"  # both were unsure: the copilot asked a clarifying question


# The slots each intent uses; the others are ignored when it runs and when it is scored.
INTENT_SLOTS: dict[Intent, tuple[str, ...]] = {
    Intent.edit_step: ("step", "part"),
    Intent.add_tests: ("step",),
    Intent.verify: ("step",),
    Intent.export: ("format",),
}


@dataclass(frozen=True)
class Slots:
    """Values the message names. ``last_step`` is "the last step" before a task resolves it."""

    step: int | None = None
    part: str | None = None
    format: str | None = None
    last_step: bool = False
    repair: bool = False
    """The message asks to fix what fails (repair rounds), not only to check it."""
    figure: str | None = None
    """The message asks for a picture: "chart" (plotting code) or "diagram" (DOT)."""
    students: bool = False
    """The message asks how students did on the steps: answered from imported results."""

    def as_dict(self) -> dict[str, object]:
        values = {"step": self.step, "part": self.part, "format": self.format}
        return {key: value for key, value in values.items() if value is not None}

    def for_intent(self, intent: Intent) -> dict[str, object]:
        wanted = INTENT_SLOTS.get(intent, ())
        return {key: value for key, value in self.as_dict().items() if key in wanted}


@dataclass(frozen=True)
class Decision:
    """Where a message goes. ``sure`` False means: ask the author instead of acting."""

    intent: Intent
    confidence: float
    decided_by: DecidedBy
    slots: Slots
    language: Language = Language.en
    candidates: list[tuple[Intent, float]] = field(default_factory=list)

    @property
    def sure(self) -> bool:
        return self.decided_by is not DecidedBy.nobody

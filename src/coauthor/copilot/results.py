"""What each copilot module found or did, as typed results a page or a command reads.

A reply's ``result`` is one of these, told apart by ``kind``; the studio and the CLI
match on the type and never look inside free-form data.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from coauthor.copilot.intents import Intent
from coauthor.pipeline.parts import Part
from coauthor.schemas import Language, Strict, TaskBrief
from coauthor.schemas.results import TaskPassThrough


class Failed(Strict):
    """The module could not do what was asked; the reply's text says why."""

    kind: Literal["failed"] = "failed"
    error: str


class Clarify(Strict):
    """Neither the classifier nor a model was sure: which of these intents is meant?"""

    kind: Literal["clarify"] = "clarify"
    choices: list[Intent]


class WhichPart(Strict):
    """An edit that names no part: which part of ``step``?"""

    kind: Literal["which_part"] = "which_part"
    step: int
    choices: list[Part]


class Edited(Strict):
    """A part of a step was rewritten (or tests added) and saved; ``verified`` None: not
    checked (no checking system here)."""

    kind: Literal["edited"] = "edited"
    step: int
    part: Part | None = None
    verified: bool | None = None


class Checks(Strict):
    """Steps verified, each with its outcome; ``repairable`` are the failing steps a
    repair round could fix (a model is there to do it)."""

    kind: Literal["checks"] = "checks"
    verified: dict[int, bool]
    repaired: dict[int, int] = Field(default_factory=dict, description="Rounds used per step")
    repairable: list[int] = Field(default_factory=list)


class Proposal(Strict):
    """A brief proposed from the message; generating it is the author's decision."""

    kind: Literal["proposal"] = "proposal"
    brief: TaskBrief


class Explanation(Strict):
    """An explanation, and the steps whose theory it could go into."""

    kind: Literal["explanation"] = "explanation"
    language: Language
    offers: list[int] = Field(default_factory=list)


class Finding(Strict):
    step: int | None = Field(description="None: the whole task")
    text: str
    source: Literal["check", "model"] = "check"


class Findings(Strict):
    kind: Literal["findings"] = "findings"
    findings: list[Finding]


class Exported(Strict):
    kind: Literal["exported"] = "exported"
    format: str
    path: str


class Sections(Strict):
    """The master document's sections an answer quotes."""

    kind: Literal["sections"] = "sections"
    sections: list[str]


class Matches(Strict):
    """Library tasks that match a question."""

    kind: Literal["matches"] = "matches"
    tasks: list[int]


class PassThrough(Strict):
    """How students did on the open task: its pass-through, and the graded steps ordered
    from the most failed."""

    kind: Literal["pass_through"] = "pass_through"
    task: TaskPassThrough
    hardest: list[int]


Result = Annotated[
    Failed
    | Clarify
    | WhichPart
    | Edited
    | Checks
    | Proposal
    | Explanation
    | Findings
    | Exported
    | Sections
    | Matches
    | PassThrough,
    Field(discriminator="kind"),
]

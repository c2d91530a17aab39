"""Domain models: the model's output contract and what the store keeps.

Bounds are deliberate. Schemas sent to a model (``*Draft`` and the small
wrappers) keep every string at most 1,000 characters because llama.cpp's JSON
grammars with larger ``maxLength`` have crashed the server. Stored models may
hold more, since an author edits them by hand.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from coauthor.schemas.figures import Figure
from coauthor.schemas.mutation import EquivalentMark, MutationReport

MAX_IDEA = 20_000
MAX_STEPS = 12
MAX_CODE = 30_000

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Sentence = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=600)]


class Difficulty(StrEnum):
    intern = "intern"
    junior = "junior"
    middle = "middle"
    senior = "senior"


class TaskType(StrEnum):
    one_shot = "one-shot"
    challenge = "challenge"
    quest = "quest"


class Language(StrEnum):
    en = "en"
    ru = "ru"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Lesson(Strict):
    """A learning objective: what the student can do after the task."""

    title: ShortText = Field(description="The skill, as a short imperative phrase")
    detail: str = Field(default="", max_length=300, description="One sentence on why it matters")


class LessonList(Strict):
    lessons: list[Lesson] = Field(min_length=1, max_length=6)


class TaskBrief(Strict):
    """What the author asked for."""

    idea: str = Field(min_length=1, max_length=MAX_IDEA)
    domain: str = Field(default="e-commerce", min_length=1, max_length=100)
    difficulty: Difficulty = Difficulty.junior
    task_type: TaskType = TaskType.quest
    language: Language = Language.en
    steps: int = Field(default=3, ge=1, le=MAX_STEPS)
    lessons: list[Lesson] = Field(default_factory=list, max_length=12)
    exemplar_task: int | None = Field(
        default=None, ge=1, description="The task whose style the drafts follow (pinned)"
    )


class StepOutline(Strict):
    title: ShortText = Field(description="Short title of the step")
    goal: Sentence = Field(description="What the student builds in this step, one sentence")
    lessons: list[Annotated[str, StringConstraints(max_length=200)]] = Field(
        default_factory=list, max_length=6, description="Titles of the lessons this step covers"
    )


class Plan(Strict):
    title: ShortText = Field(description="Title of the whole task")
    steps: list[StepOutline] = Field(min_length=1, max_length=MAX_STEPS)


class Link(Strict):
    title: ShortText
    url: str = Field(min_length=1, max_length=500)


class StepDraft(Strict):
    """The prose part of a step, as the model writes it in one structured reply."""

    story: str = Field(
        min_length=1, max_length=1000, description="The legend: the product, the problem, the ask"
    )
    theory: str = Field(
        min_length=1, max_length=1000, description="Markdown theory the student needs"
    )
    links: list[Link] = Field(default_factory=list, max_length=5)
    requirements: list[Annotated[str, StringConstraints(min_length=1, max_length=300)]] = Field(
        min_length=1, max_length=8, description="Exact requirements to the solution"
    )


class StepSummary(Strict):
    text: str = Field(min_length=1, max_length=1000)


class TestOutcome(StrEnum):
    passed = "passed"
    failed = "failed"
    error = "error"
    skipped = "skipped"
    missing = "missing"


class Verdict(Strict):
    """What the checking system found when it ran a step's tests in the sandbox."""

    verified: bool = Field(
        description="Solution passes every test, no test is weak (passes on the starter and "
        "catches no mutant) and the mutation score reaches the threshold"
    )
    tests: int = Field(default=0, ge=0, description="Number of tests collected")
    solution_outcomes: dict[str, TestOutcome] = Field(default_factory=dict)
    starter_outcomes: dict[str, TestOutcome] = Field(default_factory=dict)
    weak_tests: list[str] = Field(
        default_factory=list,
        description="Tests that pass on the starter and catch no mutant: they check nothing",
    )
    coverage: float | None = Field(default=None, ge=0, le=100)
    problems: list[str] = Field(default_factory=list, description="Why it is not verified")
    warnings: list[str] = Field(
        default_factory=list, description="Weaknesses that do not block (e.g. too few tests)"
    )
    output: str = Field(default="", max_length=20_000, description="Trimmed pytest output")
    isolation: str = ""
    checking_mode: str = Field(
        default="",
        description="process-isolated (the solution ran in its own process) or "
        "in-process, tamper-evident; empty in verdicts from before the modes",
    )
    duration_s: float = 0.0
    repair_rounds: int = 0
    repairs: list[str] = Field(
        default_factory=list, description="What each repair round changed and why"
    )
    mutation: MutationReport | None = Field(
        default=None, description="How many mutants of the solution the tests kill"
    )

    @property
    def failing_tests(self) -> list[str]:
        return [name for name, got in self.solution_outcomes.items() if got != TestOutcome.passed]


class Step(Strict):
    """One finished step with its whole anatomy."""

    title: str = Field(min_length=1, max_length=200)
    goal: str = Field(default="", max_length=1000)
    lessons: list[str] = Field(default_factory=list, max_length=12)
    story: str = Field(max_length=10_000)
    theory: str = Field(max_length=20_000)
    links: list[Link] = Field(default_factory=list, max_length=20)
    requirements: list[str] = Field(default_factory=list, max_length=30)
    starter: str = Field(default="", max_length=MAX_CODE)
    solution: str = Field(default="", max_length=MAX_CODE)
    tests: str = Field(default="", max_length=MAX_CODE)
    flags: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Problems left in this step for the author (e.g. code that does not parse)",
    )
    figures: list[Figure] = Field(default_factory=list, max_length=12)
    equivalent_mutants: list[EquivalentMark] = Field(
        default_factory=list, description="Surviving mutants an author marked as equivalent"
    )
    verdict: Verdict | None = None


class Task(Strict):
    """The content of one revision."""

    brief: TaskBrief
    plan: Plan
    steps: list[Step] = Field(default_factory=list, max_length=MAX_STEPS)
    summary: str = Field(default="", max_length=20_000)

    @property
    def title(self) -> str:
        return self.plan.title

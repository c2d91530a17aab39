"""Turns what an author typed into a TaskBrief, with errors an author can act on."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from coauthor.schemas import MAX_IDEA, MAX_STEPS, Difficulty, Language, TaskBrief, TaskType

E = TypeVar("E", bound=StrEnum)


class BriefError(ValueError):
    """The author's input cannot make a brief; the message says what to change."""


def make_brief(
    idea: str,
    *,
    domain: str = "e-commerce",
    difficulty: str = "junior",
    task_type: str = "quest",
    language: str = "en",
    steps: int = 3,
    exemplar_task: int | None = None,
) -> TaskBrief:
    idea = idea.strip()
    if not idea:
        raise BriefError("the idea is empty; describe the task in a sentence or two")
    if len(idea) > MAX_IDEA:
        raise BriefError(
            f"the idea is {len(idea):,} characters; shorten it to at most {MAX_IDEA:,}"
        )
    domain = domain.strip()
    if not domain or len(domain) > 100:
        raise BriefError("the domain must be 1 to 100 characters, e.g. 'fintech'")
    if not 1 <= steps <= MAX_STEPS:
        raise BriefError(f"the number of steps must be between 1 and {MAX_STEPS}, not {steps}")
    return TaskBrief(
        idea=idea,
        domain=domain,
        difficulty=_choice(Difficulty, difficulty, "difficulty"),
        task_type=_choice(TaskType, task_type, "task type"),
        language=_choice(Language, language, "language"),
        steps=steps,
        exemplar_task=exemplar_task,
    )


def _choice(kind: type[E], value: str, what: str) -> E:
    try:
        return kind(value.strip().lower())
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise BriefError(f"unknown {what} {value!r}; use one of: {allowed}") from None

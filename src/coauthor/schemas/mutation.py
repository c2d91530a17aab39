"""Mutation analysis: how much wrong code a step's tests catch.

A *mutant* is the reference solution with one small fault put in (an operator swapped,
a constant changed, a condition negated, a statement removed). The tests *kill* it when
at least one test that passes on the solution fails or errors on the mutant. The
mutation score is killed / (generated - equivalent); the author marks a surviving mutant
as equivalent (same behaviour as the solution), never the checking system on its own.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_THRESHOLD = 0.8
DEFAULT_MUTANTS = 40


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MutantStatus(StrEnum):
    killed = "killed"
    survived = "survived"
    timeout = "timeout"
    """Hung or ran out of memory: counted as killed (the tests noticed something)."""
    equivalent = "equivalent"
    """Marked by an author as behaving like the solution: left out of the score."""


class Mutant(_Strict):
    """One mutant of the reference solution and what the tests made of it."""

    id: str = Field(
        min_length=1, max_length=40, description="Stable for the same solution and change"
    )
    operator: str = Field(max_length=60, description="e.g. comparison, arithmetic, constant")
    line: int = Field(ge=1, description="Line of the solution the change is on")
    change: str = Field(max_length=300, description="The change in words: '`<` became `<=`'")
    diff: str = Field(default="", max_length=4000, description="Unified diff against the solution")
    status: MutantStatus
    killed_by: list[str] = Field(default_factory=list, description="Tests that caught it")


class EquivalentMark(_Strict):
    """An author's statement that a mutant behaves exactly like the solution."""

    mutant_id: str = Field(min_length=1, max_length=40)
    note: str = Field(default="", max_length=500)
    by: str = Field(default="", max_length=200)


class MutationReport(_Strict):
    """The mutation analysis of one step, kept in its verdict."""

    generated: int = Field(default=0, ge=0)
    killed: int = Field(default=0, ge=0)
    survived: int = Field(default=0, ge=0)
    timed_out: int = Field(default=0, ge=0)
    equivalent: int = Field(default=0, ge=0)
    score: float | None = Field(
        default=None, ge=0, le=1, description="killed (timeouts included) / non-equivalent"
    )
    threshold: float = Field(default=DEFAULT_THRESHOLD, ge=0, le=1)
    mutants: list[Mutant] = Field(default_factory=list)
    duration_s: float = 0.0
    skipped: str = Field(default="", description="Why no analysis ran (e.g. the solution fails)")
    uncovered_lines: list[int] = Field(
        default_factory=list, description="Lines of the solution no test runs"
    )
    problems: list[str] = Field(
        default_factory=list,
        description="What went wrong in the run itself (mutants not run, a tampered report)",
    )

    @property
    def survivors(self) -> list[Mutant]:
        return [m for m in self.mutants if m.status is MutantStatus.survived]

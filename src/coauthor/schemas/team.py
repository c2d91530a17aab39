"""The team: users and their roles, who owns which part of a task, the review workflow and
the comments reviewers leave on steps."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from coauthor.schemas import Strict


class Role(StrEnum):
    author = "author"  # creates and edits tasks
    reviewer = "reviewer"  # comments, requests changes, approves
    admin = "admin"  # users, roles, settings, the master document; may do everything


class Action(StrEnum):
    """What the core checks a user's role for."""

    edit = "edit"  # create, edit, delete, generate, assign parts
    submit = "submit"  # send a task to review
    review = "review"  # request changes, approve
    reopen = "reopen"  # send a task back to draft
    comment = "comment"  # comment, reply, resolve
    export = "export"
    admin = "admin"  # users, roles, settings, master document


ALLOWED: dict[Action, frozenset[Role]] = {
    Action.edit: frozenset({Role.author, Role.admin}),
    Action.submit: frozenset({Role.author, Role.admin}),
    Action.review: frozenset({Role.reviewer, Role.admin}),
    Action.reopen: frozenset({Role.author, Role.reviewer, Role.admin}),
    Action.comment: frozenset({Role.author, Role.reviewer, Role.admin}),
    Action.export: frozenset({Role.author, Role.reviewer, Role.admin}),
    Action.admin: frozenset({Role.admin}),
}
"""Which roles may take each action; admin may take every one."""


class ReviewStatus(StrEnum):
    draft = "draft"
    in_review = "in review"
    changes_requested = "changes requested"
    approved = "approved"


class ReviewMove(StrEnum):
    submit = "submit"
    request_changes = "request-changes"
    approve = "approve"
    reopen = "reopen"


TRANSITIONS: dict[ReviewMove, tuple[frozenset[ReviewStatus], ReviewStatus, Action]] = {
    ReviewMove.submit: (
        frozenset({ReviewStatus.draft, ReviewStatus.changes_requested}),
        ReviewStatus.in_review,
        Action.submit,
    ),
    ReviewMove.request_changes: (
        frozenset({ReviewStatus.in_review}),
        ReviewStatus.changes_requested,
        Action.review,
    ),
    ReviewMove.approve: (
        frozenset({ReviewStatus.in_review}),
        ReviewStatus.approved,
        Action.review,
    ),
    ReviewMove.reopen: (
        frozenset({ReviewStatus.in_review, ReviewStatus.changes_requested, ReviewStatus.approved}),
        ReviewStatus.draft,
        Action.reopen,
    ),
}
"""Each move: the statuses it may start from, where it leads, the action it needs."""


class StepPart(StrEnum):
    """A part of a step a comment can be about."""

    story = "story"
    theory = "theory"
    requirements = "requirements"
    starter = "starter"
    solution = "solution"
    tests = "tests"


class Duty(StrEnum):
    """A part of a task someone can be made responsible for."""

    plan = "plan"  # the whole task's plan
    prose = "prose"  # a step's story, theory and requirements
    code = "code"  # a step's starter, solution and tests
    review = "review"  # a step's review


STEP_DUTIES = (Duty.prose, Duty.code, Duty.review)


class StepOwners(Strict):
    prose: str | None = None
    code: str | None = None
    review: str | None = None


class Assignments(Strict):
    """Who is responsible for what in one task (user names; None: nobody yet)."""

    plan: str | None = None
    steps: dict[int, StepOwners] = Field(default_factory=dict)

    def people(self) -> set[str]:
        named = {self.plan}
        for owners in self.steps.values():
            named |= {owners.prose, owners.code, owners.review}
        return {name for name in named if name}


class Waiver(Strict):
    """Why a step goes to review without a passing verdict."""

    reason: str = Field(min_length=1, max_length=2000)
    by: str | None = None


class User(Strict):
    name: str = Field(min_length=1, max_length=200)
    role: Role
    display_name: str = ""
    created_at: datetime


class ReviewState(Strict):
    task_id: int
    status: ReviewStatus = ReviewStatus.draft
    submitted_revision: int | None = None
    approved_revision: int | None = Field(
        default=None, description="The last approved revision; kept when later edits reopen"
    )
    waivers: dict[int, Waiver] = Field(default_factory=dict)
    assignments: Assignments = Field(default_factory=Assignments)


class ReviewEvent(Strict):
    task_id: int
    revision: int
    move: ReviewMove
    before: ReviewStatus
    after: ReviewStatus
    actor: str | None
    note: str = ""
    created_at: datetime


class Comment(Strict):
    id: int
    task_id: int
    revision: int = Field(description="The revision the comment was made on")
    step: int = Field(ge=1)
    part: StepPart | None = None
    parent_id: int | None = None
    actor: str | None = None
    text: str
    created_at: datetime
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    outdated: bool = Field(
        default=False, description="The step (or part) has changed since that revision"
    )

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None


class ExportRecord(Strict):
    task_id: int
    revision: int
    format: str
    actor: str | None
    created_at: datetime


class ReviewSummary(Strict):
    """What is left to review on a task."""

    task_id: int
    title: str
    status: ReviewStatus
    revision: int
    unverified_steps: list[int] = Field(description="Steps without a passing verdict or waiver")
    waived_steps: list[int]
    open_comments: int
    open_by_step: dict[int, int]
    reviewers: dict[int, str] = Field(description="Step -> the person assigned to review it")

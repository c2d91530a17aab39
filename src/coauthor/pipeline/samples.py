"""The sample library: the shipped example tasks added to a library as ordinary tasks.

An added example is a task like any other (editable, exportable, deletable) whose
revision 1 has the source ``example`` and the note ``example: <slug>``. With a checker,
every step is verified in the sandbox before it is added, so revision 1 holds the
verdicts (an example is never shown as "not verified yet"); a step that fails is added
with its failing verdict and named in ``problems``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from coauthor.examples import SOURCE, Example, examples
from coauthor.pipeline.checking import Judge
from coauthor.schemas import Task
from coauthor.store import Store

Progress = Callable[[str, int, int], None]
"""Told (example title, step number, steps) before each step is verified."""


@dataclass(frozen=True)
class Added:
    slug: str
    title: str
    task_id: int
    new: bool
    """False when the example was already in the library."""
    steps: int = 0
    verified: int | None = None
    """Steps verified when it was added; None when it was not checked (or not added now)."""
    problems: list[str] = field(default_factory=list)
    """One line per step that did not verify: the step and the first reason."""

    @property
    def all_verified(self) -> bool:
        return self.verified is not None and self.verified == self.steps


def example_slug(store: Store, task_id: int) -> str | None:
    """The slug of the example a task was added from, or None for any other task."""
    first = store.revision(task_id, 1)
    if first.source != SOURCE:
        return None
    return first.note.removeprefix(f"{SOURCE}: ")


def added_examples(store: Store) -> dict[str, int]:
    """Slug -> task id of every example in the library (deleted tasks do not count)."""
    found: dict[str, int] = {}
    for info in store.list_tasks():
        slug = example_slug(store, info.id)
        if slug is not None:
            found.setdefault(slug, info.id)
    return found


def add_examples(
    store: Store, *, checker: Judge | None = None, progress: Progress | None = None
) -> list[Added]:
    """Add every shipped example not in the library yet; one entry per example. With
    ``checker`` each new example's steps are verified first (``progress`` hears of each)."""
    present = added_examples(store)
    return [
        _add(store, example, present.get(example.slug), checker, progress) for example in examples()
    ]


def _add(
    store: Store,
    example: Example,
    task_id: int | None,
    checker: Judge | None,
    progress: Progress | None,
) -> Added:
    task = example.task
    title = task.title
    if task_id is not None:
        return Added(slug=example.slug, title=title, task_id=task_id, new=False)
    verified: int | None = None
    problems: list[str] = []
    if checker is not None:
        task, problems = _verified(task, checker, progress)
        verified = len(task.steps) - len(problems)
    info = store.create_task(task, source=SOURCE, note=example.note)
    return Added(
        slug=example.slug,
        title=title,
        task_id=info.id,
        new=True,
        steps=len(task.steps),
        verified=verified,
        problems=problems,
    )


def _verified(task: Task, checker: Judge, progress: Progress | None) -> tuple[Task, list[str]]:
    steps = []
    problems = []
    for number, step in enumerate(task.steps, 1):
        if progress is not None:
            progress(task.title, number, len(task.steps))
        verdict = checker.verdict(step)
        steps.append(step.model_copy(update={"verdict": verdict}))
        if not verdict.verified:
            reason = verdict.problems[0] if verdict.problems else "not verified"
            problems.append(f"step {number}: {reason}")
    return task.model_copy(update={"steps": steps}), problems

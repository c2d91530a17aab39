"""The task library as an author browses it: search, filters, copies, history.

Kept out of the UI so the CLI or the copilot can offer the same operations, and
so that every change (a copy, a restore) is still just a task or a revision.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from coauthor.schemas import Step, Task
from coauthor.store import RevisionInfo, Store, TaskInfo


@dataclass(frozen=True)
class Entry:
    """A task with what the library's filters need from its head revision."""

    info: TaskInfo
    idea: str
    steps: int
    verified: bool | None
    """True: every step verified; None: no step checked yet; False: anything else."""


@dataclass(frozen=True)
class Filters:
    text: str = ""
    domains: tuple[str, ...] = ()
    difficulties: tuple[str, ...] = ()
    task_types: tuple[str, ...] = ()
    verified: bool | None = None
    include_deleted: bool = False


def entries(store: Store, *, include_deleted: bool = False) -> list[Entry]:
    """Every task (newest first) with its verification state."""
    found = []
    for info in store.list_tasks(include_deleted=include_deleted):
        task = store.revision(info.id).task
        found.append(
            Entry(info=info, idea=task.brief.idea, steps=len(task.steps), verified=verified(task))
        )
    return found


def verified(task: Task) -> bool | None:
    verdicts = [step.verdict for step in task.steps]
    if not verdicts or any(v is None for v in verdicts):
        return None if all(v is None for v in verdicts) else False
    return all(v is not None and v.verified for v in verdicts)


def search(found: list[Entry], filters: Filters) -> list[Entry]:
    """The entries that match every filter; text matches title, idea or domain."""
    words = filters.text.lower().split()
    kept = []
    for entry in found:
        info = entry.info
        haystack = f"{info.title} {entry.idea} {info.domain}".lower()
        if (
            all(word in haystack for word in words)
            and (not filters.domains or info.domain in filters.domains)
            and (not filters.difficulties or info.difficulty.value in filters.difficulties)
            and (not filters.task_types or info.task_type.value in filters.task_types)
            and (filters.verified is None or entry.verified is filters.verified)
            and (filters.include_deleted or not info.deleted)
        ):
            kept.append(entry)
    return kept


def duplicate(store: Store, task_id: int) -> TaskInfo:
    """A new task whose revision 1 is a copy of the head of ``task_id``."""
    head = store.revision(task_id)
    return store.create_task(
        head.task, source="duplicate", note=f"copy of task {task_id}, revision {head.number}"
    )


def restore_revision(
    store: Store, task_id: int, *, number: int, base_revision: int | None = None
) -> RevisionInfo:
    """A new head revision with the content of revision ``number``: nothing is lost."""
    old = store.revision(task_id, number)
    return store.add_revision(
        task_id,
        old.task,
        source="restore",
        note=f"restored revision {number}",
        base_revision=base_revision,
    )


def task_text(task: Task) -> list[str]:
    """A task as readable lines, one section per part, so a diff reads like the task."""
    lines = [f"# {task.title}", "", f"Idea: {task.brief.idea}", ""]
    lines += [f"- lesson: {lesson.title}" for lesson in task.brief.lessons]
    for number, step in enumerate(task.steps, 1):
        lines += ["", f"## Step {number}: {step.title}", "", f"Goal: {step.goal}"]
        lines += _step_text(step)
    return lines


def _step_text(step: Step) -> list[str]:
    lines: list[str] = []
    for name, body in (("Story", step.story), ("Theory", step.theory)):
        lines += ["", f"### {name}", *body.splitlines()]
    lines += ["", "### Links", *(f"- {link.title}: {link.url}" for link in step.links)]
    lines += ["", "### Requirements", *(f"- {item}" for item in step.requirements)]
    for name, code in (("Starter", step.starter), ("Solution", step.solution)):
        lines += ["", f"### {name}", *code.splitlines()]
    lines += ["", "### Tests", *step.tests.splitlines()]
    if step.verdict is not None:
        state = "verified" if step.verdict.verified else "NOT verified"
        lines += ["", f"### Verdict: {state}, {step.verdict.tests} tests"]
    return lines


def revision_diff(old: RevisionInfo, new: RevisionInfo) -> str:
    """A unified diff of two revisions' readable text; empty when they read the same."""
    return "\n".join(
        difflib.unified_diff(
            task_text(old.task),
            task_text(new.task),
            fromfile=f"revision {old.number}",
            tofile=f"revision {new.number}",
            lineterm="",
        )
    )

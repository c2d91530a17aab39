"""The sample library: the shipped example tasks added to a library as ordinary tasks.

An added example is a task like any other (editable, exportable, deletable) whose
revision 1 has the source ``example`` and the note ``example: <slug>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from coauthor.examples import SOURCE, Example, examples
from coauthor.store import Store


@dataclass(frozen=True)
class Added:
    slug: str
    title: str
    task_id: int
    new: bool
    """False when the example was already in the library."""


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


def add_examples(store: Store) -> list[Added]:
    """Add every shipped example not in the library yet; one entry per example."""
    present = added_examples(store)
    return [_add(store, example, present.get(example.slug)) for example in examples()]


def _add(store: Store, example: Example, task_id: int | None) -> Added:
    title = example.task.title
    if task_id is not None:
        return Added(slug=example.slug, title=title, task_id=task_id, new=False)
    info = store.create_task(example.task, source=SOURCE, note=example.note)
    return Added(slug=example.slug, title=title, task_id=info.id, new=True)

"""Verify (and optionally repair) steps of a stored task; every change is a revision.

Used after generation: by ``coauthor verify``, the studio's re-verify button and
the copilot. Each repair round is saved as its own revision, so an author can see
and restore what the model changed; the verdicts are saved as the last revision.
"""

from __future__ import annotations

from coauthor.pipeline.checking import Judge, Round, check, step_numbers, verified_note
from coauthor.pipeline.context import Context
from coauthor.pipeline.edit import replace_step
from coauthor.pipeline.events import Events
from coauthor.schemas import Step
from coauthor.store import RevisionInfo, Store


def recheck(
    store: Store,
    task_id: int,
    *,
    checker: Judge,
    steps: list[int] | None = None,
    ctx: Context | None = None,
    rounds: int = 0,
    base_revision: int | None = None,
    events: Events | None = None,
) -> RevisionInfo:
    """Verify ``steps`` (1-based; default all) of revision ``base_revision`` (default the
    head); with ``ctx`` and ``rounds`` > 0 a failing step goes to the model for up to
    ``rounds`` repairs, each saved as a revision with the reason."""
    head = store.revision(task_id, base_revision)
    task = head.task
    numbers = step_numbers(task, steps)
    revision = head.number
    for number in numbers:

        def saved(repaired: Step, done: Round, number: int = number) -> None:
            nonlocal task, revision
            task = replace_step(task, number, repaired)
            note = f"step {number}, {done.note}"
            revision = store.add_revision(
                task_id, task, source="repair", note=note, base_revision=revision
            ).number

        checked = check(
            task.steps[number - 1],
            checker=checker,
            number=number,
            ctx=ctx,
            rounds=rounds,
            events=events,
            on_round=saved,
        )
        task = replace_step(task, number, checked.step)
    note = verified_note(task, numbers if steps else None)
    return store.add_revision(task_id, task, source="verify", note=note, base_revision=revision)

"""Verify (and optionally repair) steps of a stored task; every change is a revision.

Used after generation: by ``coauthor verify``, the studio's re-verify button and
the copilot. Each repair round is saved as its own revision, so an author can see
and restore what the model changed; the verdicts are saved as the last revision.
"""

from __future__ import annotations

from dataclasses import dataclass

from coauthor.pipeline.checking import (
    Judge,
    Round,
    added_round,
    check,
    step_numbers,
    verified_note,
)
from coauthor.pipeline.context import Context
from coauthor.pipeline.edit import replace_step, step_at
from coauthor.pipeline.events import Events
from coauthor.pipeline.strengthen import Added, add_tests, survivors, trials_for
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


class StrengthenError(ValueError):
    """The step has no surviving mutants to add tests for, or no sandbox to try them in."""


@dataclass(frozen=True)
class Strengthened:
    """What an author's "add tests for these" did: the round, and the verified revision
    (None when no new test was kept: then nothing was saved)."""

    added: Added
    revision: RevisionInfo | None


def add_tests_for_survivors(
    store: Store,
    task_id: int,
    number: int,
    *,
    checker: Judge,
    ctx: Context,
    base_revision: int | None = None,
    instruction: str = "",
    source: str = "repair",
) -> Strengthened:
    """One add-tests round on step ``number`` of revision ``base_revision`` (default the
    head), aimed at the survivors of its saved verdict: the kept tests are saved as a
    repair revision, then the step is verified again and saved with its verdict.
    ``instruction`` is the author's wish for the tests, if any."""
    head = store.revision(task_id, base_revision)
    step = step_at(head.task, number)
    verdict = step.verdict
    if verdict is None or not survivors(step, verdict):
        raise StrengthenError(
            f"step {number} has no surviving mutants to add tests for; verify it first"
        )
    trials = trials_for(checker)
    if trials is None:
        raise StrengthenError("no sandbox to try new tests in")
    added = add_tests(ctx, step, verdict, number=number, trials=trials, instruction=instruction)
    if not added.added:
        return Strengthened(added, None)
    done = added_round(1, added, before=step)
    task = replace_step(head.task, number, added.step)
    note = f"step {number}, {done.note}"
    base = store.add_revision(
        task_id, task, source=source, note=note, base_revision=head.number
    ).number
    checked = check(added.step, checker=checker, number=number)
    judged = checked.verdict.model_copy(update={"repair_rounds": 1, "repairs": [done.note]})
    task = replace_step(task, number, checked.step.model_copy(update={"verdict": judged}))
    saved = store.add_revision(
        task_id, task, source="verify", note=verified_note(task, [number]), base_revision=base
    )
    return Strengthened(added, saved)

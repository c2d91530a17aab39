"""Composes the stages into a run, checkpointing each finished stage in the store.

Stages of a run, in order: ``lessons`` (only when the brief has none), ``plan``,
then ``step:N``, ``verify:N`` (when checking) and ``summary:N`` for each step. A
stage's output is saved as a checkpoint the moment it finishes, so a run killed at
any point resumes with at most the stage that was in flight redone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from pydantic import BaseModel

from coauthor.llm.base import Model
from coauthor.pipeline.checking import Checked, Judge, check, verified_note
from coauthor.pipeline.checkpoints import Checkpoints, LessonsDone, SummaryDone
from coauthor.pipeline.claims import claim
from coauthor.pipeline.context import Context
from coauthor.pipeline.events import Events
from coauthor.pipeline.exemplars import choose, remember_made
from coauthor.pipeline.figures import FigureDrawer
from coauthor.pipeline.lessons import lessons
from coauthor.pipeline.plan import plan
from coauthor.pipeline.step import step
from coauthor.pipeline.summary import summary
from coauthor.schemas import Plan, Step, Task, TaskBrief
from coauthor.schemas.calls import CallRecord
from coauthor.schemas.runs import RunOptions
from coauthor.store import RevisionInfo, RunInfo, Store

M = TypeVar("M", bound=BaseModel)


class RunFailedError(Exception):
    """A run stopped on a fault; it is saved as failed and can be resumed."""

    def __init__(self, message: str, *, run_id: int) -> None:
        super().__init__(message)
        self.run_id = run_id


class RunCancelledError(Exception):
    """The author cancelled the run; what finished stays checkpointed and resumable."""


@dataclass(frozen=True)
class Outcome:
    run: RunInfo
    revision: RevisionInfo


def start_run(
    store: Store,
    brief: TaskBrief,
    *,
    model: str,
    plan: Plan | None = None,
    options: RunOptions | None = None,
) -> RunInfo:
    """Save a new run (the one way to create one); an author's edited plan (and the brief's
    lessons) are used as given: the plan is saved as the run's ``plan`` checkpoint, so
    the runner does not generate another one."""
    if plan is not None and len(plan.steps) != brief.steps:
        brief = brief.model_copy(update={"steps": len(plan.steps)})
    options = (options or RunOptions()).model_copy(update={"given_plan": plan is not None})
    run = store.create_run(brief, model=model, options=options)
    if plan is not None:
        store.save_checkpoint(run.id, "plan", plan.model_dump(mode="json"))
    return run


class Runner:
    """Runs and resumes generation runs against one store and one model."""

    def __init__(
        self,
        store: Store,
        model: Model,
        *,
        master: str,
        events: Events | None = None,
        checker: Judge | None = None,
        repair_rounds: int = 2,
        exemplar_tokens: int = 600,
        figures: FigureDrawer | None = None,
    ):
        self.store = store
        self.model = model
        self.master = master
        self.events = events or Events()
        self.checker = checker
        self.repair_rounds = repair_rounds
        self.exemplar_tokens = exemplar_tokens
        self.figures = figures
        """How figures are drawn; by default the store's house style and sandbox_for()."""

    def drawer(self) -> FigureDrawer:
        if self.figures is None:
            self.figures = FigureDrawer.for_store(self.store)
        return self.figures

    def execute(self, run_id: int) -> Outcome:
        """Run (or resume) ``run_id`` to the end; a fault marks it failed and re-raises."""
        run = self.store.run(run_id)
        if run.status == "done" and run.task_id is not None:
            return Outcome(run=run, revision=self.store.revision(run.task_id))
        claim(self.store, run)  # before the try: a refused claim changes nothing
        with self.store.holding():
            return self._execute(run)

    def _execute(self, run: RunInfo) -> Outcome:
        run_id = run.id
        stage = _Stage(self.store, run_id)
        try:
            task, earlier = self._stages(run, stage)
            note = verified_note(task) if self.checker is not None else ""
            source = "verify" if earlier else "generate"
            revision = self.store.finish_run(
                run_id, task, source=source, note=note, earlier=earlier
            )
            if run.task_id is None:  # a new task: its first revision is this run's
                remember_made(self.store, revision)
        except RunCancelledError:
            self.store.set_run_status(run_id, "cancelled", error=f"cancelled at {stage.name}")
            raise
        except BaseException as exc:
            reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc)
            self.store.set_run_status(run_id, "failed", error=f"{stage.name}: {reason}")
            if isinstance(exc, Exception):
                raise RunFailedError(f"{stage.name}: {exc}", run_id=run_id) from exc
            raise
        finally:
            self.events.run_ended()
        return Outcome(run=self.store.run(run_id), revision=revision)

    def _stages(self, run: RunInfo, stage: _Stage) -> tuple[Task, list[Snapshot]]:
        """The finished task, and the versions before it when repairs changed steps."""
        done = Checkpoints(self.store, run.id)
        finished = len(done) - (1 if run.options.given_plan and "plan" in done.saved else 0)
        if finished > 0:
            self.events.note(f"resuming after {finished} finished stages")
        exemplar = choose(self.store, run.brief, budget_tokens=self.exemplar_tokens)
        if exemplar is not None:
            self.events.note(f"exemplar: {exemplar.source} '{exemplar.title}'")
        model = self.model.hooked(record=stage.record)
        ctx = Context(model, self.master, run.brief.language, exemplar)
        brief = run.brief
        total = brief.steps
        events = self.events
        if not brief.lessons:
            made = stage.run(
                "lessons", LessonsDone, done, events, total, partial(_lessons, ctx, brief)
            )
            brief = brief.model_copy(update={"lessons": made.lessons})
        the_plan = stage.run("plan", Plan, done, events, total, partial(plan, ctx, brief))
        steps: list[Step] = []
        repaired: dict[int, Checked] = {}
        rolling = ""
        for number in range(1, len(the_plan.steps) + 1):
            write = partial(step, ctx, brief, the_plan, number, rolling, figures=self.drawer)
            made_step = stage.run(f"step:{number}", Step, done, events, total, write, step=number)
            for flag in made_step.flags:
                events.note(f"step {number}: {flag}")
            if self.checker is not None:
                verify = partial(self._checked, ctx, made_step, number)
                checked = stage.run(
                    f"verify:{number}", Checked, done, events, total, verify, step=number
                )
                events.verdict(number, checked.verdict)
                made_step = checked.step
                if checked.rounds:
                    repaired[number] = checked
            steps.append(made_step)
            condense = partial(_summary, ctx, rolling, made_step, number)
            rolling = stage.run(
                f"summary:{number}", SummaryDone, done, events, total, condense, step=number
            ).text
        task = Task(brief=brief, plan=the_plan, steps=steps, summary=rolling)
        return task, _snapshots(task, repaired)

    def _checked(self, ctx: Context, made: Step, number: int) -> Checked:
        assert self.checker is not None
        return check(
            made,
            checker=self.checker,
            number=number,
            ctx=ctx,
            rounds=self.repair_rounds,
            events=self.events,
        )


class _Stage:
    """Tracks the stage in flight, so logbook rows and failures name it."""

    def __init__(self, store: Store, run_id: int) -> None:
        self.store = store
        self.run_id = run_id
        self.name = "start"

    def record(self, record: CallRecord) -> None:
        self.store.log_call(record, stage=self.name, run_id=self.run_id)

    def run(
        self,
        name: str,
        kind: type[M],
        done: Checkpoints,
        events: Events,
        total: int,
        work: Callable[[], M],
        *,
        step: int | None = None,
    ) -> M:
        self.name = name
        label = name.split(":")[0]
        events.stage_started(label, step=step, total=total)
        found = done.get(name, kind)
        if found is None:
            found = work()
            done.save(name, found)
        events.stage_finished(label, step=step, total=total)
        return found


Snapshot = tuple[Task, str, str]
"""A version of a task saved before the final one: (task, source, note)."""


def _snapshots(task: Task, repaired: dict[int, Checked]) -> list[Snapshot]:
    """The task as generated, then after each repair round; empty when nothing was repaired."""
    if not repaired:
        return []
    current = list(task.steps)
    versions = {number: checked.versions() for number, checked in repaired.items()}
    for number, steps in versions.items():
        current[number - 1] = steps[0][0]
    snapshots = [(task.model_copy(update={"steps": list(current)}), "generate", "as generated")]
    for number in sorted(versions):
        for version, note in versions[number][1:]:
            current[number - 1] = version
            snapshots.append(
                (
                    task.model_copy(update={"steps": list(current)}),
                    "repair",
                    f"step {number}, {note}",
                )
            )
    return snapshots


def _summary(ctx: Context, rolling: str, made: Step, number: int) -> SummaryDone:
    return SummaryDone(text=summary(ctx, rolling, made, number=number))


def _lessons(ctx: Context, brief: TaskBrief) -> LessonsDone:
    return LessonsDone(lessons=lessons(ctx, brief.idea))

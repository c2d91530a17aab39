"""Composes the stages into a run, checkpointing each finished stage in the store.

Stages of a run, in order: ``lessons`` (only when the brief has none), ``plan``,
then ``step:N`` and ``summary:N`` for each step. A stage's output is saved as a
checkpoint the moment it finishes, so a run killed at any point resumes with at
most the stage that was in flight redone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from coauthor.llm.base import CallRecord, Model
from coauthor.pipeline.context import Context
from coauthor.pipeline.events import Events
from coauthor.pipeline.lessons import lessons
from coauthor.pipeline.plan import plan
from coauthor.pipeline.repair import repair
from coauthor.pipeline.step import step
from coauthor.pipeline.summary import summary
from coauthor.pipeline.verify import Checker
from coauthor.schemas import Lesson, Plan, Step, Task, TaskBrief, Verdict
from coauthor.store import RevisionInfo, RunInfo, Store


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


def start_run(store: Store, brief: TaskBrief, *, model: str, plan: Plan | None = None) -> RunInfo:
    """Save a new run; an author's edited plan (and the brief's lessons) are used as given.

    The plan is saved as the run's ``plan`` checkpoint, so the runner does not
    generate another one.
    """
    if plan is not None and len(plan.steps) != brief.steps:
        brief = brief.model_copy(update={"steps": len(plan.steps)})
    run = store.create_run(brief, model=model)
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
        checker: Checker | None = None,
        repair_rounds: int = 2,
    ):
        self.store = store
        self.model = model
        self.master = master
        self.events = events or Events()
        self.checker = checker
        self.repair_rounds = repair_rounds

    def start(self, brief: TaskBrief) -> RunInfo:
        """Save a new run for ``brief``; nothing is generated yet."""
        return self.store.create_run(brief, model=self.model.name)

    def execute(self, run_id: int) -> Outcome:
        """Run (or resume) ``run_id`` to the end; a fault marks it failed and re-raises."""
        run = self.store.run(run_id)
        if run.status == "done" and run.task_id is not None:
            return Outcome(run=run, revision=self.store.revision(run.task_id))
        self.store.set_run_status(run_id, "running")
        stage = _Stage(self.store, run_id)
        self.model.recorder = stage.record
        try:
            task, earlier = self._stages(run, stage)
            note = _verified_note(task) if self.checker is not None else ""
            source = "verify" if earlier else "generate"
            revision = self.store.finish_run(
                run_id, task, source=source, note=note, earlier=earlier
            )
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
            self.model.recorder = None
        return Outcome(run=self.store.run(run_id), revision=revision)

    def _stages(self, run: RunInfo, stage: _Stage) -> tuple[Task, list[Snapshot]]:
        """The finished task, and the versions before it when repairs changed steps."""
        done = self.store.checkpoints(run.id)
        if done:
            self.events.note(f"resuming run {run.id} after {len(done)} finished stages")
        ctx = Context(self.model, self.master, run.brief.language)
        brief = run.brief
        total = brief.steps
        if not brief.lessons:
            data = stage.run("lessons", done, self.events, total, partial(_lessons, ctx, brief))
            brief = brief.model_copy(update={"lessons": _lesson_list(data)})
        made_plan = stage.run("plan", done, self.events, total, partial(_plan, ctx, brief))
        the_plan = Plan.model_validate(made_plan)
        steps: list[Step] = []
        repaired: dict[int, dict[str, Any]] = {}
        rolling = ""
        for number in range(1, len(the_plan.steps) + 1):
            write = partial(_step, ctx, brief, the_plan, number, rolling)
            made = stage.run(f"step:{number}", done, self.events, total, write, step=number)
            for flag in Step.model_validate(made).flags:
                self.events.note(f"step {number}: {flag}")
            if self.checker is not None:
                check = partial(self._verified, ctx, made, number)
                checked = stage.run(
                    f"verify:{number}", done, self.events, total, check, step=number
                )
                made = checked["step"]
                self.events.verdict(number, Verdict.model_validate(made["verdict"]))
                if checked["changes"]:
                    repaired[number] = checked
            steps.append(Step.model_validate(made))
            condense = partial(_summary, ctx, rolling, steps[-1], number)
            rolling = stage.run(
                f"summary:{number}", done, self.events, total, condense, step=number
            )["text"]
        task = Task(brief=brief, plan=the_plan, steps=steps, summary=rolling)
        return task, _snapshots(task, repaired)

    def _verified(self, ctx: Context, made: dict[str, Any], number: int) -> dict[str, Any]:
        """The step after verification and up to ``repair_rounds`` repairs, with its verdict,
        and each version it went through (so every round becomes a revision)."""
        assert self.checker is not None
        step = Step.model_validate(made)
        verdict = self.checker.verdict(step)
        versions: list[dict[str, Any]] = []
        changes: list[str] = []
        while not verdict.verified and len(changes) < self.repair_rounds:
            versions.append(step.model_dump(mode="json"))
            step, change = repair(ctx, step, verdict, number=number)
            changes.append(f"round {len(changes) + 1}: {change}")
            self.events.note(f"step {number}: {changes[-1]}")
            verdict = self.checker.verdict(step)
        verdict = verdict.model_copy(update={"repair_rounds": len(changes), "repairs": changes})
        final = step.model_copy(update={"verdict": verdict}).model_dump(mode="json")
        return {"step": final, "versions": versions, "changes": changes}


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
        done: dict[str, dict[str, Any]],
        events: Events,
        total: int,
        work: Callable[[], dict[str, Any]],
        *,
        step: int | None = None,
    ) -> dict[str, Any]:
        self.name = name
        kind = name.split(":")[0]
        events.stage_started(kind, step=step, total=total)
        if name in done:
            data = done[name]
        else:
            data = work()
            self.store.save_checkpoint(self.run_id, name, data)
        events.stage_finished(kind, step=step, total=total)
        return data


Snapshot = tuple[Task, str, str]
"""A version of a task saved before the final one: (task, source, note)."""


def _snapshots(task: Task, repaired: dict[int, dict[str, Any]]) -> list[Snapshot]:
    """The task as generated, then after each repair round; empty when nothing was repaired."""
    if not repaired:
        return []
    current = list(task.steps)
    for number, checked in repaired.items():
        current[number - 1] = Step.model_validate(checked["versions"][0])
    snapshots = [(task.model_copy(update={"steps": list(current)}), "generate", "as generated")]
    for number, checked in sorted(repaired.items()):
        final = task.steps[number - 1].model_copy(update={"verdict": None})
        after = [Step.model_validate(v) for v in checked["versions"][1:]] + [final]
        for version, change in zip(after, checked["changes"], strict=True):
            current[number - 1] = version
            note = f"step {number}, {change}"
            snapshots.append((task.model_copy(update={"steps": list(current)}), "repair", note))
    return snapshots


def _verified_note(task: Task) -> str:
    verified = sum(1 for step in task.steps if step.verdict and step.verdict.verified)
    return f"verified {verified} of {len(task.steps)} steps"


def _step(
    ctx: Context, brief: TaskBrief, the_plan: Plan, number: int, rolling: str
) -> dict[str, Any]:
    return step(ctx, brief, the_plan, number, rolling).model_dump()


def _summary(ctx: Context, rolling: str, made: Step, number: int) -> dict[str, Any]:
    return {"text": summary(ctx, rolling, made, number=number)}


def _plan(ctx: Context, brief: TaskBrief) -> dict[str, Any]:
    return plan(ctx, brief).model_dump()


def _lessons(ctx: Context, brief: TaskBrief) -> dict[str, Any]:
    return {"lessons": [lesson.model_dump() for lesson in lessons(ctx, brief.idea)]}


def _lesson_list(data: dict[str, Any]) -> list[Lesson]:
    return [Lesson.model_validate(item) for item in data["lessons"]]

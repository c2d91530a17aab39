"""The ``verify`` intent, and what every module that changes a step shares:
which step a message means, re-verification through the checking seam, saving."""

from __future__ import annotations

from collections.abc import Callable

from coauthor.copilot.intents import Intent
from coauthor.copilot.phrases import say
from coauthor.copilot.session import CopilotError, Reply, Request, Session, Verifier
from coauthor.llm.base import Model
from coauthor.pipeline.context import Context
from coauthor.pipeline.edit import replace_step
from coauthor.pipeline.repair import repair
from coauthor.pipeline.verify import Checker
from coauthor.schemas import Language, Step, Task
from coauthor.store import ConflictError, RevisionInfo


def open_task(session: Session, lang: Language) -> RevisionInfo:
    if session.task_id is None:
        raise CopilotError(say("no_task", lang))
    return session.head()


def named_step(request: Request, task: Task) -> int | None:
    """The step the message names ("last step" included), or None if it names none."""
    number = request.slots.step
    if number is None and request.slots.last_step:
        number = len(task.steps)
    if number is not None and not 1 <= number <= len(task.steps):
        raise CopilotError(
            say("no_such_step", request.language, steps=len(task.steps), step=number)
        )
    return number


def step_number(request: Request, task: Task) -> int:
    """The step to change: the one named, or the only one; else ask which."""
    number = named_step(request, task)
    if number is None and len(task.steps) == 1:
        return 1
    if number is None:
        raise CopilotError(say("which_step", request.language, steps=len(task.steps)))
    return number


def rechecked(session: Session, task: Task, number: int, lang: Language) -> tuple[Task, str]:
    """The task with step ``number`` verified (if a checker is plugged in) and a status line."""
    if session.verify is None:
        return task, say("no_checker", lang)
    task = session.verify(task, number)
    verdict = task.steps[number - 1].verdict
    if verdict is not None and verdict.verified:
        return task, say("verified", lang, tests=verdict.tests)
    return task, say("not_verified", lang, problems=problems(task.steps[number - 1]))


def problems(step: Step) -> str:
    verdict = step.verdict
    if verdict is None:
        return "no verdict"
    found = list(verdict.problems)
    if verdict.failing_tests:
        found.append("the solution fails " + ", ".join(verdict.failing_tests[:5]))
    if verdict.weak_tests:
        found.append("tests that pass on the starter: " + ", ".join(verdict.weak_tests[:5]))
    return "; ".join(found) or "unknown reason"


def save(
    session: Session, head: RevisionInfo, task: Task, *, note: str, lang: Language
) -> RevisionInfo:
    """A new head revision on top of ``head``; refused if someone saved in between."""
    try:
        return session.store.add_revision(
            head.task_id, task, source="copilot", note=note[:500], base_revision=head.number
        )
    except ConflictError:
        raise CopilotError(say("conflict", lang)) from None


def task_link(revision: RevisionInfo) -> str:
    return f"task:{revision.task_id}@{revision.number}"


def verify(session: Session, request: Request) -> Reply:
    """Run the checking system on one step or all of them; a new revision keeps the verdicts."""
    lang = request.language
    if session.verify is None:
        return Reply(say("verify_unavailable", lang), Intent.verify)
    head = open_task(session, lang)
    task = head.task
    number = named_step(request, task)
    numbers = [number] if number is not None else list(range(1, len(task.steps) + 1))
    lines = []
    for n in numbers:
        task = session.verify(task, n)
        lines.append(_step_line(task.steps[n - 1], n, lang))
    saved = save(session, head, task, note=request.text, lang=lang)
    text = "\n".join([say("checked", lang, revision=saved.number), *lines])
    verdicts = {n: _verified(task.steps[n - 1]) for n in numbers}
    return Reply(
        text,
        Intent.verify,
        revision=saved.number,
        links=(task_link(saved),),
        data={"verified": verdicts},
    )


def _verified(step: Step) -> bool:
    return step.verdict is not None and step.verdict.verified


def _step_line(step: Step, number: int, lang: Language) -> str:
    verdict = step.verdict
    if verdict is None or not verdict.verified:
        return "- " + say("step_bad", lang, step=number, problems=problems(step))
    coverage = "" if verdict.coverage is None else f", {verdict.coverage:.0f}% coverage"
    rounds = say("repaired", lang, rounds=verdict.repair_rounds) if verdict.repair_rounds else ""
    return "- " + say(
        "step_ok", lang, step=number, tests=verdict.tests, coverage=coverage, rounds=rounds
    )


def checking_system(
    checker: Checker | Callable[[], Checker],
    *,
    model: Callable[[], Model] | None = None,
    master: str = "",
    rounds: int = 0,
) -> Verifier:
    """The sandbox's differential oracle behind the session's ``verify`` seam.

    With a model and ``rounds`` > 0 a failing step goes to repair, as with
    ``coauthor verify --repair``; the caller saves the result as one revision.
    The checker may be a factory, so a chat that never verifies builds no sandbox.
    """
    made: list[Checker] = []

    def verify_step(task: Task, number: int) -> Task:
        if not made:
            made.append(checker if isinstance(checker, Checker) else checker())
        step = task.steps[number - 1]
        verdict = made[0].verdict(step)
        repairs: list[str] = []
        while not verdict.verified and model is not None and len(repairs) < rounds:
            ctx = Context(model(), master, task.brief.language)
            step, change = repair(ctx, step, verdict, number=number)
            repairs.append(f"round {len(repairs) + 1}: {change}")
            verdict = made[0].verdict(step)
        verdict = verdict.model_copy(update={"repair_rounds": len(repairs), "repairs": repairs})
        return replace_step(task, number, step.model_copy(update={"verdict": verdict}))

    return verify_step

"""The ``verify`` intent, and what every module that changes a step shares:
which step a message means, re-verification through the checking service, saving."""

from __future__ import annotations

from coauthor.copilot.intents import Intent
from coauthor.copilot.phrases import say
from coauthor.copilot.results import Checks
from coauthor.copilot.session import CopilotError, Reply, Request, Session
from coauthor.pipeline.checking import check, step_numbers
from coauthor.pipeline.context import Context
from coauthor.pipeline.edit import EditError, replace_step
from coauthor.pipeline.recheck import recheck
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
    if number is not None:
        try:
            step_numbers(task, [number])
        except EditError:
            raise CopilotError(
                say("no_such_step", request.language, steps=len(task.steps), step=number)
            ) from None
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
    """The task with step ``number`` verified (where a checking system is plugged in) and
    a status line. Verifying only: an edit is never repaired behind the author's back."""
    judge = session.judge()
    if judge is None:
        return task, say("no_checker", lang)
    checked = check(task.steps[number - 1], checker=judge, number=number)
    task = replace_step(task, number, checked.step)
    if checked.verdict.verified:
        return task, say("verified", lang, tests=checked.verdict.tests)
    return task, say("not_verified", lang, problems=problems(checked.step))


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
    """Run the checking system on one step or all of them (seconds); a new revision keeps
    the verdicts. Repair rounds (minutes of model calls) run only when the message asks
    for them (``repair`` slot); otherwise the reply offers them for the failing steps."""
    lang = request.language
    judge = session.judge()
    if judge is None:
        return Reply(say("verify_unavailable", lang), Intent.verify)
    head = open_task(session, lang)
    number = named_step(request, head.task)
    numbers = [number] if number is not None else None
    repairing = request.slots.repair and session.model is not None and session.repair_rounds > 0
    ctx = Context(session.llm(), session.master, head.task.brief.language) if repairing else None
    try:
        saved = recheck(
            session.store,
            head.task_id,
            checker=judge,
            steps=numbers,
            ctx=ctx,
            rounds=session.repair_rounds if repairing else 0,
            base_revision=head.number,
        )
    except ConflictError:
        raise CopilotError(say("conflict", lang)) from None
    chosen = numbers or list(range(1, len(saved.task.steps) + 1))
    steps = {n: saved.task.steps[n - 1] for n in chosen}
    verdicts = {n: _verified(step) for n, step in steps.items()}
    failing = [n for n, ok in verdicts.items() if not ok]
    offer = failing if not repairing and session.model is not None and session.repair_rounds else []
    lines = [_step_line(step, n, lang) for n, step in steps.items()]
    if offer:
        lines.append(say("offer_repair", lang, count=len(offer)))
    rounds = {
        n: s.verdict.repair_rounds
        for n, s in steps.items()
        if s.verdict and s.verdict.repair_rounds
    }
    return Reply(
        "\n".join([say("checked", lang, revision=saved.number), *lines]),
        Intent.verify,
        revision=saved.number,
        links=(task_link(saved),),
        result=Checks(verified=verdicts, repaired=rounds, repairable=offer),
    )


def _verified(step: Step) -> bool:
    return step.verdict is not None and step.verdict.verified


def _step_line(step: Step, number: int, lang: Language) -> str:
    verdict = step.verdict
    if verdict is None or not verdict.verified:
        return "- " + say("step_bad", lang, step=number, problems=problems(step))
    coverage = "" if verdict.coverage is None else f", {verdict.coverage:.0f}% coverage"
    if verdict.mutation is not None and verdict.mutation.score is not None:
        coverage += say("mutation_score", lang, score=f"{verdict.mutation.score:.2f}")
    rounds = say("repaired", lang, rounds=verdict.repair_rounds) if verdict.repair_rounds else ""
    return "- " + say(
        "step_ok", lang, step=number, tests=verdict.tests, coverage=coverage, rounds=rounds
    )

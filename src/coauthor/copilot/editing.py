"""The ``edit_step`` and ``add_tests`` intents, and putting an explanation into a step's theory.

Each change is a new revision (source ``copilot``, the author's message as its
note), re-verified through the session's checking seam.
"""

from __future__ import annotations

import re

from coauthor.copilot.checking import (
    open_task,
    problems,
    rechecked,
    save,
    step_number,
    task_link,
)
from coauthor.copilot.intents import Intent, Slots
from coauthor.copilot.phrases import part_name, say
from coauthor.copilot.results import Edited, WhichPart
from coauthor.copilot.session import CopilotError, Reply, Request, Session
from coauthor.pipeline.context import Context
from coauthor.pipeline.edit import Part, add_tests, regenerate, replace_step
from coauthor.pipeline.figures import FigureDrawer, draw_figures
from coauthor.pipeline.labels import one_line
from coauthor.pipeline.recheck import add_tests_for_survivors
from coauthor.pipeline.strengthen import survivors, trials_for
from coauthor.schemas import Language, Step
from coauthor.schemas.figures import FigureIdea, FigureStatus, figure_name
from coauthor.store import ConflictError, RevisionInfo


def edit_step(session: Session, request: Request) -> Reply:
    """Rewrite one part of one step as the message asks; the author's words are the instruction."""
    lang = request.language
    head = open_task(session, lang)
    number = step_number(request, head.task)
    if request.slots.figure is not None:
        return add_figure(session, request, head, number, request.slots.figure)
    if request.slots.part is None:
        return Reply(
            say("which_part", lang, step=number),
            Intent.edit_step,
            result=WhichPart(step=number, choices=list(Part)),
        )
    part = Part(request.slots.part)
    ctx = Context(session.llm(), session.master, head.task.brief.language)
    step = regenerate(ctx, head.task, number, part, instruction=request.text)
    task, status = rechecked(session, replace_step(head.task, number, step), number, lang)
    saved = save(session, head, task, note=request.text, lang=lang)
    text = say(
        "edited",
        lang,
        step=number,
        part=part_name(part.value, lang),
        revision=saved.number,
        status=status,
    )
    result = Edited(step=number, part=part, verified=_verified(task.steps[number - 1]))
    return Reply(
        text, Intent.edit_step, revision=saved.number, links=(task_link(saved),), result=result
    )


_WANTED = re.compile(
    r"(?:chart|graph|plot|diagram|figure|picture|image|histogram|график|диаграмм[а-я]*|"
    r"схем[а-я]*|рисун[а-я]*)\s+(?:of|showing|with|for|about|—|-|:)?\s*(?P<what>.+?)"
    r"(?:\s+(?:to|in|into|on|for|в|на|к|для)\s+(?:the\s+)?(?:\w+\s+)?(?:step|шаг)\b.*)?$",
    re.IGNORECASE,
)


def _caption(text: str) -> str:
    """What the picture should show, as the author put it ("the retention curve")."""
    found = _WANTED.search(text.strip().rstrip(".!?"))
    wanted = found.group("what").strip(" .,:;") if found else ""
    return (wanted or text.strip())[:200]


def add_figure(
    session: Session, request: Request, head: RevisionInfo, number: int, kind: str
) -> Reply:
    """Draw the picture the message asks for into step ``number`` and save it; a figure
    that cannot be drawn is kept, failed and flagged, and the reply says so."""
    lang = request.language
    step = head.task.steps[number - 1]
    caption = _caption(request.text)
    idea = FigureIdea(
        name=figure_name(caption, {f.name for f in step.figures}),
        kind="diagram" if kind == "diagram" else "chart",
        caption=caption,
        alt=caption[:300],
        purpose=request.text[:300],
    )
    ctx = Context(session.llm(), session.master, head.task.brief.language)
    drawer = FigureDrawer.for_store(session.store)
    drawn = draw_figures(ctx, step, [idea], drawer, number=number, title=head.task.title)
    task = replace_step(head.task, number, drawn)
    saved = save(session, head, task, note=request.text, lang=lang)
    figure = drawn.figures[-1]
    values = {
        "step": number,
        "kind": idea.kind,
        "kind_ru": "график" if idea.kind == "chart" else "диаграмма",
        "name": figure.name,
        "revision": saved.number,
    }
    if figure.status is FigureStatus.rendered:
        text = say("figure_added", lang, **values)
    else:
        text = say("figure_failed", lang, error=one_line(figure.error, limit=160), **values)
    result = Edited(step=number, part=None, verified=_verified(drawn))
    return Reply(
        text, Intent.edit_step, revision=saved.number, links=(task_link(saved),), result=result
    )


def strengthen_tests(session: Session, request: Request) -> Reply:
    """Extend a step's tests as asked; the verdict says whether the starter still fails
    and the solution still passes. When mutants of the step's solution survive its tests
    (and a checking system is here to try new tests), the new tests are aimed at the
    survivors and kept only if the sandbox shows they catch one."""
    lang = request.language
    head = open_task(session, lang)
    number = step_number(request, head.task)
    ctx = Context(session.llm(), session.master, head.task.brief.language)
    current = head.task.steps[number - 1]
    judge = session.judge()
    if (
        judge is not None
        and current.verdict is not None
        and survivors(current, current.verdict)
        and trials_for(judge) is not None
    ):
        return _kill_survivors(session, request, head, number, ctx)
    step = add_tests(ctx, head.task, number, instruction=request.text)
    task, status = rechecked(session, replace_step(head.task, number, step), number, lang)
    saved = save(session, head, task, note=request.text, lang=lang)
    text = say("tests_added", lang, step=number, revision=saved.number, status=status)
    result = Edited(step=number, part=Part.tests, verified=_verified(task.steps[number - 1]))
    return Reply(
        text, Intent.add_tests, revision=saved.number, links=(task_link(saved),), result=result
    )


def _kill_survivors(
    session: Session, request: Request, head: RevisionInfo, number: int, ctx: Context
) -> Reply:
    lang = request.language
    judge = session.judge()
    assert judge is not None
    try:
        result = add_tests_for_survivors(
            session.store,
            head.task_id,
            number,
            checker=judge,
            ctx=ctx,
            base_revision=head.number,
            instruction=request.text,
            source="copilot",
        )
    except ConflictError:
        raise CopilotError(say("conflict", lang)) from None
    added, saved = result.added, result.revision
    if saved is None:
        text = say("survivors_none_kept", lang, step=number, reason=added.reason)
        return Reply(text, Intent.add_tests, result=Edited(step=number, part=Part.tests))
    step = saved.task.steps[number - 1]
    verified = step.verdict is not None and step.verdict.verified
    status = (
        say("verified", lang, tests=step.verdict.tests)
        if step.verdict is not None and verified
        else say("not_verified", lang, problems=problems(step))
    )
    text = say(
        "survivors_killed",
        lang,
        step=number,
        tests=", ".join(added.added),
        killed=len(added.killed),
        tried=len(added.tried),
        revision=saved.number,
        status=status,
    )
    return Reply(
        text,
        Intent.add_tests,
        revision=saved.number,
        links=(task_link(saved),),
        result=Edited(step=number, part=Part.tests, verified=verified),
    )


def put_into_theory(session: Session, number: int, text: str, *, lang: Language) -> Reply:
    """Append an explanation to step ``number``'s theory (what ``explain`` offers); the
    answer joins the task's chat history. The code is untouched, so the step keeps its
    verdict."""
    head = open_task(session, lang)
    number = step_number(Request(text, Slots(step=number), lang), head.task)
    current = head.task.steps[number - 1]
    theory = f"{current.theory.rstrip()}\n\n{text.strip()}".strip()
    task = replace_step(head.task, number, current.model_copy(update={"theory": theory}))
    saved = save(session, head, task, note=f"explanation added to step {number}", lang=lang)
    answer = say("theory_added", lang, step=number, revision=saved.number)
    meta = {"intent": Intent.explain.value, "revision": saved.number, "links": [task_link(saved)]}
    session.store.add_chat_message(session.task_id, "assistant", answer, meta=meta)
    return Reply(
        answer,
        Intent.explain,
        revision=saved.number,
        links=(task_link(saved),),
        result=Edited(step=number, part=Part.theory, verified=_verified(current)),
    )


def _verified(step: Step) -> bool | None:
    """None: not checked (no checking system here)."""
    return None if step.verdict is None else step.verdict.verified

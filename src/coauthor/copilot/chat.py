"""One entry point for every message: route it, run its module, record it.

Every routed message lands in the logbook (stage ``copilot``: the intent, the
confidence, who decided, the slots and the result) and in the task's chat history.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable

from coauthor.copilot.checking import verify
from coauthor.copilot.conversation import clarify, other
from coauthor.copilot.editing import edit_step, strengthen_tests
from coauthor.copilot.explain import explain
from coauthor.copilot.exporting import export
from coauthor.copilot.guidelines import ask_guidelines
from coauthor.copilot.intents import DecidedBy, Decision, Intent, Slots
from coauthor.copilot.library import ask_library
from coauthor.copilot.new_task import new_task
from coauthor.copilot.phrases import say
from coauthor.copilot.results import Failed
from coauthor.copilot.review import review
from coauthor.copilot.router import Router
from coauthor.copilot.session import CopilotError, Reply, Request, Session
from coauthor.copilot.slots import extract, language
from coauthor.copilot.students import answers, students_results
from coauthor.export import ExportError
from coauthor.llm.base import ModelError
from coauthor.pipeline.brief import BriefError
from coauthor.pipeline.edit import EditError
from coauthor.schemas.calls import CallRecord, Usage
from coauthor.store import NotFoundError

Module = Callable[[Session, Request], Reply]

MODULES: dict[Intent, Module] = {
    Intent.new_task: new_task,
    Intent.edit_step: edit_step,
    Intent.add_tests: strengthen_tests,
    Intent.verify: verify,
    Intent.ask_guidelines: ask_guidelines,
    Intent.ask_library: ask_library,
    Intent.explain: explain,
    Intent.review: review,
    Intent.export: export,
    Intent.other: other,
}

# Failures an author can act on: shown as the reply; nothing is saved.
EXPECTED = (CopilotError, EditError, BriefError, NotFoundError, ExportError, ModelError)


def router_for(session: Session) -> Router:
    """The classifier, backed by the session's model where that model is capable."""
    if session.router is not None:
        return session.router
    model = session.llm if session.capable else None
    return Router(model=model, structured=session.structured)


def decide(
    session: Session, message: str, *, intent: Intent | None = None, slots: Slots | None = None
) -> Decision:
    """Where ``message`` goes; ``intent`` (and ``slots``) given by the author skip the router."""
    steps, title = None, ""
    if session.task_id is not None:
        task = session.head().task
        steps, title = len(task.steps), task.title
    found = extract(message, steps=steps)
    if intent is not None:
        chosen = slots or found
        return Decision(intent, 1.0, DecidedBy.author, chosen, language(message))
    decision = router_for(session).route(message, steps=steps, title=title)
    return decision if slots is None else dataclasses.replace(decision, slots=slots)


def handle(
    session: Session, message: str, *, intent: Intent | None = None, slots: Slots | None = None
) -> Reply:
    """Answer one message from the author; the reply says what changed."""
    started = time.monotonic()
    session.store.add_chat_message(session.task_id, "user", message)
    decision = decide(session, message, intent=intent, slots=slots)
    request = Request(message, decision.slots, decision.language)
    error: str | None = None
    about_students = answers(decision.intent, decision.slots.students)
    if not decision.sure and not about_students:
        reply = clarify(decision)
    else:
        module = students_results if about_students else MODULES[decision.intent]
        try:
            reply = module(session, request)
        except EXPECTED as exc:
            error = f"{type(exc).__name__}: {exc}"
            reply = _failure(decision, exc)
    reply = dataclasses.replace(reply, decision=decision)
    _record(session, message, decision, reply, error=error, started=started)
    return reply


def _failure(decision: Decision, exc: Exception) -> Reply:
    text = (
        str(exc) if isinstance(exc, CopilotError) else say("failed", decision.language, error=exc)
    )
    return Reply(text, decision.intent, result=Failed(error=str(exc)))


def _record(
    session: Session,
    message: str,
    decision: Decision,
    reply: Reply,
    *,
    error: str | None,
    started: float,
) -> None:
    decided_by = decision.decided_by
    who = "router:classifier" if decided_by is DecidedBy.classifier else f"router:{decided_by}"
    if decided_by is DecidedBy.model:
        who = session.llm().name
    outcome: dict[str, object] = {
        "intent": decision.intent.value,
        "confidence": round(decision.confidence, 4),
        "decided_by": decided_by.value,
        "slots": decision.slots.as_dict(),
        "candidates": [[i.value, round(p, 4)] for i, p in decision.candidates],
        "result": reply.summary(),
    }
    record = CallRecord(
        model=who,
        messages=[{"role": "user", "content": message}],
        reply=json.dumps(outcome, ensure_ascii=False),
        usage=Usage(),
        latency_s=time.monotonic() - started,
        error=error,
    )
    session.store.log_call(record, stage="copilot", task_id=session.task_id)
    meta = {key: outcome[key] for key in ("intent", "confidence", "decided_by", "slots")}
    meta |= {"revision": reply.revision, "links": list(reply.links), "clarify": not decision.sure}
    meta["verified"] = {str(n): ok for n, ok in reply.verified_steps.items()}
    session.store.add_chat_message(session.task_id, "assistant", reply.text, meta=meta)

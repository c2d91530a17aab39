"""handle(): routing, dispatch, the logbook and the chat history, end to end."""

from __future__ import annotations

import json
from pathlib import Path

from copilot_helpers import SessionFactory, a_task, passing

from coauthor.copilot import DecidedBy, Intent, Router, Slots, default_classifier, handle
from coauthor.copilot.exporting import export
from coauthor.copilot.results import Checks, Clarify, Proposal
from coauthor.copilot.session import Request
from coauthor.llm.testing import ScriptedModel
from coauthor.pipeline.edit import ProseReply
from coauthor.store import Store


def test_a_routed_edit_is_logged_with_intent_confidence_and_result(
    session: SessionFactory, store: Store
) -> None:
    model = ScriptedModel([ProseReply(text="Short.")])
    s = session(model=model, task=a_task(), checker=passing)
    reply = handle(s, "Сократи легенду во втором шаге")
    assert reply.intent is Intent.edit_step and reply.revision == 2
    assert reply.decision is not None and reply.decision.decided_by is DecidedBy.classifier
    routed = [e for e in store.logbook(task_id=s.task_id) if e.stage == "copilot"]
    assert len(routed) == 1 and routed[0].model == "router:classifier"
    logged = json.loads(routed[0].reply)
    assert logged["intent"] == "edit_step" and logged["decided_by"] == "classifier"
    assert 0.45 <= logged["confidence"] <= 1
    assert logged["slots"] == {"step": 2, "part": "story"}
    assert logged["result"]["revision"] == 2
    assert routed[0].messages == [{"role": "user", "content": "Сократи легенду во втором шаге"}]
    calls = [e for e in store.logbook(task_id=s.task_id) if e.stage == "copilot:model"]
    assert len(calls) == 1 and calls[0].model == "scripted"
    history = store.chat(s.task_id)
    assert [m.role for m in history] == ["user", "assistant"]
    assert history[1].meta["intent"] == "edit_step" and history[1].meta["revision"] == 2


def test_other_changes_nothing(session: SessionFactory, store: Store) -> None:
    s = session(task=a_task())
    reply = handle(s, "tell me a joke")
    assert reply.intent is Intent.other and reply.revision is None
    assert s.head().number == 1


def test_an_unsure_message_gets_one_clarifying_question(
    session: SessionFactory, store: Store
) -> None:
    never_sure = Router(default_classifier(), threshold=1.01)
    s = session(task=a_task(), router=never_sure)
    reply = handle(s, "step 2 tests")
    assert reply.intent is None and reply.text.startswith("Do you want me to ")
    assert isinstance(reply.result, Clarify) and len(reply.result.choices) == 2
    assert s.head().number == 1
    logged = json.loads(store.logbook(task_id=s.task_id)[-1].reply)
    assert logged["decided_by"] == "nobody" and logged["result"]["intent"] is None


def test_the_author_can_pick_the_intent_and_slots(session: SessionFactory) -> None:
    s = session(task=a_task(), checker=passing)
    reply = handle(s, "that one", intent=Intent.verify, slots=Slots(step=1))
    assert reply.intent is Intent.verify and reply.result == Checks(verified={1: True})
    assert reply.decision is not None and reply.decision.decided_by is DecidedBy.author


def test_a_failure_is_the_reply_and_is_logged(session: SessionFactory, store: Store) -> None:
    s = session(model=ScriptedModel(), task=a_task())
    reply = handle(s, "rewrite the story of step 9")
    assert reply.intent is Intent.edit_step and "no step 9" in reply.text
    entry = store.logbook(task_id=s.task_id)[-1]
    assert entry.stage == "copilot" and entry.error is not None and "no step 9" in entry.error


def test_no_open_task(session: SessionFactory) -> None:
    reply = handle(session(), "export this task to markdown")
    assert reply.intent is Intent.export and reply.text.startswith("Open a task first")


def test_export_writes_the_named_format(session: SessionFactory, tmp_path: Path) -> None:
    s = session(task=a_task())
    reply = handle(s, "download it as markdown")
    folder = tmp_path / "exports" / f"task-{s.task_id}" / "markdown"
    assert reply.links == (f"file:{folder}",) and (folder / "README.md").is_file()
    assert reply.revision is None


def test_export_asks_for_a_format_and_explains_a_missing_one(session: SessionFactory) -> None:
    s = session(task=a_task())
    asked = export(s, Request.of("export the task"))
    assert asked.text.startswith("Which format:") and "notion" in asked.text
    missing = export(s, Request("export to notion", Slots(format="carrier-pigeon")))
    assert "not available here" in missing.text
    assert f"coauthor export {s.task_id} --format carrier-pigeon" in missing.text


def test_new_task_through_handle(session: SessionFactory, store: Store) -> None:
    reply = handle(session(), "хочу задачу про метрики ранжирования NDCG и MAP")
    assert reply.intent is Intent.new_task and isinstance(reply.result, Proposal)
    assert reply.result.brief.language == "ru"
    assert store.list_tasks() == []
    assert store.chat(None)[-1].meta["intent"] == "new_task"

from __future__ import annotations

import pytest

from coauthor.schemas import Plan, StepOutline, Task, TaskBrief
from coauthor.store import Store


def a_task() -> Task:
    plan = Plan(title="T", steps=[StepOutline(title="S", goal="G")])
    return Task(brief=TaskBrief(idea="idea", steps=1), plan=plan)


def test_documents_are_versioned_and_old_versions_read_back(store: Store) -> None:
    assert store.document("master") is None
    first = store.save_document("master", "v1 text", note="start")
    second = store.save_document("master", "v2 text")
    assert (first.number, second.number) == (1, 2)
    latest = store.document("master")
    assert latest is not None and latest.text == "v2 text"
    old = store.document("master", 1)
    assert old is not None and old.text == "v1 text" and old.note == "start"
    assert [v.number for v in store.document_versions("master")] == [1, 2]
    assert store.document_versions("other") == []


def test_chat_history_is_per_task_and_redacted(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTION_TOKEN", "ntn_abcdefghijklmnopqrstuvwxyz123")
    task_id = store.create_task(a_task()).id
    store.add_chat_message(task_id, "user", "make step 2 shorter")
    store.add_chat_message(task_id, "assistant", "done", meta={"intent": "edit_step"})
    store.add_chat_message(None, "user", "my token is ntn_abcdefghijklmnopqrstuvwxyz123")
    chat = store.chat(task_id)
    assert [(m.role, m.content) for m in chat] == [
        ("user", "make step 2 shorter"),
        ("assistant", "done"),
    ]
    assert chat[1].meta == {"intent": "edit_step"}
    [loose] = store.chat(None)
    assert "ntn_" not in loose.content and "[redacted]" in loose.content
    assert len(store.chat(task_id, limit=1)) == 1


def test_external_pages_are_remembered_and_updated(store: Store) -> None:
    task_id = store.create_task(a_task()).id
    assert store.external_page(task_id, "notion") is None
    store.remember_external_page(task_id, "notion", "page-1")
    store.remember_external_page(task_id, "notion", "page-2")
    assert store.external_page(task_id, "notion") == "page-2"

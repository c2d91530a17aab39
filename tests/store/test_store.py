"""The Store against real SQLite files: migrations, revisions, runs, logbook, redaction."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.orm import Session

from coauthor.schemas import Difficulty, Plan, Step, StepOutline, Task, TaskBrief
from coauthor.schemas.calls import CallRecord, Usage
from coauthor.store import (
    ConflictError,
    ImmutableRevisionError,
    NotFoundError,
    RevisionInfo,
    Store,
    latest_revision,
    redact,
)
from coauthor.store import runs as runs_module
from coauthor.store.tables import Base, RevisionRow

FAKE_KEY = "sk-test-abcdefghijklmnop1234"
TABLES = {
    "tasks",
    "revisions",
    "runs",
    "checkpoints",
    "logbook",
    "alembic_version",
    "documents",
    "chat_messages",
    "external_pages",
    "run_progress",
    "users",
    "task_reviews",
    "review_events",
    "comments",
    "exports",
    "bugs",
    "step_results",
}


def make_task(title: str = "Cart service", *, story: str = "A shop needs a cart.") -> Task:
    brief = TaskBrief(idea="Build a shopping cart", difficulty=Difficulty.middle, steps=1)
    plan = Plan(title=title, steps=[StepOutline(title="Add items", goal="Store items in a cart")])
    step = Step(title="Add items", goal="Store items in a cart", story=story, theory="Dicts.")
    return Task(brief=brief, plan=plan, steps=[step], summary="A cart.")


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_migrations_create_schema_and_second_open_is_noop(database_url: str) -> None:
    with Store(database_url) as first:
        task_id = first.create_task(make_task()).id
        assert _tables(first.engine) == TABLES
    with Store(database_url) as second:
        assert second.task(task_id).title == "Cart service"
        with second.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).all() == [
                (latest_revision(),)
            ]
            if conn.dialect.name == "sqlite":
                assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
                assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"


def test_migration_matches_the_orm(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_in_memory_database_works() -> None:
    with Store("sqlite://") as memory:
        task_id = memory.create_task(make_task()).id
        memory.add_revision(task_id, make_task("Cart v2"), source="edit")
        assert [t.title for t in memory.list_tasks()] == ["Cart v2"]


def test_create_task_makes_revision_one(store: Store) -> None:
    info = store.create_task(make_task(), note="first draft")
    assert info.head_revision == 1
    assert (info.title, info.domain, info.difficulty) == ("Cart service", "e-commerce", "middle")
    assert not info.deleted
    assert info.created_at.tzinfo is not None
    head = store.revision(info.id)
    assert (head.number, head.source, head.note) == (1, "generate", "first draft")
    assert head.task == make_task()


def test_revisions_are_immutable_and_append_only(store: Store) -> None:
    task_id = store.create_task(make_task()).id
    second = store.add_revision(task_id, make_task("Cart v2"), source="edit", note="retitled")
    third = store.add_revision(task_id, make_task("Cart v3", story="New story."), source="repair")
    assert (second.number, third.number) == (2, 3)
    assert store.task(task_id).head_revision == 3
    assert store.task(task_id).title == "Cart v3"
    assert [r.number for r in store.revisions(task_id)] == [1, 2, 3]
    assert store.revision(task_id, 1).task == make_task()
    assert store.revision(task_id, 2).task.title == "Cart v2"
    assert store.revision(task_id).task.steps[0].story == "New story."

    with Session(store.engine) as s:
        row = s.scalars(sa.select(RevisionRow).where(RevisionRow.number == 1)).one()
        row.note = "tampered"
        with pytest.raises(ImmutableRevisionError):
            s.flush()
        s.rollback()
        s.delete(s.scalars(sa.select(RevisionRow).where(RevisionRow.number == 1)).one())
        with pytest.raises(ImmutableRevisionError):
            s.flush()
    assert store.revision(task_id, 1).note == ""
    assert not hasattr(store, "update_revision")


def test_stale_base_revision_conflicts(store: Store) -> None:
    task_id = store.create_task(make_task()).id
    store.add_revision(task_id, make_task("Mine"), source="edit", base_revision=1)
    with pytest.raises(ConflictError):
        store.add_revision(task_id, make_task("Theirs"), source="edit", base_revision=1)
    assert store.task(task_id).head_revision == 2
    assert store.revision(task_id).task.title == "Mine"


def test_two_stores_on_one_database_share_head(database_url: str) -> None:
    with Store(database_url) as ui, Store(database_url) as worker:
        task_id = ui.create_task(make_task()).id
        worker.add_revision(task_id, make_task("Worker"), source="repair", base_revision=1)
        with pytest.raises(ConflictError):
            ui.add_revision(task_id, make_task("UI"), source="edit", base_revision=1)
        assert ui.revision(task_id).task.title == "Worker"


def test_soft_delete_and_restore(store: Store) -> None:
    kept = store.create_task(make_task("Kept")).id
    gone = store.create_task(make_task("Gone")).id
    assert [t.id for t in store.list_tasks()] == [gone, kept]
    store.delete_task(gone)
    assert [t.id for t in store.list_tasks()] == [kept]
    assert [t.id for t in store.list_tasks(include_deleted=True)] == [gone, kept]
    assert store.task(gone).deleted
    assert store.revision(gone).task.title == "Gone"
    store.restore_task(gone)
    assert not store.task(gone).deleted
    assert len(store.list_tasks()) == 2


def test_run_lifecycle_and_checkpoints(store: Store) -> None:
    brief = make_task().brief
    run = store.create_run(brief, model="scripted")
    assert (run.status, run.task_id, run.error, run.brief) == ("running", None, None, brief)
    store.save_checkpoint(run.id, "plan", {"title": "Draft"})
    store.save_checkpoint(run.id, "steps", {"done": [0]})
    store.save_checkpoint(run.id, "plan", {"title": "Redone"})
    assert store.checkpoints(run.id) == {"plan": {"title": "Redone"}, "steps": {"done": [0]}}

    store.set_run_status(run.id, "failed", error=f"boom with {FAKE_KEY}")
    failed = store.run(run.id)
    assert failed.status == "failed"
    assert failed.error is not None and FAKE_KEY not in failed.error
    with pytest.raises(ValueError):
        store.set_run_status(run.id, "exploded")
    store.set_run_status(run.id, "running")
    assert [r.id for r in store.list_runs(status="running")] == [run.id]
    assert store.list_runs(status="done") == []


def test_finish_run_creates_task_and_marks_done(store: Store) -> None:
    run = store.create_run(make_task().brief, model="scripted")
    revision = store.finish_run(run.id, make_task())
    assert revision.number == 1
    done = store.run(run.id)
    assert (done.status, done.task_id) == ("done", revision.task_id)
    assert store.task(revision.task_id).title == "Cart service"
    with pytest.raises(ConflictError):
        store.finish_run(run.id, make_task())
    assert len(store.list_tasks()) == 1


def test_finish_run_on_existing_task_adds_revision(store: Store) -> None:
    task_id = store.create_task(make_task()).id
    run = store.create_run(make_task().brief, model="scripted", task_id=task_id)
    revision = store.finish_run(run.id, make_task("Regenerated"))
    assert (revision.task_id, revision.number) == (task_id, 2)
    assert store.run(run.id).status == "done"


def test_finish_run_is_atomic(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(row: RevisionRow) -> RevisionInfo:
        raise RuntimeError("crash after the writes, before the commit")

    run = store.create_run(make_task().brief, model="scripted")
    monkeypatch.setattr(runs_module, "revision_info", fail)
    with pytest.raises(RuntimeError):
        store.finish_run(run.id, make_task())
    assert store.list_tasks(include_deleted=True) == []
    assert (store.run(run.id).status, store.run(run.id).task_id) == ("running", None)


def test_logbook_round_trip_without_secrets(
    store: Store, stored_bytes: Callable[[], bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("MY_DB_PASSWORD", "hunter2hunter2")
    run = store.create_run(make_task().brief, model="scripted")
    record = CallRecord(
        model="openai:gpt",
        messages=[
            {"role": "system", "content": f"key={FAKE_KEY}"},
            {"role": "user", "content": "Authorization: Bearer abc.def-123 and hunter2hunter2"},
        ],
        reply=f"here it is: {FAKE_KEY} secret_{'a' * 24} ntn_{'b' * 24}",
        usage=Usage(prompt_tokens=12, completion_tokens=34),
        latency_s=1.25,
        error=f"401 for {FAKE_KEY}",
    )
    store.log_call(record, stage="plan", run_id=run.id)
    store.log_call(CallRecord("m", [], "ok", Usage(), 0.0), stage="other")

    [entry] = store.logbook(run_id=run.id)
    assert (entry.stage, entry.model, entry.tokens_in, entry.tokens_out) == (
        "plan",
        "openai:gpt",
        12,
        34,
    )
    assert entry.latency_ms == 1250
    assert entry.messages[0] == {"role": "system", "content": "key=[redacted]"}
    assert entry.messages[1]["content"] == "Authorization: Bearer [redacted] and [redacted]"
    assert entry.reply == "here it is: [redacted] [redacted] [redacted]"
    assert entry.error == "401 for [redacted]"
    assert len(store.logbook()) == 2
    store.close()

    stored = stored_bytes()
    assert b"here it is: [redacted]" in stored
    for secret in (FAKE_KEY, "hunter2hunter2", "abc.def-123", "a" * 24, "b" * 24):
        assert secret.encode() not in stored


def test_redact_reads_environment_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    assert redact("value-is-long-enough") == "value-is-long-enough"
    monkeypatch.setenv("SOME_TOKEN", "value-is-long-enough")
    monkeypatch.setenv("OTHER_KEY", "short")
    assert redact("x value-is-long-enough short") == "x [redacted] short"


def test_missing_ids_raise_not_found(store: Store) -> None:
    task_id = store.create_task(make_task()).id
    brief = make_task().brief
    calls: list[Callable[[], object]] = [
        lambda: store.task(999),
        lambda: store.revision(999),
        lambda: store.revision(task_id, 7),
        lambda: store.revisions(999),
        lambda: store.add_revision(999, make_task(), source="edit"),
        lambda: store.delete_task(999),
        lambda: store.restore_task(999),
        lambda: store.run(999),
        lambda: store.set_run_status(999, "done"),
        lambda: store.save_checkpoint(999, "plan", {}),
        lambda: store.checkpoints(999),
        lambda: store.finish_run(999, make_task()),
        lambda: store.create_run(brief, model="m", task_id=999),
    ]
    for call in calls:
        with pytest.raises(NotFoundError):
            call()


def test_values_postgresql_refuses_are_stored_alike_on_both(store: Store) -> None:
    """NUL in text, text past a column's length, NaN in JSON: SQLite takes them as they
    are, PostgreSQL refuses them, so both get the same storable form."""
    task_id = store.create_task(make_task("Cart\x00"), source="x" * 150, note="a\x00b").id
    head = store.revision(task_id)
    assert (store.task(task_id).title, head.note) == ("Cart\ufffd", "a\ufffdb")
    assert head.source == "x" * 100
    assert head.task.title == "Cart\x00"  # the content is JSON, which keeps NUL escaped
    store.log_call(CallRecord("m", [], "ok\x00", Usage(), 0.0), stage="s" * 150)
    [entry] = store.logbook()
    assert (entry.reply, entry.stage) == ("ok\ufffd", "s" * 100)
    run = store.create_run(make_task().brief, model="scripted")
    store.save_checkpoint(run.id, "s" * 150, {"score": float("nan"), "all": [float("inf"), 1.5]})
    assert store.checkpoints(run.id) == {"s" * 100: {"score": None, "all": [None, 1.5]}}
    store.save_checkpoint(run.id, "s" * 150, {"score": 2.0})
    assert store.checkpoints(run.id) == {"s" * 100: {"score": 2.0}}


def test_a_run_is_claimed_by_one_owner_at_a_time(store: Store) -> None:
    run = store.create_run(make_task().brief, model="scripted").id
    assert store.claim_run(run, "1@a", replacing=None)
    assert not store.claim_run(run, "2@b", replacing=None)
    assert not store.claim_run(run, "2@b", replacing="3@c")
    assert store.claim_run(run, "2@b", replacing="1@a")
    assert store.run(run).owner == "2@b"
    store.finish_run(run, make_task())
    assert not store.claim_run(run, "4@d", replacing=None)
    assert store.run(run).status == "done"

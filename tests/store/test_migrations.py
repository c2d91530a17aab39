"""Migrations on both databases: from empty, and from each earlier revision with rows that
must survive the upgrade to the latest one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.util.exc import CommandError

from coauthor.schemas import Difficulty, Plan, Step, StepOutline, Task, TaskBrief
from coauthor.store import Store, latest_revision, upgrade_database
from coauthor.store.engine import current_revision, make_engine, upgrade
from coauthor.store.tables import UTCDateTime

REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007")
AT = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


def a_task() -> Task:
    brief = TaskBrief(idea="Build a cart", difficulty=Difficulty.middle, steps=1)
    plan = Plan(title="Cart", steps=[StepOutline(title="Add", goal="Add items")])
    return Task(
        brief=brief, plan=plan, steps=[Step(title="Add", goal="Add items", story="S.", theory="T.")]
    )


def _insert(connection: sa.Connection, sql: str, **values: object) -> None:
    """``sql`` with ``:at`` bound as a timestamp and ``:doc`` as JSON, on either database."""
    types: dict[str, sa.types.TypeEngine[object]] = {"at": UTCDateTime(), "doc": sa.JSON()}
    params = [sa.bindparam(name, type_=types[name]) for name in values]
    connection.execute(sa.text(sql).bindparams(*params), values)


def seed_task_and_run(connection: sa.Connection) -> None:
    _insert(
        connection,
        "INSERT INTO tasks (title, head_revision, created_at, updated_at) "
        "VALUES ('Cart', 1, :at, :at)",
        at=AT,
    )
    _insert(
        connection,
        "INSERT INTO revisions (task_id, number, created_at, source, note, content) "
        "SELECT id, 1, :at, 'generate', 'old', :doc FROM tasks",
        at=AT,
        doc=a_task().model_dump(mode="json"),
    )
    _insert(
        connection,
        "INSERT INTO runs (task_id, status, brief, model, created_at, updated_at) "
        "SELECT id, 'failed', :doc, 'local', :at, :at FROM tasks",
        at=AT,
        doc=a_task().brief.model_dump(mode="json"),
    )


def seed_document(connection: sa.Connection) -> None:
    _insert(
        connection,
        "INSERT INTO documents (name, number, text, note, created_at) "
        "VALUES ('master', 1, 'Be kind.', '', :at)",
        at=AT,
    )


def seed_progress(connection: sa.Connection) -> None:
    _insert(
        connection,
        "INSERT INTO run_progress (run_id, data, cancel_requested, worker_pid, updated_at) "
        "SELECT id, :doc, false, 42, :at FROM runs",
        at=AT,
        doc={},
    )


SEEDS: dict[str, Callable[[sa.Connection], None]] = {
    "0001": seed_task_and_run,
    "0002": seed_document,
    "0003": seed_progress,
}


def check_seeded(store: Store, start: str) -> None:
    """What each seed wrote at or before ``start`` reads back through the Store."""
    [task] = store.list_tasks()
    assert (task.id, task.title, task.created_at) == (1, "Cart", AT)
    assert store.revision(1).task == a_task()
    assert store.revision(1).actor is None  # made before anyone was named
    assert store.review_state(1).status == "draft" and store.users() == []
    [run] = store.list_runs()
    assert (run.status, run.owner, run.options.verify, run.task_id) == ("failed", None, True, 1)
    assert run.actor is None
    if start >= "0002":
        master = store.document("master")
        assert master is not None and master.text == "Be kind."
    if start >= "0003":
        live = store.progress(run.id)
        assert live is not None and (live.worker_pid, live.cancel_requested) == (42, False)
    # and the upgraded database takes new writes: the sequences moved past the seeded ids
    assert store.add_revision(1, a_task(), source="edit", base_revision=1).number == 2
    assert store.create_task(a_task()).id == 2


def test_the_latest_revision_is_the_last_migration() -> None:
    assert latest_revision() == REVISIONS[-1]


def test_an_empty_database_upgrades_to_the_latest_revision(database_url: str) -> None:
    assert upgrade_database(database_url) == (None, REVISIONS[-1])
    assert upgrade_database(database_url) == (REVISIONS[-1], REVISIONS[-1])


@pytest.mark.parametrize("start", REVISIONS[:-1])
def test_a_database_at_an_earlier_revision_upgrades_and_its_rows_read_back(
    database_url: str, start: str
) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine, start)
        with engine.begin() as connection:
            for revision, seed in SEEDS.items():
                if revision <= start:
                    seed(connection)
        assert current_revision(engine) == start
    finally:
        engine.dispose()
    assert upgrade_database(database_url) == (start, REVISIONS[-1])
    with Store(database_url) as store:
        check_seeded(store, start)


def test_a_database_newer_than_the_code_is_refused_and_left_alone(database_url: str) -> None:
    Store(database_url).close()
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
        with pytest.raises(CommandError, match="Can't locate revision"):
            Store(database_url)
        assert current_revision(engine) == "0099"
    finally:
        engine.dispose()

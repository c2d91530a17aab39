"""Many processes saving the same task at once: each re-reads the head and retries on
ConflictError, and every save ends up as its own revision, none lost or overwritten."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

from coauthor.schemas import Plan, StepOutline, Task, TaskBrief
from coauthor.store import ConflictError, Store

HANG_GUARD_S = 1200
"""Only against a hung writer: 400 contended saves take minutes on a busy 2-core machine."""

_start: Any = None
"""A barrier every writer process waits at, so that they all start saving together."""


def titled(title: str) -> Task:
    plan = Plan(title=title, steps=[StepOutline(title="S", goal="G")])
    return Task(brief=TaskBrief(idea="idea", steps=1), plan=plan)


def _ready(barrier: Any) -> None:
    global _start
    _start = barrier


def write(url: str, task_id: int, writer: int, saves: int) -> int:
    """``saves`` new revisions, each based on the head just read; returns the conflicts met."""
    conflicts = 0
    with Store(url) as store:
        _start.wait()
        for n in range(saves):
            name = f"w{writer}-{n}"
            while True:
                head = store.task(task_id).head_revision
                try:
                    store.add_revision(
                        task_id, titled(name), source="edit", note=name, base_revision=head
                    )
                    break
                except ConflictError:
                    conflicts += 1
    return conflicts


def run_writers(url: str, task_id: int, writers: int, saves: int) -> list[int]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(writers)
    with ProcessPoolExecutor(writers, context, initializer=_ready, initargs=(barrier,)) as pool:
        jobs = [pool.submit(write, url, task_id, w, saves) for w in range(writers)]
        return [job.result(timeout=HANG_GUARD_S) for job in jobs]


def check_every_save_kept(store: Store, task_id: int, writers: int, saves: int) -> None:
    revisions = store.revisions(task_id)[1:]
    assert [r.number for r in revisions] == list(range(2, writers * saves + 2))
    assert store.task(task_id).head_revision == writers * saves + 1
    assert all(r.task.title == r.note for r in revisions)
    expected = {f"w{w}-{n}" for w in range(writers) for n in range(saves)}
    assert {r.note for r in revisions} == expected
    for w in range(writers):  # each writer's saves are in the order it made them
        mine = [int(r.note.split("-")[1]) for r in revisions if r.note.startswith(f"w{w}-")]
        assert mine == list(range(saves))


SIZES = [
    pytest.param("sqlite", 4, 10, id="sqlite-4x10"),
    pytest.param("postgresql", 8, 50, id="postgresql-8x50", marks=pytest.mark.slow),
]


@pytest.mark.parametrize(("database_url", "writers", "saves"), SIZES, indirect=["database_url"])
def test_concurrent_writers_of_one_task_lose_nothing(
    database_url: str, writers: int, saves: int
) -> None:
    with Store(database_url) as store:
        task_id = store.create_task(titled("start")).id
        conflicts = run_writers(database_url, task_id, writers, saves)
        check_every_save_kept(store, task_id, writers, saves)
    assert sum(conflicts) > 0, "the writers never met: the test proved nothing"

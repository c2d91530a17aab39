"""The studio's Queue view: waiting, running, finished and failed jobs with their reason;
cancel and retry act on the queue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from scripted_worker import replay
from streamlit import config
from streamlit.testing.v1 import AppTest

from coauthor.pipeline.brief import make_brief
from coauthor.queue import jobs
from coauthor.queue.app import QUEUE, apply_schema, libpq_url, open_app
from coauthor.queue.jobs import enqueue_run, queue_jobs
from coauthor.store import Store

APP = Path(__file__).parents[2] / "src" / "coauthor" / "ui" / "app.py"


@pytest.fixture(autouse=True)
def loopback() -> Iterator[None]:
    """The studio refuses every interface without sign-in; AppTest gives no address, so
    the test says it is the laptop's 127.0.0.1 (as tests/ui/conftest.py does)."""
    before = config.get_option("server.address")
    config.set_option("server.address", "127.0.0.1")
    yield
    config.set_option("server.address", before)


def run_queued_jobs(url: str) -> None:
    """A worker in this process that executes every waiting job, then stops."""
    worker_app = open_app(url)
    jobs.model_factory = replay
    try:
        worker_app.run_worker(queues=[QUEUE], wait=False, install_signal_handlers=False)
    finally:
        jobs.model_factory = None


def test_the_queue_view_shows_jobs_and_cancels_and_retries(
    tmp_path: Path, queue_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = f"sqlite:///{tmp_path / 'studio.db'}"
    for name, value in {
        "COAUTHOR_DATABASE_URL": database,
        "COAUTHOR_QUEUE_URL": queue_url,
        "COAUTHOR_MODEL": "scripted",
        "COAUTHOR_STUDIO_WORKERS": "0",
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }.items():
        monkeypatch.setenv(name, value)
    url = libpq_url(queue_url)
    app = open_app(url)
    apply_schema(app, url)
    store = Store(database)
    failing = store.create_run(make_brief("This one will FAIL", steps=1), model="scripted")
    fine = store.create_run(make_brief("A fine idea", steps=1), model="scripted")
    with app.open():
        enqueue_run(app, failing.id, verify=False, user="ann")
        enqueue_run(app, fine.id, verify=False, batch="b7")
    run_queued_jobs(url)
    waiting = store.create_run(make_brief("Still waiting", steps=1), model="scripted")
    with app.open():
        enqueue_run(app, waiting.id, verify=False, user="ann")

    page = AppTest.from_file(str(APP), default_timeout=60)
    page.run()
    page.switch_page("views/queue_view.py").run()
    assert not page.exception
    metrics = {str(m.label): str(m.value) for m in page.metric}
    assert metrics == {"Waiting": "1", "Running": "0", "Finished": "1", "Failed": "1"}
    rows = [str(m.value) for m in page.markdown]
    assert any(f"Run {failing.id}** · failed · ann" in r for r in rows)
    assert any(f"Run {fine.id}** · finished · batch b7" in r for r in rows)
    assert any("refuses this idea" in str(e.value) for e in page.error)
    assert [str(b.label) for b in page.button if str(b.label) in ("Retry", "Cancel")] == [
        "Cancel",
        "Retry",
    ]

    page.button(key=f"cancel_{queue_jobs_by_run(app)[waiting.id]}").click().run()
    assert store.run(waiting.id).status == "cancelled"
    page.button(key=f"retry_{queue_jobs_by_run(app)[failing.id]}").click().run()
    with app.open():
        statuses = {j.id: (j.run_id, j.status) for j in queue_jobs(app)}
    assert sorted(statuses.values()) == sorted(
        [
            (failing.id, "failed"),
            (fine.id, "succeeded"),
            (waiting.id, "cancelled"),
            (failing.id, "todo"),
        ]
    )
    assert store.run(failing.id).status == "running"
    assert any("queued again" in str(m.value) for m in page.success)


def queue_jobs_by_run(app) -> dict[int, int]:  # type: ignore[no-untyped-def]
    """The first job id of each run."""
    with app.open():
        return {j.run_id: j.id for j in reversed(queue_jobs(app))}


def test_a_running_job_shows_the_worker_that_runs_it(
    tmp_path: Path, queue_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = f"sqlite:///{tmp_path / 'studio.db'}"
    for name, value in {
        "COAUTHOR_DATABASE_URL": database,
        "COAUTHOR_QUEUE_URL": queue_url,
        "COAUTHOR_MODEL": "scripted",
        "COAUTHOR_STUDIO_WORKERS": "0",
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }.items():
        monkeypatch.setenv(name, value)
    url = libpq_url(queue_url)
    app = open_app(url)
    apply_schema(app, url)
    store = Store(database)
    running = store.create_run(make_brief("Being written", steps=1), model="scripted")
    waiting = store.create_run(make_brief("Not yet", steps=1), model="scripted")
    with app.open():
        enqueue_run(app, running.id, verify=False, user="ann")
        # a worker as the library records it, with the name ``coauthor worker`` adds,
        # takes the oldest job (the library's own fetch), as a live worker would
        connector = app.connector.get_sync_connector()
        worker = connector.execute_query_one(
            "SELECT worker_id FROM procrastinate_register_worker_v1()"
        )["worker_id"]
        connector.execute_query(
            "INSERT INTO coauthor_workers (worker_id, name) VALUES (%(id)s, 'laptop:4242')",
            id=worker,
        )
        connector.execute_query_one(
            "SELECT id FROM procrastinate_fetch_job_v2(%(queues)s, %(worker)s)",
            queues=[QUEUE],
            worker=worker,
        )
        enqueue_run(app, waiting.id, verify=False, user="ann")
        shown = {j.run_id: (j.status, j.worker) for j in queue_jobs(app)}
    assert shown == {
        running.id: ("doing", f"laptop:4242 (worker {worker})"),
        waiting.id: ("todo", None),
    }

    page = AppTest.from_file(str(APP), default_timeout=60)
    page.run()
    page.switch_page("views/queue_view.py").run()
    assert not page.exception
    metrics = {str(m.label): str(m.value) for m in page.metric}
    assert metrics["Running"] == "1" and metrics["Waiting"] == "1"
    rows = [str(m.value) for m in page.markdown]
    assert any(
        f"Run {running.id}** · running on laptop:4242 (worker {worker}) · ann" in r for r in rows
    ), rows
    assert any(f"Run {waiting.id}** · waiting · ann" in r for r in rows), rows

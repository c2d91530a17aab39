"""The job queue: procrastinate on PostgreSQL (see the README for why).

Generation runs (with or without verification) and batch items are jobs of one task,
``generate``; ``coauthor worker`` processes execute them, on this machine or on many
sharing one queue database. The library does the claiming (one ``doing`` job per run
through the job lock ``run-N``), the workers' heartbeats, and finds the jobs of a worker
that died (``get_stalled_jobs``); such a job is retried and resumes from the run's
checkpoints.
"""

from __future__ import annotations

from pathlib import Path

import procrastinate
import psycopg
from sqlalchemy.engine import make_url

from coauthor.queue.local import local_folder, local_queue_url
from coauthor.settings import Settings

QUEUE = "runs"
INTERACTIVE = 10
"""Priority of an author's own run: taken before any waiting batch item."""
BATCH = 0


def queue_url(settings: Settings) -> str:
    """A libpq URL of the queue database: the configured one, or the private local one."""
    if settings.queue_url:
        return libpq_url(settings.queue_url)
    return local_queue_url(local_folder(data_folder(settings)))


def queue_in_use(settings: Settings) -> bool:
    """Whether this installation has a queue to ask: a configured one, or a private one
    that was created before (a page that only looks never creates one)."""
    if settings.queue_url:
        return True
    return (local_folder(data_folder(settings)) / "data" / "PG_VERSION").exists()


def libpq_url(url: str) -> str:
    """``postgresql+psycopg://...`` (SQLAlchemy's spelling) as libpq reads it."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        raise ValueError(f"the job queue needs a PostgreSQL URL, not {parsed.drivername}")
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def data_folder(settings: Settings) -> Path:
    """The folder of a SQLite store, or the user data folder for any other store."""
    parsed = make_url(settings.database_url)
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        return Path(parsed.database).resolve().parent
    from platformdirs import user_data_path

    return user_data_path("coauthor", appauthor=False)


tasks = procrastinate.App(connector=procrastinate.PsycopgConnector())
"""Where the tasks are declared; ``open_app`` gives a copy bound to a database."""


def open_app(url: str) -> procrastinate.App:
    """An app on ``url`` with the queue's tasks; open it (``with app.open():``) to use."""
    import coauthor.queue.jobs  # noqa: F401  (declares the tasks)

    return tasks.with_connector(procrastinate.PsycopgConnector(conninfo=url))


def apply_schema(app: procrastinate.App, url: str) -> None:
    """Create the queue's tables once (under a lock, so two processes starting together
    do not both try); a database that has them is left alone (the table of worker names
    is added to one made before it existed)."""
    with psycopg.connect(url) as connection, connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(724120014)")
        present = connection.execute(
            "SELECT to_regclass('procrastinate_jobs') IS NOT NULL"
        ).fetchone()
        if present is None or not present[0]:
            connection.execute(app.schema_manager.get_schema())
        connection.execute(WORKER_NAMES)


WORKER_NAMES = """CREATE TABLE IF NOT EXISTS coauthor_workers (
    worker_id bigint PRIMARY KEY REFERENCES procrastinate_workers(id) ON DELETE CASCADE,
    name text NOT NULL,
    started_at timestamp with time zone NOT NULL DEFAULT NOW()
)"""
"""The name (``host:pid``) of each live worker: the library's worker records hold only an
id and a heartbeat; a row goes with its worker's record."""

"""The queue's task and what the studio, the CLI and batches call to use it.

``enqueue_run`` puts a run on the queue (an author's run at a higher priority than a
batch item); ``cancel_run`` cancels a waiting job or asks the running one to stop;
``queue_jobs`` lists the jobs for the Queue view. The task itself, ``generate``, runs
in a worker (``coauthor.queue.worker``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

import procrastinate
from procrastinate import exceptions as queue_errors
from procrastinate.job_context import JobContext
from procrastinate.tasks import configure_task

from coauthor.pipeline.studio import studio_settings
from coauthor.pipeline.worker import ModelFactory, work
from coauthor.queue.app import BATCH, INTERACTIVE, QUEUE, tasks
from coauthor.settings import Settings
from coauthor.store import Store

TASK = "generate"
model_factory: ModelFactory | None = None
"""Tests put a scripted model here (in the worker process); None: the run's own model."""


class RunFailedInQueueError(Exception):
    """The run ended failed; the job is marked failed with this message."""


class QueueLimitError(Exception):
    """An author already has as many jobs in flight as the limit allows."""


@tasks.task(name="generate", queue=QUEUE, pass_context=True)
def generate(
    context: JobContext, run_id: int, verify: bool = False, user: str = "", batch: str = ""
) -> None:
    """Execute run ``run_id`` (resuming from its checkpoints); raise if it failed."""
    settings = Settings()
    store = worker_store(settings.database_url)
    settings = studio_settings(store, settings)
    code = work(
        settings,
        run_id,
        verify=verify,
        take_over=True,
        model_factory=model_factory,
        store=store,
    )
    if code != 0:
        raise RunFailedInQueueError(store.run(run_id).error or f"run {run_id} failed")


_stores: dict[str, Store] = {}
_stores_lock = threading.Lock()


def worker_store(url: str) -> Store:
    """One store (engine, connection pool) per database for all the jobs of this process:
    opening one checks the schema's migrations, which cost more than a short stage."""
    with _stores_lock:
        if url not in _stores:
            _stores[url] = Store(url)
        return _stores[url]


@dataclass(frozen=True)
class QueuedJob:
    """One job as the Queue view shows it."""

    id: int
    run_id: int
    status: str
    """todo, doing, succeeded, failed, cancelled, aborting, aborted"""
    priority: int
    user: str
    batch: str
    worker: str | None
    attempts: int
    scheduled_at: datetime | None


def enqueue_run(
    app: procrastinate.App,
    run_id: int,
    *,
    verify: bool,
    user: str = "",
    batch: str = "",
    limit: int | None = None,
) -> int | None:
    """Put run ``run_id`` on the queue; its job id, or None when it is already waiting.

    An author's run (no ``batch``) goes before every waiting batch item. With ``limit``,
    an author who already has that many runs waiting or running is refused.
    """
    if limit is not None and user:
        mine = [
            job
            for job in queue_jobs(app)
            if job.user == user and not job.batch and job.status in ("todo", "doing")
        ]
        if len(mine) >= limit:
            raise QueueLimitError(
                f"{user} already has {len(mine)} runs waiting or running (the limit is "
                f"{limit}); wait for one to finish or cancel one"
            )
    try:
        return configure_task(
            name=TASK,
            job_manager=app.job_manager,
            queue=QUEUE,
            lock=f"run-{run_id}",
            queueing_lock=f"run-{run_id}",
            priority=BATCH if batch else INTERACTIVE,
        ).defer(run_id=run_id, verify=verify, user=user, batch=batch)
    except queue_errors.AlreadyEnqueued:
        return None


def cancel_run(app: procrastinate.App, store: Store, run_id: int) -> None:
    """A waiting job is cancelled at once; a running one is asked to stop (the run's
    executor checks between stages and marks the run cancelled)."""
    for job in queue_jobs(app, run_id=run_id):
        if job.status == "todo" and app.job_manager.cancel_job_by_id(job.id):
            run = store.run(run_id)
            if run.status != "done":
                store.set_run_status(run_id, "cancelled", error="cancelled before it started")
    store.request_cancel(run_id)


def retry_run(app: procrastinate.App, store: Store, job: QueuedJob) -> int | None:
    """Queue a failed or cancelled job's run again, as it was queued (same author or
    batch); the run resumes from its checkpoints. The new job's id (None: one waits)."""
    run = store.run(job.run_id)
    if run.status == "done":
        return None
    if run.status != "running":
        store.set_run_status(run.id, "running")
    return enqueue_run(app, run.id, verify=run.options.verify, user=job.user, batch=job.batch)


def worker_label(worker_id: int | None, name: str | None) -> str | None:
    """``host:pid (worker 7)``: the library's worker record and the name it announced."""
    if worker_id is None:
        return None
    return f"{name} (worker {worker_id})" if name else f"worker {worker_id}"


def queue_jobs(app: procrastinate.App, *, run_id: int | None = None) -> list[QueuedJob]:
    """The generation jobs, newest first, with the name of the worker running each."""
    connector = app.connector.get_sync_connector()
    rows = connector.execute_query_all(
        """SELECT j.id, j.status::text AS status, j.priority, j.args, j.attempts,
                  j.scheduled_at, w.id AS worker_id, n.name AS worker_name
           FROM procrastinate_jobs j LEFT JOIN procrastinate_workers w ON w.id = j.worker_id
           LEFT JOIN coauthor_workers n ON n.worker_id = w.id
           WHERE j.task_name = %(task)s ORDER BY j.id DESC""",
        task=TASK,
    )
    jobs = []
    for row in rows:
        args = row["args"] or {}
        if run_id is not None and args.get("run_id") != run_id:
            continue
        jobs.append(
            QueuedJob(
                id=row["id"],
                run_id=int(args.get("run_id", 0)),
                status=row["status"],
                priority=row["priority"],
                user=str(args.get("user", "")),
                batch=str(args.get("batch", "")),
                worker=worker_label(row["worker_id"], row["worker_name"]),
                attempts=row["attempts"],
                scheduled_at=row["scheduled_at"],
            )
        )
    return jobs

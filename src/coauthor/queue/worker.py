"""``coauthor worker``: executes queued runs, on this machine or any machine sharing the queue.

Besides the library's worker loop it asks the library, every few seconds, for the jobs of
workers whose heartbeat stopped (killed, crashed, machine gone) and retries them; the run
then resumes from its checkpoints on whichever worker takes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import procrastinate
import procrastinate.worker

from coauthor.queue.app import QUEUE, apply_schema, open_app, queue_url
from coauthor.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Timing:
    """How fast a dead worker is noticed: heartbeat every ``heartbeat_s``; a worker silent
    for ``stalled_s`` is dead and its jobs are retried (checked every ``recover_s``)."""

    heartbeat_s: float = 5.0
    stalled_s: float = 20.0
    recover_s: float = 5.0
    poll_s: float = 0.25
    """How often a worker with a free slot asks for a job without being told of one. A
    notification of a new job is lost when it arrives while the worker is fetching (the
    library clears its wake-up flag after every fetch), so jobs enqueued in a burst (a
    batch) waited up to this long: a fetch is one indexed query, so it is short."""


def timing_from_env() -> Timing:
    """``COAUTHOR_WORKER_TIMING=heartbeat,stalled,recover,poll`` (tests shorten them)."""
    raw = os.environ.get("COAUTHOR_WORKER_TIMING")
    if not raw:
        return Timing()
    values = [float(part) for part in raw.split(",")]
    return Timing(*values)


async def _recover(app: procrastinate.App, timing: Timing) -> None:
    while True:
        try:
            stalled = await app.job_manager.get_stalled_jobs(
                seconds_since_heartbeat=timing.stalled_s
            )
            for job in stalled:
                log.warning("job %s of a dead worker: retrying it", job.id)
                await app.job_manager.retry_job(job)
        except Exception as exc:  # the database may be briefly away; try again later
            log.warning("looking for stalled jobs failed: %s", exc)
        await asyncio.sleep(timing.recover_s)


async def _keep_alive(worker: procrastinate.worker.Worker, timing: Timing) -> None:
    """Heartbeats while a stopping worker lets its running jobs finish.

    The library stops a worker's heartbeat as soon as it is asked to stop, before it
    waits for the running jobs; a run that takes longer than ``stalled_s`` to finish
    would then look stalled and be retried elsewhere while it still runs here.
    """
    while True:
        await asyncio.sleep(timing.heartbeat_s)
        if worker.worker_id is not None and worker._stop_event.is_set():
            with contextlib.suppress(Exception):
                await worker.app.job_manager.update_heartbeat(worker.worker_id)


async def _announce(worker: procrastinate.worker.Worker, name: str) -> None:
    """Write this worker's name beside the library's record of it (the Queue view shows
    which worker runs each job), once the record exists."""
    while worker.worker_id is None:
        await asyncio.sleep(0.05)
    try:
        await worker.app.connector.execute_query_async(
            "INSERT INTO coauthor_workers (worker_id, name) VALUES (%(id)s, %(name)s) "
            "ON CONFLICT (worker_id) DO NOTHING",
            id=worker.worker_id,
            name=name,
        )
    except Exception as exc:  # a name is for people; the worker runs without it
        log.warning("could not record this worker's name: %s", exc)


STUDIO_WORKER_ENV = "COAUTHOR_STUDIO_WORKER_PID"
"""The pid of the worker ``coauthor studio`` started with the studio: the studio's pages
start no second one while it runs."""
PARENT_ENV = "COAUTHOR_WORKER_PARENT"
"""The pid of the process that started this worker and whose end ends it (the studio)."""


async def _watch_parent(worker: procrastinate.worker.Worker, parent: int) -> None:
    """Stop (as on SIGTERM: a running job finishes first) once the process that started
    this worker is gone, however it ended: a studio killed with SIGKILL leaves no worker."""
    while os.getppid() == parent:
        await asyncio.sleep(0.5)
    log.warning("the process that started this worker (%s) is gone: stopping", parent)
    worker.stop()  # type: ignore[no-untyped-call]


async def _serve(app: procrastinate.App, concurrency: int, name: str, timing: Timing) -> None:
    async with app.open_async():
        worker = app._worker(
            queues=[QUEUE],
            concurrency=concurrency,
            name=name,
            wait=True,
            update_heartbeat_interval=timing.heartbeat_s,
            stalled_worker_timeout=timing.stalled_s,
            fetch_job_polling_interval=timing.poll_s,
            abort_job_polling_interval=timing.poll_s,
        )
        helpers = [
            asyncio.create_task(_recover(app, timing)),
            asyncio.create_task(_keep_alive(worker, timing)),
            asyncio.create_task(_announce(worker, name)),
        ]
        parent = os.environ.get(PARENT_ENV, "")
        if parent.isdigit():
            helpers.append(asyncio.create_task(_watch_parent(worker, int(parent))))
        try:
            await worker.run()  # type: ignore[no-untyped-call]
        finally:
            for helper in helpers:
                helper.cancel()
            for helper in helpers:
                with contextlib.suppress(asyncio.CancelledError):
                    await helper


def serve(settings: Settings, *, concurrency: int = 1, name: str | None = None) -> None:
    """Execute jobs until SIGINT/SIGTERM (a running job finishes first; a second signal
    stops at once and the job is retried by another worker)."""
    logging.basicConfig(
        level=os.environ.get("COAUTHOR_WORKER_LOG", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    url = queue_url(settings)
    app = open_app(url)
    apply_schema(app, url)
    warm_up(settings)
    label = name or f"{socket.gethostname()}:{os.getpid()}"
    asyncio.run(_serve(app, concurrency, label, timing_from_env()))


def warm_up(settings: Settings | None = None) -> None:
    """Prepare what every run needs before taking the first job, so a job's time is its
    own: import scikit-learn (seconds), index the shipped examples, compile the prompt
    templates and open the store (its migrations are checked once). Without it the first
    jobs each did all this at the same time, in one interpreter: the first of a batch's
    waves took a fifth longer than the next (bench/batch.py)."""
    from coauthor.pipeline.exemplars import index_examples
    from coauthor.prompts import compile_all
    from coauthor.queue.jobs import worker_store

    index_examples()
    compile_all()
    if settings is not None:
        worker_store(settings.database_url)


def prepare(settings: Settings) -> procrastinate.App:
    """An opened app on the configured queue, its tables created if needed."""
    url = queue_url(settings)
    app = open_app(url)
    apply_schema(app, url)
    app.open()
    return app


def start_local_worker(
    settings: Settings, *, concurrency: int, log_file: Path
) -> subprocess.Popen[bytes]:
    """A ``coauthor worker`` in the background for the studio (``make studio``); it gets
    the caller's settings as ``COAUTHOR_*`` variables, and stops when the caller's process
    ends (``stop_local_worker`` at a clean exit; watching its parent otherwise)."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env[PARENT_ENV] = str(os.getpid())
    for field, value in settings.model_dump(mode="json").items():
        if value is not None:
            env[f"COAUTHOR_{field.upper()}"] = str(value)
    with log_file.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "coauthor", "worker", "--concurrency", str(concurrency)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )


def stop_local_worker(process: subprocess.Popen[bytes], *, grace_s: float = 5.0) -> None:
    """Ask a worker started by ``start_local_worker`` to stop (SIGTERM: it stops taking
    jobs and lets a running one finish); wait up to ``grace_s`` seconds for it. A worker
    still finishing a run after that stops by itself once its parent is gone."""
    if process.poll() is not None:
        return
    process.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace_s)

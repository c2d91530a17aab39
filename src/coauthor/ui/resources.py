"""The studio's resource factory: the store, the settings, models and run workers.

Everything here is shared by every session of one studio process, so it holds
no per-author state (that lives in ``st.session_state``). Tests swap the model
factory and the run launcher (the job queue) with ``set_model_factory`` and ``set_launcher``
instead of patching any SDK.
"""

from __future__ import annotations

import atexit
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import procrastinate
import streamlit as st
from platformdirs import user_data_path

from coauthor.llm.base import Model
from coauthor.llm.registry import model_from_string
from coauthor.pipeline.context import Context, master_text
from coauthor.pipeline.studio import studio_settings
from coauthor.pipeline.watch import pid_alive
from coauthor.queue.app import queue_in_use
from coauthor.queue.jobs import cancel_run, enqueue_run, queue_jobs
from coauthor.queue.worker import (
    STUDIO_WORKER_ENV,
    prepare,
    start_local_worker,
    stop_local_worker,
)
from coauthor.schemas import Language
from coauthor.schemas.team import User
from coauthor.settings import Settings
from coauthor.store import Store
from coauthor.store.team import local_user

T = TypeVar("T")
ModelFactory = Callable[[str, Settings], Model]
Launcher = Callable[[Settings, int], None]

_model_factory: ModelFactory | None = None
_launcher: Launcher | None = None


def set_model_factory(factory: ModelFactory | None) -> None:
    """Replace how models are built (tests inject a ScriptedModel); None restores it."""
    global _model_factory
    _model_factory = factory


def set_launcher(launcher: Launcher | None) -> None:
    """Replace how a run's worker is started (tests run it in a thread); None restores it."""
    global _launcher
    _launcher = launcher


@st.cache_resource(show_spinner=False)
def _base_settings(environment: tuple[tuple[str, str], ...]) -> Settings:
    return Settings()


def base_settings() -> Settings:
    """Settings from the environment; rebuilt only when a ``COAUTHOR_`` variable changes."""
    names = sorted((k, v) for k, v in os.environ.items() if k.startswith("COAUTHOR_"))
    return _base_settings(tuple(names))


@st.cache_resource(show_spinner=False)
def _store(url: str) -> Store:
    return Store(url)


USER_KEY = "coauthor_user"
"""Where the signed-in user's name lives in ``st.session_state`` (set by the sign-in)."""


def current_user() -> str:
    """Who this session acts as: the signed-in user, else (single-user mode) the local one."""
    signed_in = st.session_state.get(USER_KEY)
    return signed_in if isinstance(signed_in, str) and signed_in else local_user()


def sign_in(name: str, *, display_name: str = "") -> User:
    """Admit a signed-in identity: the first one on a single-user database becomes its admin;
    on a team database someone who is not a member is refused (``PermissionDenied``)."""
    return _store(base_settings().database_url).sign_in(name, display_name=display_name)


def store() -> Store:
    """The shared store (one connection pool per database URL) acting as this session's
    user: every write is checked against that user's role and records their name."""
    return _store(base_settings().database_url).acting_as(current_user())


def settings() -> Settings:
    """The environment's settings with what the Settings page saved on top."""
    return studio_settings(store(), base_settings())


def log_dir() -> Path:
    return user_data_path("coauthor", appauthor=False) / "logs"


@st.cache_resource(show_spinner=False)
def _shared_model(spec: str, config_json: str) -> Model:
    """One model per spec and settings, shared by every session (the embedded model's
    server starts once); each call gets its own hooked view, so sessions never record
    into each other's logbook rows."""
    return model_from_string(spec, Settings.model_validate_json(config_json))


def ask(
    config: Settings,
    language: Language,
    call: Callable[[Context], T],
    *,
    stage: str,
    task_id: int | None = None,
) -> T:
    """``call(context)`` with the configured model and master document, logged under
    ``stage``, for the synchronous model calls pages make (lessons, plan, edits).

    The real model is built once per spec and kept (the embedded model starts its
    server on first use); a test factory's model is used as given.
    """
    db = store()
    master = master_text(db, config)
    if _model_factory is not None:
        model = _model_factory(config.model, config)
    else:
        model = _shared_model(config.model, config.model_dump_json())
    logged = model.hooked(record=lambda record: db.log_call(record, stage=stage, task_id=task_id))
    return call(Context(logged, master, language))


@st.cache_resource(show_spinner=False)
def _queue(url: str, database_url: str) -> procrastinate.App:
    """The job queue (one connection pool per studio process), tables created if needed."""
    return prepare(base_settings())


def queue() -> procrastinate.App:
    config = base_settings()
    return _queue(config.queue_url or "local", config.database_url)


@st.cache_resource(show_spinner=False)
def _local_workers() -> list[subprocess.Popen[bytes]]:
    """The workers this studio started (``make studio`` needs no second command)."""
    return []


def ensure_local_worker(config: Settings) -> None:
    """Start the studio's own ``coauthor worker`` unless one it started still runs (or
    the one ``coauthor studio`` started with it). It stops when the studio exits.

    ``COAUTHOR_STUDIO_WORKERS=0``: start none (workers run elsewhere, sharing the queue).
    """
    wanted = int(os.environ.get("COAUTHOR_STUDIO_WORKERS", "1"))
    given = os.environ.get(STUDIO_WORKER_ENV, "")
    if given.isdigit() and pid_alive(int(given)):
        return  # ``coauthor studio`` started one, and stops it with the studio
    started = _local_workers()
    started[:] = [process for process in started if process.poll() is None]
    if wanted > 0 and not started:
        process = start_local_worker(config, concurrency=wanted, log_file=log_dir() / "worker.log")
        atexit.register(stop_local_worker, process)  # the studio's end is the worker's
        started.append(process)


def launch(config: Settings, run_id: int) -> None:
    """Put run ``run_id`` on the job queue (a worker executes it, verified)."""
    if _launcher is not None:
        _launcher(config, run_id)
        return
    enqueue_run(queue(), run_id, verify=True, user=author(), limit=config.queue_user_limit)
    ensure_local_worker(config)


def cancel(run_id: int) -> None:
    """Cancel a waiting run at once; ask a running one to stop at its next stage."""
    if _launcher is not None or not queue_in_use(base_settings()):
        store().request_cancel(run_id)
        return
    cancel_run(queue(), store(), run_id)


def author() -> str:
    """Who starts runs from this studio (for the per-author limit on runs in flight)."""
    return os.environ.get("COAUTHOR_AUTHOR") or os.environ.get("USER") or "author"


def job_status(run_id: int) -> str | None:
    """The status of the run's newest job on the queue ("none" when it has none); None
    when runs are not on the queue (tests start them in threads)."""
    if _launcher is not None or not queue_in_use(base_settings()):
        return None
    jobs = queue_jobs(queue(), run_id=run_id)
    return jobs[0].status if jobs else "none"

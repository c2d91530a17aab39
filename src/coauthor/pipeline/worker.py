"""Executes one generation run, writing live progress to the store.

A queue worker (``coauthor worker``, see coauthor.queue) calls ``work`` for each job it
takes; the studio only enqueues and polls the store, so closing a tab, reloading or
clicking elsewhere never stops or loses a run.
"""

from __future__ import annotations

from collections.abc import Callable

from coauthor.llm.base import Model, ModelError
from coauthor.llm.registry import model_from_string
from coauthor.pipeline.claims import me
from coauthor.pipeline.context import master_text
from coauthor.pipeline.figures import FigureDrawer
from coauthor.pipeline.progress import StoreEvents
from coauthor.pipeline.runner import RunCancelledError, RunFailedError, Runner
from coauthor.pipeline.verify import Checker
from coauthor.settings import Settings
from coauthor.store import RunInfo, Store

ModelFactory = Callable[[RunInfo, Settings, Store], Model]


def work(
    settings: Settings,
    run_id: int,
    *,
    verify: bool = False,
    take_over: bool = False,
    model_factory: ModelFactory | None = None,
    store: Store | None = None,
) -> int:
    """Run ``run_id`` to the end in this process; 0 when it finished or was cancelled.

    With ``verify`` every step is checked in the sandbox (with the settings' repair
    rounds) and the verdicts appear in the live progress as they arrive. ``take_over``:
    the caller holds the queue's lock on the run, so a previous owner (a worker that
    died, perhaps on another machine) is replaced rather than asked whether it lives.
    ``store``: an open store to use (a worker keeps one for all its jobs); default: one
    opened (and closed) here.
    """
    if store is None:
        with Store(settings.database_url) as opened:
            return _work(settings, opened, run_id, verify, take_over, model_factory)
    return _work(settings, store, run_id, verify, take_over, model_factory)


def _work(
    settings: Settings,
    store: Store,
    run_id: int,
    verify: bool,
    take_over: bool,
    model_factory: ModelFactory | None,
) -> int:
    run = store.run(run_id)
    if run.status == "done":
        return 0
    if take_over and not store.claim_run(run_id, me(), replacing=run.owner):
        return 0 if store.run(run_id).status == "done" else 1
    store.clear_cancel(run_id)
    try:
        if model_factory is not None:
            model = model_factory(run, settings, store)
        else:
            model = model_from_string(run.model, settings)
    except (ModelError, ValueError) as exc:  # a bad spec or a missing key: say so
        store.set_run_status(run_id, "failed", error=f"model: {exc}")
        return 1
    events = StoreEvents(store, run_id)
    shown = model.hooked(on_text=events.text)
    events.usage = shown.usage
    try:
        runner = Runner(
            store,
            shown,
            master=master_text(store, settings),
            events=events,
            checker=Checker.from_settings(settings) if verify else None,
            repair_rounds=settings.repair_rounds,
            exemplar_tokens=settings.exemplar_tokens,
            figures=FigureDrawer.for_store(store, settings),
        )
        runner.execute(run_id)
    except RunCancelledError:
        return 0
    except RunFailedError as exc:
        events.note(f"failed: {exc}")
        return 1
    finally:
        events.flush(force=True)
        model.close()
    return 0

"""Live progress of a run in the store, for the views that poll it.

Writes are throttled; a pending cancellation request stops the run at the next
chunk of text or stage boundary.
"""

from __future__ import annotations

import os
import time

from coauthor.pipeline.events import Events, repair_words, tests_words
from coauthor.pipeline.parts import Part
from coauthor.pipeline.runner import RunCancelledError
from coauthor.schemas import Verdict
from coauthor.schemas.calls import Usage
from coauthor.schemas.runs import RunProgress
from coauthor.store import Store

WRITE_EVERY_S = 0.4


class StoreEvents(Events):
    """Progress for pollers: stage, step, the text as it streams, tokens, notes, verdicts."""

    def __init__(self, store: Store, run_id: int, *, usage: Usage | None = None) -> None:
        self.store = store
        self.run_id = run_id
        self.usage = usage
        self.state = RunProgress()
        self._written = 0.0
        self.flush(force=True, pid=os.getpid())

    def stage_started(self, stage: str, *, step: int | None = None, total: int = 0) -> None:
        self._check_cancel()
        self.state = self.state.model_copy(
            update={"stage": stage, "step": step, "total": total, "detail": "", "text": ""}
        )
        self.flush(force=True)

    def stage_finished(self, stage: str, *, step: int | None = None, total: int = 0) -> None:
        done = self.state.stages_done + 1
        self.state = self.state.model_copy(update={"stages_done": done, "detail": ""})
        self.flush(force=True)

    def repair_round(self, step: int, *, number: int, rounds: int, part: Part | None) -> None:
        self._check_cancel()
        detail = repair_words(number, rounds, part)
        self.state = self.state.model_copy(
            update={"stage": "repair", "step": step, "detail": detail, "text": ""}
        )
        self.flush(force=True)

    def tests_round(self, step: int, *, number: int, rounds: int) -> None:
        self._check_cancel()
        detail = tests_words(number, rounds)
        self.state = self.state.model_copy(
            update={"stage": "repair", "step": step, "detail": detail, "text": ""}
        )
        self.flush(force=True)

    def note(self, message: str) -> None:
        self.state = self.state.noted(message)
        self.flush(force=True)

    def text(self, chunk: str) -> None:
        self.state = self.state.with_text(chunk)
        self.flush()

    def verdict(self, step: int, verdict: Verdict) -> None:
        kept = verdict.model_copy(update={"output": ""})
        self.state = self.state.model_copy(update={"verdicts": {**self.state.verdicts, step: kept}})
        self.flush(force=True)

    def flush(self, *, force: bool = False, pid: int | None = None) -> None:
        now = time.monotonic()
        if not force and now - self._written < WRITE_EVERY_S:
            return
        if self.usage is not None:
            self.state = self.state.model_copy(
                update={
                    "tokens_in": self.usage.prompt_tokens,
                    "tokens_out": self.usage.completion_tokens,
                }
            )
        self.store.set_progress(self.run_id, self.state, worker_pid=pid)
        self._written = now
        if not force:
            self._check_cancel()

    def _check_cancel(self) -> None:
        if self.store.cancel_requested(self.run_id):
            raise RunCancelledError(f"run {self.run_id} was cancelled")

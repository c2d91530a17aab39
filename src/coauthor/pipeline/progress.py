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
    """Progress for pollers: stage, step, the text as it streams, tokens, notes, verdicts.

    One write per stage: a stage's start is written with the cancellation check in the
    same transaction; its end (stages done) waits for the next write, which follows at
    once (the next stage's start, or the ``run_ended`` flush). Streamed text is gathered
    and written at most every WRITE_EVERY_S.
    """

    def __init__(self, store: Store, run_id: int, *, usage: Usage | None = None) -> None:
        self.store = store
        self.run_id = run_id
        self.usage = usage
        self.state = RunProgress()
        self._written = 0.0
        self._chunks: list[str] = []
        self._pending = False
        self.flush(force=True, pid=os.getpid())

    def stage_started(self, stage: str, *, step: int | None = None, total: int = 0) -> None:
        self._change(stage=stage, step=step, total=total, detail="", text="")
        self._write_and_check()

    def stage_finished(self, stage: str, *, step: int | None = None, total: int = 0) -> None:
        self._change(stages_done=self.state.stages_done + 1, detail="")
        self._pending = True

    def repair_round(self, step: int, *, number: int, rounds: int, part: Part | None) -> None:
        self._change(stage="repair", step=step, detail=repair_words(number, rounds, part), text="")
        self._write_and_check()

    def tests_round(self, step: int, *, number: int, rounds: int) -> None:
        self._change(stage="repair", step=step, detail=tests_words(number, rounds), text="")
        self._write_and_check()

    def note(self, message: str) -> None:
        self.state = self.state.noted(message)
        self.flush(force=True)

    def text(self, chunk: str) -> None:
        self._chunks.append(chunk)
        self.flush()

    def verdict(self, step: int, verdict: Verdict) -> None:
        kept = verdict.model_copy(update={"output": ""})
        self._change(verdicts={**self.state.verdicts, step: kept})
        self.flush(force=True)

    def run_ended(self) -> None:
        if self._pending or self._chunks:
            self.flush(force=True)

    def flush(self, *, force: bool = False, pid: int | None = None) -> None:
        if not force and time.monotonic() - self._written < WRITE_EVERY_S:
            return
        if self._write(pid) and not force:
            self._cancelled()

    def _change(self, **update: object) -> None:
        if "text" in update:
            self._chunks = []
        self.state = self.state.model_copy(update=update)

    def _write_and_check(self) -> None:
        """Write the state now; stop the run if a cancellation was requested."""
        if self._write(None):
            self._cancelled()

    def _write(self, pid: int | None) -> bool:
        """Write the state (with the text gathered and the tokens so far); True when a
        cancellation was requested."""
        update: dict[str, object] = {}
        if self._chunks:
            update["text"] = self.state.with_text("".join(self._chunks)).text
            self._chunks = []
        if self.usage is not None:
            update["tokens_in"] = self.usage.prompt_tokens
            update["tokens_out"] = self.usage.completion_tokens
        if update:
            self.state = self.state.model_copy(update=update)
        cancelled = self.store.set_progress(self.run_id, self.state, worker_pid=pid)
        self._written = time.monotonic()
        self._pending = False
        return cancelled

    def _cancelled(self) -> None:
        raise RunCancelledError(f"run {self.run_id} was cancelled")

"""What the studio tests share besides fixtures: runs executed in threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

from coauthor.llm.base import JsonSchema, Model
from coauthor.llm.testing import Reply, ScriptedModel
from coauthor.pipeline.context import master_text
from coauthor.pipeline.progress import StoreEvents
from coauthor.pipeline.runner import RunCancelledError, RunFailedError, Runner
from coauthor.pipeline.verify import Checker
from coauthor.schemas.calls import Message, Usage
from coauthor.settings import Settings
from coauthor.store import Store


class ThreadRuns:
    """Runs started by the studio, executed in threads with a given model."""

    def __init__(self) -> None:
        self.model: Model = ScriptedModel()
        self.verify = False
        self.threads: list[threading.Thread] = []

    def launch(self, settings: Settings, run_id: int) -> None:
        thread = threading.Thread(target=self._work, args=(settings, run_id), daemon=True)
        self.threads.append(thread)
        thread.start()

    def _work(self, settings: Settings, run_id: int) -> None:
        with Store(settings.database_url) as store:
            store.clear_cancel(run_id)
            events = StoreEvents(store, run_id)
            shown = self.model.hooked(on_text=events.text)
            events.usage = shown.usage
            checker = Checker.from_settings(settings) if self.verify else None
            runner = Runner(
                store,
                shown,
                master=master_text(store, settings),
                events=events,
                checker=checker,
                repair_rounds=0,
            )
            try:
                runner.execute(run_id)
            except (RunCancelledError, RunFailedError):
                pass
            finally:
                events.flush(force=True)

    def join(self, timeout: float = 60.0) -> None:
        for thread in self.threads:
            thread.join(timeout)
            assert not thread.is_alive(), "a run thread did not finish"


class GatedModel(ScriptedModel):
    """Stops in the middle of streaming reply ``hold_at`` (1-based) until ``gate`` is set,
    so a test can look at a run while it is being written."""

    def __init__(self, replies: list[Reply], *, hold_at: int) -> None:
        super().__init__(replies)
        self.hold_at = hold_at
        self.gate = threading.Event()
        self.holding = threading.Event()

    def _stream(
        self, messages: list[Message], *, schema: JsonSchema | None, max_tokens: int
    ) -> Iterator[str | Usage]:
        call = len(self.requests) + 1
        for index, chunk in enumerate(
            super()._stream(messages, schema=schema, max_tokens=max_tokens)
        ):
            if call == self.hold_at and index == 1:
                time.sleep(0.5)  # past the progress throttle, so the text so far is written
            yield chunk
            if call == self.hold_at and index == 1:
                self.holding.set()
                assert self.gate.wait(60), "the test never opened the gate"


def wait_for(condition: Callable[[], bool], *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)

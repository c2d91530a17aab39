"""A ``coauthor worker`` whose runs answer with scripted replies (run as a script by the
queue tests): each run gets the replies of the stages it has not finished yet, so a run
taken over from a killed worker resumes where its checkpoints end."""

from __future__ import annotations

import os
import sys
import time

from coauthor.llm.base import Completion, JsonSchema, Model, ModelError
from coauthor.llm.testing import ScriptedModel
from coauthor.queue import jobs
from coauthor.queue.worker import serve
from coauthor.schemas.calls import Message
from coauthor.settings import Settings
from coauthor.store import RunInfo, Store
from coauthor.testing import run_replies


class SlowModel(ScriptedModel):
    """Waits ``delay`` seconds before each reply (a kill can land mid-run)."""

    def __init__(self, replies: list[object], delay: float) -> None:
        super().__init__(replies)  # type: ignore[arg-type]
        self.delay = delay

    def _complete(
        self, messages: list[Message], *, schema: JsonSchema | None, max_tokens: int
    ) -> Completion:
        time.sleep(self.delay)
        return super()._complete(messages, schema=schema, max_tokens=max_tokens)


def first_unfinished_call(steps: int, done: set[str]) -> int:
    calls = [("lessons", 1), ("plan", 1)]
    for number in range(1, steps + 1):
        calls += [(f"step:{number}", 3), (f"summary:{number}", 1)]
    first = 0
    for stage, count in calls:
        if stage not in done:
            return first
        first += count
    return first


def replay(run: RunInfo, settings: Settings, store: Store) -> Model:
    """The replies of the unfinished stages; an idea with FAIL in it gets a model error."""
    if "FAIL" in run.brief.idea:
        return ScriptedModel([ModelError("the scripted model refuses this idea")])
    steps = run.brief.steps
    replies = run_replies(steps)
    start = first_unfinished_call(steps, set(store.checkpoints(run.id)))
    return SlowModel(replies[start:], float(os.environ.get("SCRIPTED_DELAY", "0")))


if __name__ == "__main__":
    jobs.model_factory = replay
    serve(Settings(), concurrency=int(sys.argv[1]), name=sys.argv[2])

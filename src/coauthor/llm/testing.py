"""Models for tests, shipped with the package so any caller can script a run."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from pydantic import BaseModel

from coauthor.llm.base import (
    Capabilities,
    Completion,
    JsonSchema,
    Model,
    RealModelBlockedError,
    dump,
)
from coauthor.schemas.calls import Message, Usage

Reply = str | BaseModel | Exception

BLOCK_ENV = "COAUTHOR_BLOCK_REAL_MODELS"
_blocked = False
_watched: list[list[ScriptedModel]] = []


def block_real_models(blocked: bool = True) -> None:
    """Forbid (or allow again) requests to real model servers in this process."""
    global _blocked
    _blocked = blocked


def check_real_model_allowed(name: str) -> None:
    """Called by real backends before every request."""
    if _blocked or os.environ.get(BLOCK_ENV) == "1":
        raise RealModelBlockedError(
            f"a request to the real model {name!r} was blocked; "
            "mark the test with @pytest.mark.real_model to allow it"
        )


class ScriptedModel(Model):
    """Replies from a queue, in order.

    A ``BaseModel`` reply is sent as its JSON; an ``Exception`` is raised at that
    call. It declares no routing ability unless given ``capabilities`` that say so.
    One call too many fails, and so does ``assert_done`` with replies left.
    """

    name = "scripted"

    def __init__(
        self, replies: Iterable[Reply] = (), *, capabilities: Capabilities | None = None
    ) -> None:
        super().__init__(capabilities=capabilities or Capabilities(routing=False))
        self.replies: deque[Reply] = deque(replies)
        self.requests: list[list[Message]] = []
        for made in _watched:
            made.append(self)

    def add(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def _complete(
        self, messages: list[Message], *, schema: JsonSchema | None, max_tokens: int
    ) -> Completion:
        self.requests.append(list(messages))
        if not self.replies:
            raise AssertionError(
                f"ScriptedModel got call {len(self.requests)} but has no reply left; "
                f"last message: {messages[-1]['content'][:200]!r}"
            )
        reply = self.replies.popleft()
        if isinstance(reply, Exception):
            raise reply
        text = dump(reply) if isinstance(reply, BaseModel) else reply
        prompt = sum(len(m["content"]) for m in messages) // 4
        return Completion(text=text, usage=Usage(prompt, len(text) // 4))

    def _stream(
        self, messages: list[Message], *, schema: JsonSchema | None, max_tokens: int
    ) -> Iterator[str | Usage]:
        completion = self._complete(messages, schema=schema, max_tokens=max_tokens)
        for start in range(0, len(completion.text), 16):
            yield completion.text[start : start + 16]
        yield completion.usage

    def assert_done(self) -> None:
        if self.replies:
            raise AssertionError(f"ScriptedModel has {len(self.replies)} unused replies")


@contextmanager
def watch_scripted_models() -> Iterator[list[ScriptedModel]]:
    """Every ScriptedModel made inside the block (a test suite checks that each one used
    all its replies, so a forgotten ``assert_done`` never hides a call that did not happen)."""
    made: list[ScriptedModel] = []
    _watched.append(made)
    try:
        yield made
    finally:
        _watched.remove(made)

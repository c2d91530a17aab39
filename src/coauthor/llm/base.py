"""The one small interface every model backend implements.

A backend implements ``_complete`` (one request, one reply). Everything
else — validation, re-asks with the validation error, code extraction,
usage accounting, the logbook hook — lives here, so every backend behaves
the same way.
"""

from __future__ import annotations

import functools
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from coauthor.llm.code import (
    CodeResult,
    code_error,
    code_reply,
    drop_repeated_definitions,
    extract_code,
)
from coauthor.prompts import render
from coauthor.schemas.calls import CallRecord, Message, Usage

T = TypeVar("T", bound=BaseModel)

JsonSchema = dict[str, Any]
"""A JSON schema as Pydantic writes it: free-form JSON by nature."""


class ModelError(Exception):
    """A model call failed for a reason that is not the caller's input."""


class ModelUnavailableError(ModelError):
    """The model server cannot be reached or keeps failing."""


class InvalidReplyError(ModelError):
    """The model kept replying with something that does not validate."""

    def __init__(self, message: str, *, last_reply: str, usage: Usage) -> None:
        super().__init__(message)
        self.last_reply = last_reply
        self.usage = usage


class RealModelBlockedError(ModelError):
    """Raised in tests when a real model would be called without opting in."""


@dataclass
class Completion:
    text: str
    usage: Usage = field(default_factory=Usage)


Recorder = Callable[[CallRecord], None]
TextListener = Callable[[str], None]


@dataclass(frozen=True)
class Capabilities:
    """What a model can be trusted with, declared by its backend (never read off a name)."""

    structured_output: bool = True
    """Replies can be held to a JSON schema by the server."""
    streaming: bool = True
    routing: bool = True
    """Good enough to decide the messages the offline router is unsure of, and to write
    free answers (guidelines, explanations, reviews); a 135M model is not."""
    context_tokens: int = 8192


class Model(ABC):
    """A language model. Subclasses implement ``_complete`` (and may stream).

    A model object may be shared (one embedded server for a whole studio); whoever
    needs its calls recorded or streamed asks for ``hooked(...)``, a light view with
    its own hooks and usage, so two users never record into each other's run.
    """

    name: str = "model"
    reasks: int = 2

    def __init__(self, *, capabilities: Capabilities | None = None) -> None:
        self.usage = Usage()
        self._capabilities = capabilities or Capabilities()
        self._recorder: Recorder | None = None
        self._on_text: TextListener | None = None

    def hooked(
        self, *, record: Recorder | None = None, on_text: TextListener | None = None
    ) -> Model:
        """This model, with every call passed to ``record`` and, when ``on_text`` is set,
        every request streamed and each text delta passed to it (live views)."""
        return Hooked(self, record=record, on_text=on_text)

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    # -- what a backend implements -------------------------------------------------
    @abstractmethod
    def _complete(
        self, messages: list[Message], *, schema: JsonSchema | None, max_tokens: int
    ) -> Completion:
        """Send one request; with ``schema`` the reply must be JSON for it."""

    def _stream(
        self, messages: list[Message], *, schema: JsonSchema | None, max_tokens: int
    ) -> Iterator[str | Usage]:
        """Text deltas as they are written, then (where the server says) the usage."""
        completion = self._complete(messages, schema=schema, max_tokens=max_tokens)
        yield completion.text
        yield completion.usage

    def close(self) -> None:  # noqa: B027  (optional hook: most backends hold nothing)
        """Release what the backend holds (a server process, a connection pool)."""

    # -- what callers use ----------------------------------------------------------
    def text(self, messages: list[Message], *, max_tokens: int = 800) -> str:
        return self._call(messages, schema=None, max_tokens=max_tokens).text

    def stream(self, messages: list[Message], *, max_tokens: int = 800) -> Iterator[str]:
        started = time.monotonic()
        chunks: list[str] = []
        usage = Usage()
        error: str | None = None
        try:
            for chunk in self._stream(messages, schema=None, max_tokens=max_tokens):
                if isinstance(chunk, Usage):
                    usage = chunk
                else:
                    chunks.append(chunk)
                    yield chunk
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            usage = usage if usage.completion_tokens else _estimate(messages, chunks)
            self._count(usage)
            self._record(messages, "".join(chunks), usage, started, error)

    def generate(self, messages: list[Message], *, output: type[T], max_tokens: int = 900) -> T:
        """Ask for JSON matching ``output``; re-ask with the validation error if it does not."""
        schema = json_schema(output)
        history = list(messages)
        spent = Usage()
        reply = ""
        for attempt in range(self.reasks + 1):
            completion = self._call(history, schema=schema, max_tokens=max_tokens)
            spent.add(completion.usage)
            reply = completion.text
            try:
                return output.model_validate(_parsed(reply))
            except ValueError as exc:  # invalid JSON, or a ValidationError
                problem = _short_errors(exc) if isinstance(exc, ValidationError) else str(exc)
            if attempt < self.reasks:
                history += [
                    {"role": "assistant", "content": reply},
                    {"role": "user", "content": render("reask_json.j2", problem=problem)},
                ]
        raise InvalidReplyError(
            f"the model did not return valid {output.__name__} after {self.reasks + 1} "
            f"attempts ({problem})",
            last_reply=reply,
            usage=spent,
        )

    def code(self, messages: list[Message], *, max_tokens: int = 900) -> CodeResult:
        """Ask for Python code in a fenced block; re-ask while it does not parse.

        The last attempt is returned even when it does not parse, so the caller can
        keep it and flag it rather than invent a placeholder. A top-level definition the
        model repeated is removed (the first kept) and named in ``notes``, for the flags.
        """
        history = list(messages)
        result = CodeResult(code="", error="no reply")
        for attempt in range(self.reasks + 1):
            with code_reply():
                reply = self._call(history, schema=None, max_tokens=max_tokens).text
            code, notes = drop_repeated_definitions(extract_code(reply))
            result = CodeResult(
                code=code, error=code_error(code), attempts=attempt + 1, notes=notes
            )
            if result.error is None:
                return result
            if attempt < self.reasks:
                history += [
                    {"role": "assistant", "content": reply},
                    {"role": "user", "content": render("reask_code.j2", problem=result.error)},
                ]
        return result

    # -- bookkeeping ---------------------------------------------------------------
    def _count(self, usage: Usage) -> None:
        self.usage.add(usage)

    def _call(
        self, messages: list[Message], *, schema: JsonSchema | None, max_tokens: int
    ) -> Completion:
        started = time.monotonic()
        try:
            if self._on_text is None:
                completion = self._complete(messages, schema=schema, max_tokens=max_tokens)
            else:
                completion = self._streamed(messages, schema=schema, max_tokens=max_tokens)
        except Exception as exc:
            self._record(messages, "", Usage(), started, f"{type(exc).__name__}: {exc}")
            raise
        self._count(completion.usage)
        self._record(messages, completion.text, completion.usage, started, None)
        return completion

    def _streamed(
        self, messages: list[Message], *, schema: JsonSchema | None, max_tokens: int
    ) -> Completion:
        chunks: list[str] = []
        usage = Usage()
        for chunk in self._stream(messages, schema=schema, max_tokens=max_tokens):
            if isinstance(chunk, Usage):
                usage = chunk
            elif chunk:
                chunks.append(chunk)
                if self._on_text is not None:
                    self._on_text(chunk)
        if not usage.completion_tokens:
            usage = _estimate(messages, chunks)
        return Completion(text="".join(chunks), usage=usage)

    def _record(
        self,
        messages: list[Message],
        reply: str,
        usage: Usage,
        started: float,
        error: str | None,
    ) -> None:
        if self._recorder is not None:
            record = CallRecord(
                model=self.name,
                messages=list(messages),
                reply=reply,
                usage=usage,
                latency_s=time.monotonic() - started,
                error=error,
            )
            self._recorder(record)


class Hooked(Model):
    """A view of a model with its own recorder, text listener and usage; the requests go
    to the model it wraps, which stays usable by others at the same time.

    A view of a view keeps the hooks it does not replace, and its usage also counts
    in the view it was made from (a run's tokens reach the worker that shows them).
    """

    def __init__(
        self, parent: Model, *, record: Recorder | None, on_text: TextListener | None
    ) -> None:
        super().__init__()
        self.parent = parent
        self.inner: Model = parent.inner if isinstance(parent, Hooked) else parent
        self.name = parent.name
        self.reasks = parent.reasks
        self._recorder = record or parent._recorder
        self._on_text = on_text or parent._on_text

    def _count(self, usage: Usage) -> None:
        self.usage.add(usage)
        self.parent._count(usage)

    def __repr__(self) -> str:
        return f"Hooked({self.inner!r})"

    @property
    def capabilities(self) -> Capabilities:
        return self.inner.capabilities

    def _complete(
        self, messages: list[Message], *, schema: JsonSchema | None, max_tokens: int
    ) -> Completion:
        return self.inner._complete(messages, schema=schema, max_tokens=max_tokens)

    def _stream(
        self, messages: list[Message], *, schema: JsonSchema | None, max_tokens: int
    ) -> Iterator[str | Usage]:
        return self.inner._stream(messages, schema=schema, max_tokens=max_tokens)


@functools.lru_cache(maxsize=128)
def json_schema(output: type[BaseModel]) -> JsonSchema:
    """``output``'s JSON schema, built once per model class (building it took a tenth of a
    run's own time); shared by every request: backends read it and never change it."""
    return output.model_json_schema()


def _estimate(messages: list[Message], chunks: list[str]) -> Usage:
    """Usage where a streaming server does not report it: a delta is about one token."""
    prompt = sum(len(m["content"]) for m in messages) // 4
    return Usage(prompt_tokens=prompt, completion_tokens=len(chunks))


def _parsed(reply: str) -> object:
    """The reply's JSON; raw control characters inside strings (a newline a small model
    wrote into a grammar-constrained string) are accepted rather than re-asked."""
    try:
        return json.loads(_json_part(reply), strict=False)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the reply is not valid JSON: {exc}") from None


def _json_part(reply: str) -> str:
    """The JSON object in a reply, tolerating prose or a fence around it."""
    start, end = reply.find("{"), reply.rfind("}")
    if start == -1 or end <= start:
        return reply
    return reply[start : end + 1]


def _short_errors(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "reply"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def dump(model: BaseModel) -> str:
    """JSON text of a model, as a scripted reply or a prompt would hold it."""
    return json.dumps(model.model_dump(mode="json"), ensure_ascii=False)

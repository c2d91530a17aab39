"""A backend for any server that speaks OpenAI's chat completions API.

The official SDK sends the requests; this module shapes them for the server's
dialect (a ``Profile``), streams every one of them and retries what a second try
may fix (see ``coauthor.llm.transport``), and turns the last error into one line
that says what happened and what to do.

A stream that fails before any text was passed on is retried like any request. A
whole reply (``_complete``) is collected before anything is passed on, so a stream
cut half-way is restarted from the beginning. A stream whose text is being passed
on (``_stream``: live views, ``Model.stream``) is not restarted once text has gone
out, since the caller would get it twice; the error says after how many chunks it
was cut.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, cast

import openai
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from coauthor.llm.base import (
    Capabilities,
    Completion,
    JsonSchema,
    Model,
    ModelUnavailableError,
)
from coauthor.llm.openai_errors import Explainer, one_line, stream_fault
from coauthor.llm.testing import check_real_model_allowed
from coauthor.llm.transport import (
    TRANSPORT_FAULTS,
    BadReplyError,
    StreamCutError,
    Timeouts,
    attempts_allowed,
    backoff,
)
from coauthor.schemas.calls import Message, Usage

R = TypeVar("R")

KEY_ENVS = ("COAUTHOR_API_KEY", "OPENAI_API_KEY")
NO_KEY = "not-needed"


@dataclass(frozen=True)
class Profile:
    """How one kind of server wants structured output, seeds and token limits."""

    name: str
    structured: Literal["json_schema", "json_object"]
    send_seed: bool = True
    tokens_param: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    stream_usage: bool = True
    """Ask for usage in the last streamed chunk (``stream_options``)."""


OPENAI = Profile("openai", structured="json_schema")
# llama-cpp-python's server rejects ``json_schema`` but turns a ``schema`` next to
# ``json_object`` into a grammar, so the reply is guaranteed to parse. It streams
# one token per chunk and no usage, so usage is counted from the chunks.
LLAMA_CPP = Profile("llamacpp", structured="json_object", stream_usage=False)


def key_in_environment() -> bool:
    return any(os.environ.get(env, "").strip() for env in KEY_ENVS)


def resolve_api_key(api_key: str | None) -> str:
    """The given key, else one from the environment, else a placeholder for local servers."""
    if api_key:
        return api_key
    for env in KEY_ENVS:
        value = os.environ.get(env)
        if value:
            return value
    return NO_KEY


class OpenAIModel(Model):
    """A model behind an OpenAI-compatible HTTP API.

    The API key goes to the SDK client and nowhere else: not into ``name``,
    ``repr`` or any record the logbook keeps.
    """

    _connect_on_init = True  # a subclass that starts its own server connects later

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        profile: Profile = OPENAI,
        temperature: float = 0.0,
        seed: int | None = None,
        timeouts: Timeouts | None = None,
        max_retries: int = 3,
        reasks: int = 2,
        capabilities: Capabilities | None = None,
    ) -> None:
        super().__init__(capabilities=capabilities)
        self.model = model
        self.profile = profile
        self.temperature = temperature
        self.seed = seed
        self.timeouts = timeouts or Timeouts()
        self.max_retries = max_retries
        self.first_backoff = 0.5
        self.reasks = reasks
        self.name = f"{profile.name}:{model}"
        self._client: openai.OpenAI | None = None
        if self._connect_on_init:
            self._connect(base_url, api_key=api_key)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, base_url={self.shown_url!r})"

    @property
    def base_url(self) -> str | None:
        return None if self._client is None else str(self._client.base_url)

    @property
    def shown_url(self) -> str | None:
        """The base URL without credentials or query, safe for logs and messages."""
        if self._client is None:
            return None
        url = self._client.base_url
        return str(url.copy_with(username=None, password=None, query=None))

    def _connect(self, base_url: str | None, *, api_key: str | None = None) -> None:
        """Point the model at a server (subclasses call this once the URL is known)."""
        self.close_client()
        self._client = openai.OpenAI(
            base_url=base_url,
            api_key=resolve_api_key(api_key),
            timeout=self.timeouts.for_client(),
            max_retries=0,  # retried here, where a cut stream and a non-JSON reply count too
        )

    def close_client(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def close(self) -> None:
        self.close_client()

    # -- requests ------------------------------------------------------------------
    def _complete(
        self, messages: list[Message], *, schema: JsonSchema | None, max_tokens: int
    ) -> Completion:
        check_real_model_allowed(self.name)
        request = self._request(messages, schema=schema, max_tokens=max_tokens)
        return self._retried(lambda: self._collected(messages, request))

    def _stream(
        self, messages: list[Message], *, schema: JsonSchema | None, max_tokens: int
    ) -> Iterator[str | Usage]:
        check_real_model_allowed(self.name)
        request = self._request(messages, schema=schema, max_tokens=max_tokens)
        attempt = 0
        while True:
            attempt += 1
            sent = 0
            try:
                for piece in self._one_stream(request):
                    sent += isinstance(piece, str)
                    yield piece
                return
            except TRANSPORT_FAULTS as exc:
                if sent:
                    raise self._explainer().cut(exc, sent, attempt) from exc
                self._wait_or_raise(exc, attempt)

    def _retried(self, send: Callable[[], R]) -> R:
        attempt = 0
        while True:
            attempt += 1
            try:
                return send()
            except TRANSPORT_FAULTS as exc:
                self._wait_or_raise(exc, attempt)

    def _wait_or_raise(self, exc: Exception, attempt: int) -> None:
        if attempt >= attempts_allowed(exc, self.max_retries):
            raise self._explainer().explain(exc, attempt) from exc
        time.sleep(backoff(attempt, exc, first=self.first_backoff))

    def _explainer(self) -> Explainer:
        return Explainer(
            where=f"the model server at {self.shown_url}",
            model=self.model,
            timeouts=self.timeouts,
            json_schema=self.profile.structured == "json_schema",
        )

    def _collected(self, messages: list[Message], request: dict[str, Any]) -> Completion:
        chunks: list[str] = []
        usage: Usage | None = None
        for piece in self._one_stream(request):
            if isinstance(piece, Usage):
                usage = piece
            else:
                chunks.append(piece)
        if usage is None:  # a delta is about one token (llama.cpp sends no usage)
            usage = Usage(sum(len(m["content"]) for m in messages) // 4, len(chunks))
        return Completion(text="".join(chunks), usage=usage)

    def _one_stream(self, request: dict[str, Any]) -> Iterator[str | Usage]:
        """One streamed request: text deltas, then the usage where the server sends it."""
        client = self._ready_client()
        with client.chat.completions.create(**request, stream=True) as stream:
            kind = stream.response.headers.get("content-type", "")
            if "text/event-stream" not in kind:  # a server that ignored ``stream``
                yield from _whole_reply(stream.response.read(), kind)
                return
            finished = False
            try:
                for chunk in stream:
                    finished = finished or _finished(chunk)
                    yield from _pieces(chunk)
            except json.JSONDecodeError as exc:
                raise BadReplyError(f"sent a stream event that is not JSON ({exc})") from None
            except TRANSPORT_FAULTS as exc:
                raise stream_fault(exc, self.timeouts) from exc
        if not finished:
            raise StreamCutError("ended the stream before the reply was finished")

    def _ready_client(self) -> openai.OpenAI:
        if self._client is None:
            raise ModelUnavailableError(f"{self.name} is not connected to a server")
        return self._client

    def _request(
        self, messages: list[Message], *, schema: JsonSchema | None, max_tokens: int
    ) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.model,
            "messages": cast(Any, messages),
            "temperature": self.temperature,
            self.profile.tokens_param: max_tokens,
        }
        if self.profile.stream_usage:
            request["stream_options"] = {"include_usage": True}
        if self.seed is not None and self.profile.send_seed:
            request["seed"] = self.seed
        if schema is not None:
            request["response_format"] = self._response_format(schema)
        return request

    def _response_format(self, schema: JsonSchema) -> JsonSchema:
        if self.profile.structured == "json_object":
            return {"type": "json_object", "schema": schema}
        return {
            "type": "json_schema",
            "json_schema": {"name": "reply", "schema": schema, "strict": False},
        }


def _finished(chunk: ChatCompletionChunk) -> bool:
    return any(choice.finish_reason for choice in chunk.choices)


def _pieces(chunk: ChatCompletionChunk) -> Iterator[str | Usage]:
    if chunk.choices and chunk.choices[0].delta.content:
        yield chunk.choices[0].delta.content
    if chunk.usage is not None:
        yield Usage(chunk.usage.prompt_tokens or 0, chunk.usage.completion_tokens or 0)


def _whole_reply(body: bytes, kind: str) -> Iterator[str | Usage]:
    """A complete (non-streamed) reply from a server that does not stream."""
    shown = one_line(body.decode(errors="replace"), 80)
    try:
        data = json.loads(body)
    except ValueError:
        what = f"{kind or 'no content type'}: {shown!r}" if shown else "an empty body"
        raise BadReplyError(f"sent a reply that is not JSON ({what})") from None
    try:
        reply = ChatCompletion.model_validate(data)
    except ValueError:
        raise BadReplyError(f"sent JSON that is not a chat completion ({shown!r})") from None
    if not reply.choices:
        raise BadReplyError("sent a reply with no choices")
    yield reply.choices[0].message.content or ""
    if reply.usage is not None:
        yield Usage(reply.usage.prompt_tokens or 0, reply.usage.completion_tokens or 0)

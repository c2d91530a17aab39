"""A backend for any server that speaks OpenAI's chat completions API.

The official SDK does the transport: its retries with backoff cover rate limits,
server errors, timeouts and dropped connections. This module only shapes the
request for the server's dialect (a ``Profile``) and turns the SDK's final errors
into one-line messages that say what to do.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, cast

import openai

from coauthor.llm.base import (
    Capabilities,
    Completion,
    JsonSchema,
    Model,
    ModelError,
    ModelUnavailableError,
)
from coauthor.llm.testing import check_real_model_allowed
from coauthor.schemas.calls import Message, Usage

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
        timeout: float = 300.0,
        max_retries: int = 3,
        reasks: int = 2,
        capabilities: Capabilities | None = None,
    ) -> None:
        super().__init__(capabilities=capabilities)
        self.model = model
        self.profile = profile
        self.temperature = temperature
        self.seed = seed
        self.timeout = timeout
        self.max_retries = max_retries
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
            timeout=self.timeout,
            max_retries=self.max_retries,
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
        client = self._ready_client()
        try:
            response = client.chat.completions.create(
                **self._request(messages, schema=schema, max_tokens=max_tokens)
            )
        except openai.APIError as exc:
            raise self._explain(exc) from exc
        if not response.choices:
            raise ModelError(f"the model server at {self.shown_url} sent a reply with no choices")
        text = response.choices[0].message.content or ""
        usage = response.usage
        if usage is None:
            return Completion(text=text)
        return Completion(
            text=text,
            usage=Usage(usage.prompt_tokens or 0, usage.completion_tokens or 0),
        )

    def _stream(
        self, messages: list[Message], *, schema: JsonSchema | None, max_tokens: int
    ) -> Iterator[str | Usage]:
        check_real_model_allowed(self.name)
        client = self._ready_client()
        request = self._request(messages, schema=schema, max_tokens=max_tokens)
        if self.profile.stream_usage:
            request["stream_options"] = {"include_usage": True}
        try:
            with client.chat.completions.create(**request, stream=True) as chunks:
                for chunk in chunks:
                    if chunk.choices and chunk.choices[0].delta.content:
                        yield chunk.choices[0].delta.content
                    if chunk.usage is not None:
                        used = chunk.usage
                        yield Usage(used.prompt_tokens or 0, used.completion_tokens or 0)
        except openai.APIError as exc:
            raise self._explain(exc) from exc

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

    def _explain(self, exc: openai.APIError) -> ModelError:
        """One line that says what went wrong and what to do; never the API key."""
        where = f"the model server at {self.shown_url}"
        if isinstance(exc, openai.APITimeoutError):
            return ModelUnavailableError(
                f"{where} did not answer within {self.timeout:g} s "
                f"(tried {self.max_retries + 1} times); check it is not overloaded "
                "or raise COAUTHOR_REQUEST_TIMEOUT"
            )
        if isinstance(exc, openai.APIConnectionError):
            return ModelUnavailableError(
                f"cannot reach {where}: {_one_line(str(exc))}; "
                "check it is running or set COAUTHOR_MODEL"
            )
        if not isinstance(exc, openai.APIStatusError):
            return ModelError(f"{where} sent a reply that could not be read: {_one_line(str(exc))}")
        status = exc.status_code
        if status in (401, 403):
            return ModelError(
                f"{where} rejected the API key (HTTP {status}); "
                "set COAUTHOR_API_KEY or OPENAI_API_KEY to a valid key"
            )
        detail = _one_line(exc.message)
        if status == 429:
            return ModelUnavailableError(
                f"{where} is rate limiting requests (HTTP 429, tried {self.max_retries + 1} "
                f"times): {detail}; wait a minute or raise COAUTHOR_MAX_RETRIES"
            )
        if status >= 500 and "'json_object'" in detail and self.profile.structured == "json_schema":
            return ModelError(
                f"{where} does not accept json_schema replies (HTTP {status}): {detail}; "
                "for a llama-cpp-python server use COAUTHOR_MODEL=llamacpp:MODEL@URL"
            )
        if status >= 500:
            return ModelUnavailableError(
                f"{where} keeps failing (HTTP {status}, tried {self.max_retries + 1} times): "
                f"{detail}; check the server's log"
            )
        if status == 404:
            return ModelError(
                f"{where} does not know model {self.model!r} or the URL is wrong (HTTP 404): "
                f"{detail}; check COAUTHOR_MODEL"
            )
        return ModelError(f"{where} refused the request (HTTP {status}): {detail}")


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"

"""The last error of a request to an OpenAI-compatible server, as one line that says
what happened (with the true number of attempts) and what to do; never the API key."""

from __future__ import annotations

from dataclasses import dataclass

import openai

from coauthor.llm.base import ModelError, ModelUnavailableError
from coauthor.llm.transport import (
    HTTP_TRANSPORT_ERRORS,
    BadReplyError,
    StreamCutError,
    Timeouts,
    silent,
)


def stream_fault(exc: Exception, timeouts: Timeouts) -> Exception:
    """A fault after the reply had started: the stream was cut, not the server unreachable."""
    if isinstance(exc, openai.APIStatusError | BadReplyError):
        return exc
    if silent(exc):
        return StreamCutError(
            f"went silent for {timeouts.read:g} s in the middle of the stream", silent=True
        )
    if isinstance(exc, (openai.APIConnectionError, *HTTP_TRANSPORT_ERRORS)):
        return StreamCutError("dropped the connection in the middle of the stream")
    return exc


@dataclass(frozen=True)
class Explainer:
    where: str
    """``the model server at URL``, the URL without credentials."""
    model: str
    timeouts: Timeouts
    json_schema: bool
    """Whether structured replies were asked for with ``json_schema``."""

    def cut(self, exc: Exception, sent: int, attempts: int) -> ModelError:
        """A stream cut after its text was passed on, so it was not restarted."""
        reason = str(exc) if isinstance(exc, StreamCutError) else one_line(str(exc))
        return ModelUnavailableError(
            f"{self.where} {reason}: the stream was cut after {sent} chunk{'s' * (sent != 1)} "
            f"({tried(attempts)}; not restarted, as its text was already passed on); try again"
        )

    def explain(self, exc: Exception, attempts: int) -> ModelError:
        where, times = self.where, tried(attempts)
        if isinstance(exc, BadReplyError):
            return ModelUnavailableError(
                f"{where} {exc} ({times}); check that the URL is its OpenAI-compatible API "
                "(it usually ends in /v1)"
            )
        if isinstance(exc, StreamCutError):
            return ModelUnavailableError(f"{where} {exc} ({times}); check the server's log")
        if silent(exc):
            return self._silence(exc, times)
        if isinstance(exc, (openai.APIConnectionError, *HTTP_TRANSPORT_ERRORS)):
            return connection_lost(exc, where, times)
        if not isinstance(exc, openai.APIStatusError):
            return ModelError(f"{where} sent a reply that could not be read: {one_line(str(exc))}")
        return self._status(exc, times)

    def _silence(self, exc: Exception, times: str) -> ModelError:
        cause = type(exc.__cause__ or exc).__name__
        if "Connect" in cause or "Pool" in cause:
            return ModelUnavailableError(
                f"{self.where} did not accept a connection within {self.timeouts.connect:g} s "
                f"({times}); check the host and port, or raise COAUTHOR_CONNECT_TIMEOUT"
            )
        return ModelUnavailableError(
            f"{self.where} sent nothing for {self.timeouts.read:g} s ({times}); check it is "
            "not hung or overloaded, or raise COAUTHOR_READ_TIMEOUT"
        )

    def _status(self, exc: openai.APIStatusError, times: str) -> ModelError:
        where, status, detail = self.where, exc.status_code, one_line(exc.message)
        if status in (401, 403):
            return ModelError(
                f"{where} rejected the API key (HTTP {status}); "
                "set COAUTHOR_API_KEY or OPENAI_API_KEY to a valid key"
            )
        if status == 429:
            return ModelUnavailableError(
                f"{where} is rate limiting requests (HTTP 429, {times}): {detail}; "
                "wait a minute or raise COAUTHOR_MAX_RETRIES"
            )
        if status >= 500 and "'json_object'" in detail and self.json_schema:
            return ModelError(
                f"{where} does not accept json_schema replies (HTTP {status}): {detail}; "
                "for a llama-cpp-python server use COAUTHOR_MODEL=llamacpp:MODEL@URL"
            )
        if status >= 500:
            return ModelUnavailableError(
                f"{where} keeps failing (HTTP {status}, {times}): {detail}; check the server's log"
            )
        if status == 404:
            return ModelError(
                f"{where} does not know model {self.model!r} or the URL is wrong (HTTP 404): "
                f"{detail}; check COAUTHOR_MODEL"
            )
        return ModelError(f"{where} refused the request (HTTP {status}): {detail}")


def connection_lost(exc: Exception, where: str, times: str) -> ModelError:
    cause = exc.__cause__ or exc
    detail = one_line(f"{exc} ({cause})" if cause is not exc else str(exc))
    if "Connect" in type(cause).__name__:
        return ModelUnavailableError(
            f"cannot reach {where} ({times}): {detail}; check it is running or set COAUTHOR_MODEL"
        )
    return ModelUnavailableError(
        f"{where} dropped the connection before replying ({times}): {detail}; "
        "check the server's log"
    )


def tried(attempts: int) -> str:
    return "tried once" if attempts == 1 else f"tried {attempts} times"


def one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"

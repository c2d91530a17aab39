"""How requests to a model server wait, fail and are retried.

Every request streams, so no timeout bounds a reply that keeps arriving:

- ``connect``: opening the connection, getting one from the pool, sending the request;
- ``read``: the longest silence allowed, before the first token and between two chunks.

A non-streamed reply only starts once it is complete, so a read timeout short enough
to notice a hung server would also cut every long reply; streaming every request
removes that trade-off.

Retried with exponential backoff, or after the server's ``Retry-After``: refused or
reset connections, HTTP 408/409/429/5xx, a reply that is not JSON, a stream that
ends before the reply is finished. A server that stays silent for the whole read
timeout is tried at most twice: it is more likely hung than busy, and each try
costs the whole timeout.
"""

from __future__ import annotations

import email.utils
import importlib
import random
import time
from dataclasses import dataclass

import httpx
import openai

RETRY_STATUSES = frozenset({408, 409, 429})
FIRST_BACKOFF_S = 0.5
MAX_BACKOFF_S = 8.0
MAX_RETRY_AFTER_S = 60.0
SILENT_ATTEMPTS = 2


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait; none of them bounds a reply that keeps arriving."""

    connect: float = 5.0
    read: float = 20.0

    def for_client(self) -> openai.Timeout:
        return openai.Timeout(
            connect=self.connect, read=self.read, write=self.read, pool=self.connect
        )


class BadReplyError(Exception):
    """The server answered 200 with something that is not a chat completion."""


class StreamCutError(Exception):
    """The stream stopped before the reply was finished (no ``finish_reason``)."""

    def __init__(self, message: str, *, silent: bool = False) -> None:
        super().__init__(message)
        self.silent = silent


def _sdk_error(name: str, fallback: type[Exception]) -> type[Exception]:
    """An error class of ``httpx2``, the HTTP library of recent SDKs, which they raise
    unwrapped while a reply's body is read; ``fallback`` (``httpx``'s) for older SDKs."""
    try:
        library = importlib.import_module("httpx2")
    except ImportError:
        return fallback
    error = getattr(library, name, None)
    return error if isinstance(error, type) and issubclass(error, Exception) else fallback


HTTP_TRANSPORT_ERRORS = (httpx.TransportError, _sdk_error("TransportError", httpx.TransportError))
HTTP_TIMEOUTS = (httpx.TimeoutException, _sdk_error("TimeoutException", httpx.TimeoutException))
TRANSPORT_FAULTS: tuple[type[Exception], ...] = (
    openai.APIError,
    *HTTP_TRANSPORT_ERRORS,
    BadReplyError,
    StreamCutError,
)


def retryable(exc: Exception) -> bool:
    """Whether the same request may succeed if sent again."""
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in RETRY_STATUSES or exc.status_code >= 500
    return isinstance(exc, TRANSPORT_FAULTS)


def silent(exc: Exception) -> bool:
    """The server said nothing for the whole read (or connect) timeout."""
    if isinstance(exc, StreamCutError):
        return exc.silent
    return isinstance(exc, (openai.APITimeoutError, *HTTP_TIMEOUTS))


def attempts_allowed(exc: Exception, max_retries: int) -> int:
    if not retryable(exc):
        return 1
    if silent(exc):
        return min(max_retries + 1, SILENT_ATTEMPTS)
    return max_retries + 1


def backoff(attempt: int, exc: Exception, *, first: float = FIRST_BACKOFF_S) -> float:
    """Seconds to wait before attempt ``attempt + 1``: what the server asked, else
    exponential with jitter."""
    asked = retry_after(exc)
    if asked is not None:
        return min(asked, MAX_RETRY_AFTER_S)
    return min(MAX_BACKOFF_S, first * 2.0 ** (attempt - 1)) * random.uniform(0.75, 1.0)


def retry_after(exc: Exception) -> float | None:
    """``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date) of an error reply."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    millis, seconds = headers.get("retry-after-ms"), headers.get("retry-after")
    if millis is not None and _number(millis) is not None:
        return max(0.0, (_number(millis) or 0.0) / 1000)
    if seconds is None:
        return None
    number = _number(seconds)
    if number is not None:
        return max(0.0, number)
    try:
        return max(0.0, email.utils.parsedate_to_datetime(seconds).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None

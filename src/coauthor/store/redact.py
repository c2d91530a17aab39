"""Remove secrets from text before it is stored."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable

REDACTED = "[redacted]"
SECRET_NAME_PARTS = ("KEY", "TOKEN", "SECRET", "PASSWORD")
MIN_SECRET_LENGTH = 8

_KEYS = r"sk-[A-Za-z0-9_-]{16,}|secret_[A-Za-z0-9]{20,}|ntn_[A-Za-z0-9]{20,}"
_BEARER = r"(?i:(Bearer\s+)[A-Za-z0-9._~+/=-]+)"
_PATTERN = re.compile(f"{_KEYS}|{_BEARER}")
"""API keys of the known services, and any bearer token: one pass over a text."""


def secret_values() -> list[str]:
    """Values of secret-looking environment variables, longest first."""
    return list(_secret_values(_environment()))


def _environment() -> tuple[tuple[bytes, bytes], ...]:
    """The raw environment, as the cache key: read from the mapping's own dict where it has
    one (iterating ``os.environb`` goes through Python-level mapping methods per variable,
    which costs more than the redaction itself)."""
    raw = getattr(os.environb, "_data", None)
    if isinstance(raw, dict):
        return tuple(raw.items())
    return tuple(os.environb.items())


@functools.lru_cache(maxsize=4)
def _secret_values(environment: tuple[tuple[bytes, bytes], ...]) -> tuple[str, ...]:
    """Computed once per environment (every stored text is redacted: decoding every
    variable per text was a tenth of a run's own time); keyed by the raw bytes, which
    are read without decoding."""
    values = {
        os.fsdecode(raw_value)
        for raw_name, raw_value in environment
        if len(raw_value) >= MIN_SECRET_LENGTH
        and any(p in os.fsdecode(raw_name).upper() for p in SECRET_NAME_PARTS)
    }
    return tuple(sorted(values, key=len, reverse=True))


def redact(text: str) -> str:
    """``text`` with every known secret replaced by ``[redacted]``."""
    return _redact(text, _secret_values(_environment()))


def redactor() -> Callable[[str], str]:
    """``redact`` with the secrets read once, for redacting the many texts of one record.
    Texts repeated from record to record (a run's system message, the master document
    and exemplar in it) are redacted once: the result is kept for the same secrets."""
    return functools.partial(_redact_repeated, values=_secret_values(_environment()))


@functools.lru_cache(maxsize=32)
def _redact_repeated(text: str, values: tuple[str, ...]) -> str:
    return _redact(text, values)


def _redact(text: str, values: tuple[str, ...]) -> str:
    for value in values:
        text = text.replace(value, REDACTED)
    lowered = text.lower()  # the patterns' literal starts, found by plain substring search
    if not any(start in lowered for start in _STARTS):
        return text
    return _PATTERN.sub(_replacement, text)


_STARTS = ("sk-", "secret_", "ntn_", "bearer")
"""Every match of ``_PATTERN`` contains one of these (lowercased): a text without any
cannot match, and most texts (prompts, replies) are passed without a regex scan."""


def _replacement(match: re.Match[str]) -> str:
    bearer = match.group(1)
    return REDACTED if bearer is None else bearer + REDACTED

"""Remove secrets from text before it is stored."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable

REDACTED = "[redacted]"
SECRET_NAME_PARTS = ("KEY", "TOKEN", "SECRET", "PASSWORD")
MIN_SECRET_LENGTH = 8

_PATTERNS = (
    re.compile(r"sk-[A-Za-z0-9_-]{16,}"),
    re.compile(r"secret_[A-Za-z0-9]{20,}"),
    re.compile(r"ntn_[A-Za-z0-9]{20,}"),
)
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)


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
    """``redact`` with the secrets read once, for redacting the many texts of one record."""
    return functools.partial(_redact, values=_secret_values(_environment()))


def _redact(text: str, values: tuple[str, ...]) -> str:
    for value in values:
        text = text.replace(value, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    return _BEARER.sub(lambda m: m.group(1) + REDACTED, text)

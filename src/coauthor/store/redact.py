"""Remove secrets from text before it is stored."""

from __future__ import annotations

import os
import re

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
    values = {
        value
        for name, value in os.environ.items()
        if len(value) >= MIN_SECRET_LENGTH and any(p in name.upper() for p in SECRET_NAME_PARTS)
    }
    return sorted(values, key=len, reverse=True)


def redact(text: str) -> str:
    """``text`` with every known secret replaced by ``[redacted]``."""
    for value in secret_values():
        text = text.replace(value, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    return _BEARER.sub(lambda m: m.group(1) + REDACTED, text)

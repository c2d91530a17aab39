"""Redaction: one pass (with a substring pre-check) leaves nothing the separate patterns
would find, and leaves a text without secrets as it was."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coauthor.store.redact import REDACTED, redact

_SEPARATE = (
    re.compile(r"sk-[A-Za-z0-9_-]{16,}"),
    re.compile(r"secret_[A-Za-z0-9]{20,}"),
    re.compile(r"ntn_[A-Za-z0-9]{20,}"),
)
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)


def _reference(text: str) -> str:
    for pattern in _SEPARATE:
        text = pattern.sub(REDACTED, text)
    return _BEARER.sub(lambda m: m.group(1) + REDACTED, text)


PIECES = st.sampled_from(
    [
        "sk-",
        "secret_",
        "ntn_",
        "Bearer ",
        "BeArEr\t",
        "bearer",
        "SK-",
        "abcdefghij",
        "0123456789",
        "_-",
        " ",
        "\n",
        "ключ ",
        "Authorization: ",
        ".~+/=",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=12).map("".join))
def test_one_pass_leaves_no_secret_and_keeps_clean_text(text: str) -> None:
    cleaned = redact(text)
    assert not any(pattern.search(cleaned) for pattern in (*_SEPARATE, _BEARER)), cleaned
    if _reference(text) == text:
        assert cleaned == text


@pytest.mark.parametrize(
    "text",
    [
        "key sk-abcdefghijklmnopqrstuvwxyz end",
        "Authorization: BEARER abc.def-ghi",
        "notion ntn_abcdefghijklmnopqrstuvwxyz0123 and secret_abcdefghijklmnopqrstuvwxyz",
        "nothing secret here",
    ],
)
def test_known_secrets_are_redacted(text: str) -> None:
    cleaned = redact(text)
    assert cleaned == _reference(text)
    assert ("[redacted]" in cleaned) == (text != "nothing secret here")

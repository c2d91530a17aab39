"""Figures are drawn under bubblewrap, the sandbox the checks of a step use."""

from __future__ import annotations

import functools

import pytest

from coauthor.sandbox import BubblewrapSandbox, SandboxUnavailableError


@functools.cache
def _bubblewrap() -> BubblewrapSandbox | str:
    try:
        return BubblewrapSandbox()
    except SandboxUnavailableError as exc:
        return str(exc)


@pytest.fixture
def sandbox() -> BubblewrapSandbox:
    found = _bubblewrap()
    if isinstance(found, str):
        pytest.skip(f"bubblewrap unavailable here: {found}")
    return found

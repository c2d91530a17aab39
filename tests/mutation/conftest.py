"""Sandboxes for the mutation tests: bubblewrap where it works, and the rlimits-only
fallback for the hostile mutants."""

from __future__ import annotations

import functools

import pytest

from coauthor.sandbox import BubblewrapSandbox, RlimitSandbox, Sandbox, SandboxUnavailableError


@functools.cache
def _bubblewrap() -> BubblewrapSandbox | str:
    try:
        return BubblewrapSandbox()
    except SandboxUnavailableError as exc:
        return str(exc)


@pytest.fixture
def bwrap() -> Sandbox:
    found = _bubblewrap()
    if isinstance(found, str):
        pytest.skip(f"bubblewrap unavailable here: {found}")
    return found


@pytest.fixture(params=["bubblewrap", "rlimits-only"])
def any_sandbox(request: pytest.FixtureRequest) -> Sandbox:
    if request.param == "rlimits-only":
        return RlimitSandbox()
    found = _bubblewrap()
    if isinstance(found, str):
        pytest.skip(f"bubblewrap unavailable here: {found}")
    return found

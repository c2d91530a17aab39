"""Sandbox fixtures: every hostile case runs under bubblewrap (when it works) and the fallback."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from coauthor.sandbox import BubblewrapSandbox, RlimitSandbox, Sandbox, SandboxUnavailableError
from coauthor.sandbox.boundary import Mode


@functools.cache
def _bubblewrap() -> BubblewrapSandbox | str:
    try:
        return BubblewrapSandbox()
    except SandboxUnavailableError as exc:
        return str(exc)


@pytest.fixture(params=["bubblewrap", "rlimits-only"])
def sandbox(request: pytest.FixtureRequest) -> Sandbox:
    if request.param == "rlimits-only":
        return RlimitSandbox()
    found = _bubblewrap()
    if isinstance(found, str):
        pytest.skip(f"bubblewrap unavailable here: {found}")
    return found


@pytest.fixture
def bwrap_sandbox() -> BubblewrapSandbox:
    found = _bubblewrap()
    if isinstance(found, str):
        pytest.skip(f"bubblewrap unavailable here: {found}")
    return found


@pytest.fixture
def find_processes() -> Callable[[str], list[int]]:
    return _processes_with


def _processes_with(marker: str) -> list[int]:
    """Host pids whose command line contains ``marker`` (zombies excluded)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if marker.encode() in cmdline and state not in (b"Z", b"X"):
            found.append(int(entry.name))
    return found


@pytest.fixture(params=["process-isolated", "in-process, tamper-evident"])
def mode(request: pytest.FixtureRequest) -> Mode:
    """Both ways of running the tests against a solution."""
    chosen: Mode = request.param
    return chosen

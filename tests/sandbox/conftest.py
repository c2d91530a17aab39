"""Sandbox fixtures: every hostile case runs under bubblewrap (when it works) and the fallback."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from coauthor.sandbox import Sandbox
from coauthor.sandbox.boundary import Mode


@pytest.fixture
def sandbox(any_sandbox: Sandbox) -> Sandbox:
    return any_sandbox


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

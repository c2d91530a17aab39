"""Figures are drawn under bubblewrap, the sandbox the checks of a step use."""

from __future__ import annotations

import pytest

from coauthor.sandbox import BubblewrapSandbox


@pytest.fixture
def sandbox(bwrap_sandbox: BubblewrapSandbox) -> BubblewrapSandbox:
    return bwrap_sandbox

"""Sandboxes for the mutation tests: bubblewrap where it works (``bwrap``), and each
sandbox in turn for the hostile mutants (``any_sandbox``, from the root conftest)."""

from __future__ import annotations

import pytest

from coauthor.sandbox import Sandbox


@pytest.fixture
def bwrap(bwrap_sandbox: Sandbox) -> Sandbox:
    return bwrap_sandbox

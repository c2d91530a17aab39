"""Real model requests are blocked unless a test is marked ``real_model``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from coauthor.llm.testing import block_real_models


@pytest.fixture(autouse=True)
def _block_real_models(request: pytest.FixtureRequest) -> Iterator[None]:
    block_real_models(request.node.get_closest_marker("real_model") is None)
    yield
    block_real_models(False)

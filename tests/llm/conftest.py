"""A scripted OpenAI-compatible server for the backend's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from openai_server import FakeOpenAI


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()

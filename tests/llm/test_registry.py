"""Choosing a model by one string."""

from __future__ import annotations

from pathlib import Path

import pytest

from coauthor.llm import local, registry
from coauthor.llm.base import Model, ModelUnavailableError
from coauthor.llm.local import LocalModel
from coauthor.llm.openai_backend import LLAMA_CPP, OPENAI, OpenAIModel
from coauthor.llm.registry import (
    missing_key,
    model_from_string,
    register_backend,
    registered_backend,
)
from coauthor.llm.testing import ScriptedModel
from coauthor.llm.transport import Timeouts
from coauthor.settings import Settings

SETTINGS = Settings(
    temperature=0.5, seed=9, connect_timeout=3, read_timeout=30, max_retries=4, reasks=3
)


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_factories", dict(registry._factories))
    monkeypatch.setattr(registry, "_forms", dict(registry._forms))
    for env in ("OPENAI_BASE_URL", "COAUTHOR_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(env, raising=False)


@pytest.fixture
def gguf(tmp_path: Path) -> Path:
    path = tmp_path / "tiny-model.Q4_0.gguf"
    path.write_bytes(b"GGUF")
    return path


def test_local_is_the_embedded_model_and_starts_nothing(
    monkeypatch: pytest.MonkeyPatch, gguf: Path
) -> None:
    monkeypatch.setattr(local, "default_gguf", lambda: gguf)
    model = model_from_string("local", SETTINGS)
    assert isinstance(model, LocalModel)
    assert model.name == "local:tiny-model.Q4_0"
    assert model.server.model_path == gguf and model.server.process is None
    assert (model.temperature, model.seed, model.reasks) == (0.5, 9, 3)
    assert model.profile == LLAMA_CPP


def test_local_with_a_path(gguf: Path) -> None:
    model = model_from_string(f"local:{gguf}", SETTINGS)
    assert isinstance(model, LocalModel) and model.server.model_path == gguf


def test_local_with_a_missing_path(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match=r"does not exist.*COAUTHOR_MODEL"):
        model_from_string(f"local:{tmp_path / 'nope.gguf'}", SETTINGS)


def test_openai_uses_the_sdk_default_url_and_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    model = model_from_string("openai:gpt-4o-mini", SETTINGS)
    assert isinstance(model, OpenAIModel)
    assert model.name == "openai:gpt-4o-mini" and model.model == "gpt-4o-mini"
    assert model.base_url is not None and model.base_url.startswith("https://api.openai.com/")
    assert model.profile == OPENAI
    assert (model.temperature, model.seed) == (0.5, 9)
    assert model.timeouts == Timeouts(connect=3, read=30)
    assert (model.max_retries, model.reasks) == (4, 3)


def test_the_real_openai_without_a_key_says_the_key_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ModelUnavailableError, match=r"^OPENAI_API_KEY is not set; export it"):
        model_from_string("openai:gpt-4o-mini", SETTINGS)
    assert missing_key("openai:gpt-4o-mini") is not None
    assert missing_key("openai:m@http://localhost:8000/v1") is None  # a local server needs none
    assert missing_key("local") is None
    monkeypatch.setenv("COAUTHOR_API_KEY", "sk-test")
    assert missing_key("openai:gpt-4o-mini") is None


def test_openai_url_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://10.0.0.5:9000/v1")
    model = model_from_string("openai:m", SETTINGS)
    assert isinstance(model, OpenAIModel)
    assert model.base_url == "http://10.0.0.5:9000/v1/"


@pytest.mark.parametrize(
    ("spec", "name", "url", "profile"),
    [
        ("openai:qwen2.5@http://localhost:8000/v1", "qwen2.5", "http://localhost:8000/v1/", OPENAI),
        ("openai:m@https://user:pw@example.com/v1", "m", "https://user:pw@example.com/v1/", OPENAI),
        ("llamacpp:smol@http://127.0.0.1:8080/v1", "smol", "http://127.0.0.1:8080/v1/", LLAMA_CPP),
        (" openai:m@http://h:1/v1 ", "m", "http://h:1/v1/", OPENAI),
    ],
)
def test_model_at_url(spec: str, name: str, url: str, profile: object) -> None:
    model = model_from_string(spec, SETTINGS)
    assert isinstance(model, OpenAIModel)
    assert (model.model, model.base_url, model.profile) == (name, url, profile)
    assert "pw" not in model.name and "pw" not in repr(model)


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "gpt-4o",
        "anthropic:claude",
        "openai",
        "openai:",
        "openai:@http://h:1/v1",
        "openai:m@localhost:8000",
        "llamacpp:smol",
        "llamacpp",
    ],
)
def test_malformed_specs_list_the_accepted_forms(spec: str) -> None:
    with pytest.raises(ValueError, match=r"openai:MODEL@http://host:port/v1") as info:
        model_from_string(spec, SETTINGS)
    message = str(info.value)
    assert "\n" not in message
    assert "local:/path/to/model.gguf" in message and "llamacpp:MODEL@" in message


def test_a_registered_backend_is_chosen_by_prefix() -> None:
    seen: list[tuple[str, Settings]] = []

    def factory(argument: str, settings: Settings) -> Model:
        seen.append((argument, settings))
        return ScriptedModel(["hi"])

    with registered_backend("scripted", factory):
        model = model_from_string("scripted:one:two", SETTINGS)
        assert isinstance(model, ScriptedModel) and model.reasks == 3
        assert seen == [("one:two", SETTINGS)]
        assert model.text([{"role": "user", "content": "x"}]) == "hi"
        with pytest.raises(ValueError, match=r"scripted:\.\.\."):
            model_from_string("nope:x", SETTINGS)
    with pytest.raises(ValueError, match="unknown model"):
        model_from_string("scripted:one", SETTINGS)


def test_a_backend_can_replace_a_built_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    with registered_backend("openai", lambda argument, settings: ScriptedModel()):
        assert isinstance(model_from_string("openai:m", SETTINGS), ScriptedModel)
    assert not isinstance(model_from_string("openai:m", SETTINGS), ScriptedModel)


@pytest.mark.parametrize("prefix", ["", "a:b", "has space", "x@y"])
def test_a_prefix_must_be_a_plain_word(prefix: str) -> None:
    with pytest.raises(ValueError, match="plain word"):
        register_backend(prefix, lambda argument, settings: ScriptedModel())

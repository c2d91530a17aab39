"""The OpenAI backend against a scripted fake of ``/v1/chat/completions``."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
from openai_server import FakeOpenAI, Step
from pydantic import BaseModel, Field

from coauthor.llm.base import (
    CallRecord,
    InvalidReplyError,
    ModelError,
    ModelUnavailableError,
    RealModelBlockedError,
    Usage,
)
from coauthor.llm.openai_backend import LLAMA_CPP, OpenAIModel
from coauthor.llm.testing import block_real_models
from coauthor.llm.transport import Timeouts

SECRET = "sk-test-secret-0123456789"


@pytest.fixture(autouse=True)
def _no_outside_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for env in ("COAUTHOR_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(env, raising=False)


def make(fake: FakeOpenAI, **kwargs: Any) -> OpenAIModel:
    options: dict[str, Any] = {
        "timeouts": Timeouts(connect=2.0, read=5.0),
        "max_retries": 2,
        "seed": 7,
    }
    options.update(kwargs)
    return OpenAIModel("test-model", fake.url, **options)


class Answer(BaseModel):
    title: str = Field(max_length=20)
    count: int


HELLO = [{"role": "user", "content": "hello"}]

pytestmark = pytest.mark.real_model


def test_text_reply_sends_model_temperature_seed_and_limit(fake: FakeOpenAI) -> None:
    fake.add(Step(content="hi there"))
    model = make(fake, temperature=0.3)
    assert model.text(HELLO, max_tokens=12) == "hi there"
    (seen,) = fake.requests
    assert seen.path == "/v1/chat/completions"
    assert seen.body["model"] == "test-model"
    assert seen.body["messages"] == HELLO
    assert seen.body["temperature"] == 0.3
    assert seen.body["seed"] == 7
    assert seen.body["max_tokens"] == 12
    assert "response_format" not in seen.body
    assert model.usage == Usage(10, 5)


def test_generate_sends_json_schema(fake: FakeOpenAI) -> None:
    fake.add(Step(content='{"title": "a", "count": 2}'))
    assert make(fake).generate(HELLO, output=Answer) == Answer(title="a", count=2)
    form = fake.requests[0].body["response_format"]
    assert form["type"] == "json_schema"
    assert form["json_schema"] == {
        "name": "reply",
        "schema": Answer.model_json_schema(),
        "strict": False,
    }


def test_llamacpp_profile_sends_json_object_with_schema(fake: FakeOpenAI) -> None:
    fake.add(Step(content='{"title": "a", "count": 2}'))
    make(fake, profile=LLAMA_CPP).generate(HELLO, output=Answer)
    form = fake.requests[0].body["response_format"]
    assert form == {"type": "json_object", "schema": Answer.model_json_schema()}


@pytest.mark.parametrize("status", [429, 500, 503])
def test_retries_a_transient_failure_then_succeeds(fake: FakeOpenAI, status: int) -> None:
    fake.add(Step(status, headers={"retry-after-ms": "10"}), Step(content="fine"))
    assert make(fake).text(HELLO) == "fine"
    assert len(fake.requests) == 2


def test_retries_a_500_with_backoff_when_no_retry_after(fake: FakeOpenAI) -> None:
    fake.add(Step(500), Step(content="fine"))
    assert make(fake).text(HELLO) == "fine"
    assert len(fake.requests) == 2


def test_keeps_failing_means_unavailable(fake: FakeOpenAI) -> None:
    fake.add(*[Step(502, headers={"retry-after-ms": "1"}) for _ in range(2)])
    with pytest.raises(ModelUnavailableError, match=r"HTTP 502, tried 2 times"):
        make(fake, max_retries=1).text(HELLO)
    assert len(fake.requests) == 2


def test_rate_limit_that_persists_says_so(fake: FakeOpenAI) -> None:
    fake.add(Step(429, headers={"retry-after-ms": "1"}))
    with pytest.raises(ModelUnavailableError, match="rate limiting"):
        make(fake, max_retries=0).text(HELLO)


def test_slow_reply_times_out_quickly(fake: FakeOpenAI) -> None:
    fake.add(Step(delay=3.0))
    model = make(fake, timeouts=Timeouts(connect=1.0, read=0.3), max_retries=0)
    started = time.monotonic()
    with pytest.raises(ModelUnavailableError, match=r"sent nothing for 0.3 s \(tried once\)"):
        model.text(HELLO)
    assert time.monotonic() - started < 2.0


def test_unreachable_server_says_what_to_do() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    model = OpenAIModel("m", f"http://127.0.0.1:{port}/v1", max_retries=0)
    with pytest.raises(ModelUnavailableError, match=r"cannot reach .*COAUTHOR_MODEL") as info:
        model.text(HELLO)
    assert "\n" not in str(info.value)


def test_unknown_model_is_a_plain_error(fake: FakeOpenAI) -> None:
    fake.add(Step(404, message="model 'test-model' not found"))
    with pytest.raises(ModelError, match="does not know model 'test-model'") as info:
        make(fake).text(HELLO)
    assert not isinstance(info.value, ModelUnavailableError)


def test_reask_carries_validation_error_and_sums_usage(fake: FakeOpenAI) -> None:
    fake.add(
        Step(content='{"title": "a", "count": "many"}', usage=(100, 7)),
        Step(content="not json at all", usage=(120, 3)),
        Step(content='{"title": "b", "count": 3}', usage=(140, 9)),
    )
    model = make(fake, reasks=2)
    assert model.generate(HELLO, output=Answer) == Answer(title="b", count=3)
    assert len(fake.requests) == 3
    second = fake.requests[1].body["messages"]
    assert second[-2] == {"role": "assistant", "content": '{"title": "a", "count": "many"}'}
    assert "count" in second[-1]["content"] and "integer" in second[-1]["content"]
    third = fake.requests[2].body["messages"]
    assert third[-2]["content"] == "not json at all"
    assert model.usage == Usage(360, 19)


def test_invalid_every_time_raises(fake: FakeOpenAI) -> None:
    fake.add(*[Step(content='{"title": "far too long a title here", "count": 1}')] * 2)
    model = make(fake, reasks=1)
    with pytest.raises(InvalidReplyError, match="title") as info:
        model.generate(HELLO, output=Answer)
    assert info.value.usage == Usage(20, 10)
    assert "far too long" in info.value.last_reply
    assert len(fake.requests) == 2


def test_missing_usage_is_estimated_from_the_stream(fake: FakeOpenAI) -> None:
    fake.add(Step(stream=["a", "b", "c"], usage=None))
    model = make(fake)
    assert model.text([{"role": "user", "content": "x" * 40}]) == "abc"
    assert model.usage == Usage(10, 3)


def test_streaming_yields_text_deltas(fake: FakeOpenAI) -> None:
    fake.add(Step(stream=["Hel", "lo", ", ", "world"]))
    records: list[CallRecord] = []
    model = make(fake).hooked(record=records.append)
    assert list(model.stream(HELLO, max_tokens=5)) == ["Hel", "lo", ", ", "world"]
    assert fake.requests[0].body["stream"] is True
    assert records[0].reply == "Hello, world"


def test_key_from_env_is_sent_but_never_recorded(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COAUTHOR_API_KEY", SECRET)
    fake.add(
        Step(content='{"title": "a", "count": "x"}'),
        Step(content='{"title": "a", "count": 1}'),
        Step(401, message=f"Incorrect API key provided: {SECRET}"),
    )
    records: list[CallRecord] = []
    model = make(fake).hooked(record=records.append)
    model.generate(HELLO, output=Answer)
    with pytest.raises(ModelError, match="rejected the API key") as info:
        model.text(HELLO)
    assert all(r.headers["authorization"] == f"Bearer {SECRET}" for r in fake.requests)
    assert len(records) == 3 and records[-1].error is not None
    for text in (repr(records), repr(model), model.name, str(info.value)):
        assert SECRET not in text


@pytest.mark.parametrize(
    ("given", "env", "expected"),
    [
        ("explicit", {"COAUTHOR_API_KEY": "a", "OPENAI_API_KEY": "b"}, "explicit"),
        (None, {"COAUTHOR_API_KEY": "a", "OPENAI_API_KEY": "b"}, "a"),
        (None, {"OPENAI_API_KEY": "b"}, "b"),
        (None, {}, "not-needed"),
    ],
)
def test_api_key_precedence(
    fake: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
    given: str | None,
    env: dict[str, str],
    expected: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    fake.add(Step())
    make(fake, api_key=given).text(HELLO)
    assert fake.requests[0].headers["authorization"] == f"Bearer {expected}"


def test_base_url_from_env(fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
    fake.add(Step(content="via env"))
    assert OpenAIModel("m").text(HELLO) == "via env"


def test_blocked_models_send_nothing(fake: FakeOpenAI) -> None:
    block_real_models(True)  # what the conftest does for a test not marked real_model
    with pytest.raises(RealModelBlockedError):
        make(fake).text(HELLO)
    with pytest.raises(RealModelBlockedError):
        list(make(fake).stream(HELLO))
    assert fake.requests == []

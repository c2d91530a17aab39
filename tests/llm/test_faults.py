"""The OpenAI backend against a misbehaving server: every fault ends in the right
reply (after a retry or a re-ask) or in one clear line, in bounded time."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from openai_server import FakeOpenAI, Fault, Step
from pydantic import BaseModel

from coauthor.cli import main
from coauthor.llm.base import InvalidReplyError, ModelUnavailableError
from coauthor.llm.openai_backend import OpenAIModel
from coauthor.llm.transport import Timeouts

pytestmark = pytest.mark.real_model

HELLO = [{"role": "user", "content": "hello"}]
READ_S = 0.4
BOUND_S = 10.0
"""Far above what these faults take with the small timeouts below: it catches a hang,
not slowness."""

FAULTS = {
    "429 with Retry-After": Step(429, headers={"Retry-After": "0"}),
    "500": Step(500),
    "connection reset": Step(fault="reset"),
    "a reply that never comes": Step(delay=READ_S * 3),
    "a truncated stream": Step(stream=["{", '"wo'], fault="cut"),
    "a stream reset half-way": Step(stream=["{", '"wo'], fault="reset-mid-stream"),
    "a stalled stream": Step(stream=["{", '"wo'], fault="stall", stall=READ_S * 3),
    "a 200 that is not JSON": Step(fault="html"),
    "an empty 200": Step(fault="empty"),
}
EXPECTED = {
    "429 with Retry-After": "rate limiting requests (HTTP 429, tried 3 times)",
    "500": "keeps failing (HTTP 500, tried 3 times)",
    "connection reset": "dropped the connection before replying (tried 3 times)",
    "a reply that never comes": f"sent nothing for {READ_S:g} s (tried 2 times)",
    "a truncated stream": "ended the stream before the reply was finished (tried 3 times)",
    "a stream reset half-way": "dropped the connection in the middle of the stream (tried 3",
    "a stalled stream": f"went silent for {READ_S:g} s in the middle of the stream (tried 2",
    "a 200 that is not JSON": "sent a reply that is not JSON (text/html: '<html>",
    "an empty 200": "sent a reply that is not JSON (an empty body) (tried 3 times)",
}


class Word(BaseModel):
    word: str


def make(fake: FakeOpenAI) -> OpenAIModel:
    model = OpenAIModel(
        "test-model", fake.url, timeouts=Timeouts(connect=1.0, read=READ_S), max_retries=2
    )
    model.first_backoff = 0.01
    return model


@pytest.mark.parametrize("fault", FAULTS)
def test_one_fault_on_a_chosen_call_is_retried(fake: FakeOpenAI, fault: str) -> None:
    fake.add(Step(content='{"word": "one"}'), FAULTS[fault], Step(content='{"word": "two"}'))
    model = make(fake)
    assert model.generate(HELLO, output=Word) == Word(word="one")
    assert model.generate(HELLO, output=Word) == Word(word="two")
    assert len(fake.requests) == 3


@pytest.mark.parametrize("fault", FAULTS)
def test_a_persistent_fault_is_one_line_in_bounded_time(fake: FakeOpenAI, fault: str) -> None:
    fake.add(*[FAULTS[fault]] * 3)
    started = time.monotonic()
    with pytest.raises(ModelUnavailableError) as info:
        make(fake).generate(HELLO, output=Word)
    assert time.monotonic() - started < BOUND_S
    message = str(info.value)
    assert "\n" not in message and EXPECTED[fault] in message, message
    stated = 2 if "tried 2 times" in message else 3
    assert len(fake.requests) == stated


@pytest.mark.parametrize(
    ("replies", "expected"),
    [
        (['{"word": 3}', '{"word": "fixed"}'], Word(word="fixed")),
        (["", '{"word": "fixed"}'], Word(word="fixed")),
    ],
    ids=["json that breaks the schema", "an empty reply"],
)
def test_an_invalid_reply_is_re_asked(fake: FakeOpenAI, replies: list[str], expected: Word) -> None:
    fake.add(*[Step(content=reply) for reply in replies])
    assert make(fake).generate(HELLO, output=Word) == expected
    assert "JSON" in fake.requests[1].body["messages"][-1]["content"]


@pytest.mark.parametrize("reply", ['{"word": 3}', ""], ids=["schema", "empty"])
def test_a_reply_that_stays_invalid_is_one_line(fake: FakeOpenAI, reply: str) -> None:
    fake.add(*[Step(content=reply)] * 3)
    with pytest.raises(InvalidReplyError, match="did not return valid Word after 3 attempts") as e:
        make(fake).generate(HELLO, output=Word)
    assert "\n" not in str(e.value)


def test_retry_after_is_honoured(fake: FakeOpenAI) -> None:
    fake.add(Step(429, headers={"Retry-After": "1"}), Step(content="fine"))
    started = time.monotonic()
    assert make(fake).text(HELLO) == "fine"
    assert time.monotonic() - started >= 0.9


def test_a_stream_that_fails_before_any_text_is_retried(fake: FakeOpenAI) -> None:
    fake.add(Step(fault="reset"), Step(500), Step(stream=["a", "b"]))
    assert list(make(fake).stream(HELLO)) == ["a", "b"]
    assert len(fake.requests) == 3


CUTS: list[Fault] = ["cut", "reset-mid-stream", "stall"]


@pytest.mark.parametrize("fault", CUTS)
def test_a_stream_cut_after_text_was_passed_on_says_so(fake: FakeOpenAI, fault: Fault) -> None:
    fake.add(Step(stream=["a", "b"], fault=fault, stall=READ_S * 3))
    seen: list[str] = []
    with pytest.raises(ModelUnavailableError, match="the stream was cut after 2 chunks") as info:
        seen.extend(make(fake).stream(HELLO))
    assert seen == ["a", "b"] and len(fake.requests) == 1
    assert "tried once" in str(info.value) and "cannot reach" not in str(info.value)


def test_a_live_view_is_not_given_the_same_text_twice(fake: FakeOpenAI) -> None:
    fake.add(Step(stream=['{"wo'], fault="cut"))
    seen: list[str] = []
    model = make(fake).hooked(on_text=seen.append)
    with pytest.raises(ModelUnavailableError, match="cut after 1 chunk "):
        model.generate(HELLO, output=Word)
    assert seen == ['{"wo']


def test_a_server_that_does_not_stream_is_still_understood(fake: FakeOpenAI) -> None:
    fake.add(Step(content='{"word": "plain"}', stream=None))
    fake.plain = True
    assert make(fake).generate(HELLO, output=Word) == Word(word="plain")


def test_the_cli_reports_a_bad_server_in_one_line_and_json(
    fake: FakeOpenAI,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COAUTHOR_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("COAUTHOR_MAX_RETRIES", "1")
    fake.add(Step(fault="html"), Step(fault="html"))
    with pytest.raises(SystemExit) as info:
        main(["new", "idea", "--model", f"openai:m@{fake.url}", "--json"])
    captured = capsys.readouterr()
    assert info.value.code == 1
    failed = json.loads(captured.out)
    assert failed["status"] == "failed" and failed["run_id"] == 1
    assert "sent a reply that is not JSON (text/html" in failed["error"]
    [line] = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert "(tried 2 times)" in line and "coauthor resume 1" in line

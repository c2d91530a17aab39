from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import BaseModel, Field

from coauthor.llm.local import LocalModel
from coauthor.llm.testing import ScriptedModel
from coauthor.schemas.calls import CallRecord
from coauthor.settings import Settings


class Answer(BaseModel):
    word: str = Field(max_length=40)


def test_on_text_streams_every_request_and_the_result_is_the_same() -> None:
    seen: list[str] = []
    records: list[CallRecord] = []
    model = ScriptedModel([Answer(word="x" * 40), "```python\nx = 1\n```"]).hooked(
        record=records.append, on_text=seen.append
    )
    assert model.generate([{"role": "user", "content": "hi"}], output=Answer).word == "x" * 40
    assert model.code([{"role": "user", "content": "code"}]).code == "x = 1\n"
    assert len(seen) > 2 and "".join(seen).startswith('{"word"')
    assert [r.usage.completion_tokens > 0 for r in records] == [True, True]


@pytest.fixture(scope="module")
def local() -> Iterator[LocalModel]:
    model = LocalModel(None, Settings())
    yield model
    model.close()


@pytest.mark.real_model
@pytest.mark.slow
def test_the_embedded_model_streams_structured_replies(local: LocalModel) -> None:
    seen: list[str] = []
    shown = local.hooked(on_text=seen.append)
    got = shown.generate(
        [{"role": "user", "content": "Give one English word as JSON."}],
        output=Answer,
        max_tokens=40,
    )
    assert len(seen) > 1
    assert Answer.model_validate_json("".join(seen)) == got
    assert local.usage.completion_tokens >= len(seen) - 1 and shown.usage == local.usage

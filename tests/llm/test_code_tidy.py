"""Code replies: a repeated top-level definition is removed and named, never hidden; a
code request to the embedded model stops after the closing fence."""

from __future__ import annotations

import ast
from pathlib import Path

from coauthor.llm.base import Completion, JsonSchema, Model
from coauthor.llm.code import (
    CLOSING_FENCE_STOPS,
    CodeResult,
    asking_for_code,
    drop_repeated_definitions,
    extract_code,
)
from coauthor.llm.local import LocalModel
from coauthor.llm.testing import ScriptedModel
from coauthor.pipeline.brief import make_brief
from coauthor.pipeline.context import Context
from coauthor.pipeline.parts import Part, with_code
from coauthor.pipeline.step import step
from coauthor.prompts import default_master
from coauthor.schemas import Language, Step
from coauthor.schemas.calls import Message, Usage
from coauthor.settings import Settings
from coauthor.testing import SOLUTION, plan_reply, step_replies

LOOPED = '''import math


def share(x: float) -> float:
    """First copy."""
    return x / 2


@staticmethod
def share(x: float) -> float:
    return x / 3


LIMIT = 3


class Box:
    pass


def share(x: float) -> float:
    return x
'''


def test_a_repeated_definition_keeps_the_first_and_says_so() -> None:
    code, notes = drop_repeated_definitions(LOOPED)
    tree = ast.parse(code)
    names = [getattr(node, "name", None) for node in tree.body]
    assert names.count("share") == 1
    assert "First copy." in code and "x / 3" not in code and "return x\n" not in code
    assert "LIMIT = 3" in code and "class Box" in code and "@staticmethod" not in code
    assert notes == [
        "removed a repeated definition of `share` (line 9); kept the first",
        "removed a repeated definition of `share` (line 21); kept the first",
    ]


def test_an_unfinished_repeat_at_the_end_is_cut() -> None:
    code, notes = drop_repeated_definitions(
        "def f(x):\n    return x + 1\n\n\ndef g():\n    return 2\n\n\ndef f(x):\n    return (x +\n"
    )
    assert code == "def f(x):\n    return x + 1\n\n\ndef g():\n    return 2\n"
    assert notes == [
        "removed an unfinished repeat of `f` at the end (line 9); kept the first definition"
    ]


def test_code_without_repeats_is_untouched() -> None:
    for code in ("def f():\n  return 1\n", "def f(:\n", "class A:\n    def f(self): ...\n"):
        assert drop_repeated_definitions(code) == (code, [])
    broken = "def f(x):\n    return x\n\n\ndef g(x):\n    return (x\n"  # not a repeat
    assert drop_repeated_definitions(broken) == (broken, [])


class Replies(Model):
    """Answers each request with the next reply and notes whether it asked for code."""

    name = "replies"

    def __init__(self, *replies: str) -> None:
        super().__init__()
        self.replies = list(replies)
        self.code_requests: list[bool] = []

    def _complete(
        self, messages: list[Message], *, schema: JsonSchema | None, max_tokens: int
    ) -> Completion:
        self.code_requests.append(asking_for_code())
        return Completion(self.replies.pop(0), Usage())


def test_model_code_removes_the_repeat_and_reports_it() -> None:
    model = Replies("```python\ndef f():\n    return 1\n\n\ndef f():\n    return 2\n```\n")
    result = model.code([{"role": "user", "content": "write f"}])
    assert result.ok and result.code == "def f():\n    return 1\n"
    assert result.notes == ["removed a repeated definition of `f` (line 5); kept the first"]
    assert model.code_requests == [True]
    assert not asking_for_code()  # only inside the code request


def test_only_code_requests_to_the_embedded_model_stop_after_the_fence(tmp_path: Path) -> None:
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"")
    model = LocalModel(gguf, Settings(local_repeat_penalty=1.3, local_frequency_penalty=0.2))
    ask: list[Message] = [{"role": "user", "content": "hi"}]
    plain = model._request(ask, schema=None, max_tokens=10)
    assert "stop" not in plain
    assert plain["extra_body"] == {"repeat_penalty": 1.3}
    assert plain["frequency_penalty"] == 0.2
    stopped = Replies("x")
    with_stop: dict[str, object] = {}

    def capture(
        messages: list[Message], *, schema: JsonSchema | None, max_tokens: int
    ) -> Completion:
        with_stop.update(model._request(messages, schema=schema, max_tokens=max_tokens))
        return Completion("```python\nx = 1\n", Usage())

    stopped._complete = capture  # type: ignore[method-assign]
    assert stopped.code(ask).code == "x = 1\n"
    assert with_stop["stop"] == list(CLOSING_FENCE_STOPS)
    assert "stop" not in model._request(ask, schema={"type": "object"}, max_tokens=10)


def test_the_stop_never_matches_an_opening_fence() -> None:
    reply = "Here it is:\n```python\ndef f():\n    return 1\n```\n\nThis returns one."
    cut = reply[: reply.index(CLOSING_FENCE_STOPS[0])]
    assert "```python\n" in cut  # the opening fence survives the stop
    assert extract_code(cut) == "def f():\n    return 1\n"


def test_a_step_flags_the_repeat_it_removed() -> None:
    looped = f"```python\n{SOLUTION}\n\n{SOLUTION.split('import numpy as np')[1]}```"
    replies = step_replies(1)
    replies[1] = looped
    model = ScriptedModel(replies)
    made = step(
        Context(model, default_master(), Language.en),
        make_brief("i", steps=1),
        plan_reply(1),
        1,
        "",
    )
    assert made.solution.count("def mean_uplift") == 1
    assert [f for f in made.flags if "repeated" in f] == [
        "solution: removed a repeated definition of `mean_uplift` (line 14); kept the first"
    ]
    model.assert_done()


def test_a_rewritten_part_flags_the_repeat_it_removed() -> None:
    before = Step(
        title="t", story="s", theory="t", solution="x = 1\n", flags=["solution: old", "tests: keep"]
    )
    result = CodeResult(code="def f(): ...\n", error=None, notes=["removed a repeated definition"])
    after = with_code(before, Part.solution, result, derive_starter=False)
    assert after.flags == ["tests: keep", "solution: removed a repeated definition"]


def test_prompts_without_an_exemplar_carry_no_example_to_copy() -> None:
    """Small models copy an inline example verbatim; examples come from exemplars only."""
    from coauthor.prompts import render

    lessons_prompt = render("lessons.j2", idea="Churn", count=3, exemplar=None)
    plan_prompt = render(
        "plan.j2", brief=make_brief("Churn", steps=2), exemplar=None, master="", language="en"
    )
    for prompt in (lessons_prompt, plan_prompt):
        assert "for example" not in prompt.lower() and "e.g." not in prompt
        assert "Compute statistical power" not in prompt and "Load the orders" not in prompt

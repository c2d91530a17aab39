"""Test cases as data: the schema a small model's grammar accepts, the pytest Co-Author
writes from cases, dual execution on the solution, and the tests stage that uses them."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from coauthor.llm.testing import ScriptedModel
from coauthor.pipeline.brief import make_brief
from coauthor.pipeline.cases import (
    Signature,
    disagreements,
    function_under_test,
    merged_tests,
    render_cases,
    salvaged_cases,
    signature_for,
    signature_from_text,
)
from coauthor.pipeline.repair import Diagnosis
from coauthor.pipeline.runner import Runner
from coauthor.pipeline.verify import Checker
from coauthor.prompts import default_master
from coauthor.sandbox import Limits, Sandbox, run_pytest, sandbox_for
from coauthor.schemas import Lesson, Step
from coauthor.schemas.cases import CaseList, DisagreementKind, TestCase, ValueKind
from coauthor.store import Store
from coauthor.testing import SOLUTION, cases_reply, run_replies

LIMITS = Limits(cpu_seconds=20, wall_seconds=40, call_seconds=2)


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return sandbox_for()


def case(
    name: str, *args: Any, expected: Any = None, raises: str | None = None, **more: Any
) -> TestCase:
    return TestCase.model_validate(
        {
            "name": name,
            "args": list(args),
            "expected": expected,
            "raises": raises,
            "reason": "r",
            **more,
        }
    )


def signature(solution: str, hint: str = "") -> Signature:
    found = function_under_test(solution, hint)
    assert found is not None
    return found


def outcomes(sandbox: Sandbox, solution: str, tests: str) -> dict[str, str]:
    report = run_pytest(sandbox, {"solution.py": solution, "test_step.py": tests}, limits=LIMITS)
    return {name.split("::")[-1]: got for name, got in report.outcomes.items()}


# -- the schema ------------------------------------------------------------------------


def _walk(node: object) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found += _walk(value)
    elif isinstance(node, list):
        for value in node:
            found += _walk(value)
    return found


def test_the_schema_spells_json_values_out_and_bounds_every_string() -> None:
    schema = CaseList.model_json_schema()
    nodes = _walk(schema)
    # llama.cpp reads an empty schema as "an object": no field may be left as "any"
    assert all(node != {} for node in nodes)
    strings = [n for n in nodes if n.get("type") == "string" and "enum" not in n]
    assert strings and all(0 < n.get("maxLength", 0) <= 1000 for n in strings)
    leaf = schema["$defs"]["JsonLeaf"]["anyOf"]
    assert {n.get("type") for n in leaf} == {"boolean", "integer", "number", "string", "null"}


def test_nested_json_values_keep_their_python_types() -> None:
    got = case("mixed", 2, 2.0, True, None, [1, [2.5, "x"]], {"a": {"b": [1]}}, expected=[[[1]]])
    assert [type(a) for a in got.args[:4]] == [int, float, bool, type(None)]
    assert got.args[4] == [1, [2.5, "x"]] and got.expected == [[[1]]]
    with pytest.raises(ValueError):
        case("too_deep", [[[[1]]]])


def test_the_schema_converts_to_a_grammar_llama_cpp_parses() -> None:
    llama_cpp = pytest.importorskip("llama_cpp")
    from llama_cpp import llama_grammar

    from coauthor.llm.local import default_gguf

    model = llama_cpp.Llama(str(default_gguf()), vocab_only=True, verbose=False)
    vocab = llama_cpp.llama_model_get_vocab(model.model)

    def parses(schema: dict[str, Any]) -> bool:
        grammar = llama_grammar.LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
        sampler = llama_cpp.llama_sampler_init_grammar(
            vocab, grammar._grammar.encode(), grammar._root.encode()
        )
        if sampler:
            llama_cpp.llama_sampler_free(sampler)
        return bool(sampler)

    try:
        assert parses(CaseList.model_json_schema())
        # what the check catches: a pattern the converter cannot spell
        assert not parses({"type": "object", "properties": {"a": {"pattern": r"^\w+$"}}})
    finally:
        model.close()


# -- rendering ---------------------------------------------------------------------------

MEAN = """class EmptyError(ValueError):
    pass


def mean(values: list[float]) -> float:
    if not values:
        raise EmptyError("no values")
    return sum(values) / len(values)
"""


def test_floats_are_approx_and_exceptions_use_raises(sandbox: Sandbox) -> None:
    sig = signature(MEAN, "mean")
    cases = [
        case("third", [0.1, 0.2], expected=0.15000000000000002 + 1e-12),
        case("whole", [2, 4], expected=3.0),
        case("empty", [], raises="EmptyError"),
        case("text", "ab", raises="TypeError"),
    ]
    rendered = render_cases(cases, sig)
    code = rendered.code
    ast.parse(code)
    assert "from solution import EmptyError, mean" in code
    assert "assert result == pytest.approx(3.0)" in code
    assert "with pytest.raises(EmptyError):\n        mean([])" in code
    assert rendered.tests == ["test_third", "test_whole", "test_empty", "test_text"]
    assert set(outcomes(sandbox, MEAN, code).values()) == {"passed"}
    wrong = MEAN.replace("/ len(values)", "/ (len(values) + 1)").replace(
        'raise EmptyError("no values")', "return 0.0"
    )
    got = outcomes(sandbox, wrong, code)
    assert got["test_whole"] == "failed" and got["test_empty"] == "failed"


CONTAINERS = """def summary(values: list[int]) -> tuple[int, int]:
    return min(values), max(values)


def unique(values: list[int]) -> set[int]:
    return set(values)


def counts(words: list[str]) -> dict[str, float]:
    return {w: words.count(w) / len(words) for w in words}


def pairs(n: int):
    return [[i, i * 0.5] for i in range(n)]
"""


def test_containers_are_compared_as_their_kind(sandbox: Sandbox) -> None:
    parts = {
        "summary": case("spread", [3, 1, 2], expected=[1, 3]),
        "unique": case("dedup", [1, 1, 2], expected=[1, 2], kind="set"),
        "counts": case("shares", ["a", "b", "a"], expected={"a": 0.6666666667, "b": 0.3333333333}),
        "pairs": case("rows", 2, expected=[[0, 0.0], [1, 0.5]]),
    }
    lines = {
        "summary": "assert result == (1, 3)",
        "unique": "assert result == {1, 2}",
        "counts": "assert result == pytest.approx({'a': 0.6666666667, 'b': 0.3333333333})",
        "pairs": "assert list(result) == [pytest.approx([0, 0.0]), pytest.approx([1, 0.5])]",
    }
    for name, one in parts.items():
        code = render_cases([one], signature(CONTAINERS, name)).code
        assert lines[name] in code, code
        assert set(outcomes(sandbox, CONTAINERS, code).values()) == {"passed"}, code
    wrong = CONTAINERS.replace(
        "return min(values), max(values)", "return [min(values), max(values)]"
    )
    code = render_cases([parts["summary"]], signature(wrong, "summary")).code
    assert outcomes(sandbox, wrong, code) == {"test_spread": "failed"}  # a list is no tuple


ARRAYS = """import numpy as np
import pandas as pd


def scale(values: np.ndarray, factor: float) -> np.ndarray:
    return np.asarray(values) * factor


def totals(orders: pd.DataFrame) -> pd.Series:
    return orders.groupby("user")["amount"].sum()


def with_share(orders: pd.DataFrame) -> pd.DataFrame:
    out = orders.copy()
    out["share"] = out["amount"] / out["amount"].sum()
    return out
"""


def test_numpy_and_pandas_results_use_their_testing_helpers(sandbox: Sandbox) -> None:
    orders = {"user": ["a", "b", "a"], "amount": [1.0, 2.0, 1.0]}
    parts = {
        "scale": case("double", [1.0, 2.5], 2.0, expected=[2.0, 5.0]),
        "totals": case("per_user", orders, expected={"a": 2.0, "b": 2.0}),
        "with_share": case("shares", orders, expected={**orders, "share": [0.25, 0.5, 0.25]}),
    }
    helpers = {
        "scale": "np.testing.assert_allclose(result, np.array([2.0, 5.0]))",
        "totals": "pd.testing.assert_series_equal(result.rename(index=str), pd.Series(",
        "with_share": "pd.testing.assert_frame_equal(result.reset_index(drop=True), pd.DataFrame(",
    }
    for name, one in parts.items():
        code = render_cases([one], signature(ARRAYS, name)).code
        assert helpers[name] in code, code
        assert "scale(np.array([1.0, 2.5]), 2.0)" in code or name != "scale"
        assert set(outcomes(sandbox, ARRAYS, code).values()) == {"passed"}, code
    wrong = ARRAYS.replace('["amount"].sum()\n\n', '["amount"].max()\n\n').replace(
        "* factor", "* factor + 1"
    )
    for name in ("scale", "totals"):
        code = render_cases([parts[name]], signature(wrong, name)).code
        assert set(outcomes(sandbox, wrong, code).values()) == {"failed"}, name


def test_unknown_exceptions_and_bad_names_are_left_out_and_said() -> None:
    rendered = render_cases(
        [
            case("ok", [1.0], expected=1.0),
            case("ok", [2.0], expected=2.0),
            case("odd", [], raises="NoSuchError"),
            case("kw", kwargs={"class": 1}, expected=1),
        ],
        signature(MEAN, "mean"),
    )
    assert rendered.tests == ["test_ok", "test_ok_2"]
    assert [s.split(":")[0] for s in rendered.skipped] == ["odd", "kw"]
    assert [c.name for c in rendered.kept] == ["ok", "ok"]


def test_free_form_tests_follow_the_case_tests_and_never_hide_them() -> None:
    rendered = render_cases([case("whole", [2, 4], expected=3.0)], signature(MEAN, "mean"))
    extra = "from solution import mean\n\n\ndef test_whole():\n    assert mean([1]) == 1\n"
    code = merged_tests(rendered, extra)
    names = [n.name for n in ast.parse(code).body if isinstance(n, ast.FunctionDef)]
    assert names == ["test_whole", "test_whole_more"]
    assert merged_tests(rendered, "  \n") == rendered.code


def test_the_function_under_test_comes_from_the_ast_and_the_steps_text() -> None:
    two = "def helper(x):\n    return x\n\n\ndef churn(rows):\n    return helper(rows)\n"
    assert signature(two).name == "churn"  # the last one, when the text names neither
    assert signature(two, "Call helper on the rows").name == "helper"
    cls = "class Cart:\n    pass\n\n\ndef total(cart):\n    return 0\n"
    assert function_under_test(cls, "Build a Cart class; Cart holds items") is None
    assert function_under_test("def broken(:\n") is None
    assert function_under_test("def _private():\n    pass\n") is None
    sig = signature(ARRAYS, "scale")
    assert sig.param_kinds["values"] is ValueKind.ndarray and sig.returns is ValueKind.ndarray


# -- dual execution --------------------------------------------------------------------


def _step(solution: str, cases: list[TestCase], title: str = "mean") -> Step:
    return Step(title=title, story="", theory="", solution=solution, cases=cases)


def test_dual_execution_finds_wrong_values_and_unexpected_exceptions(sandbox: Sandbox) -> None:
    cases = [
        case("agrees", [2, 4], expected=3.0),
        case("wrong_value", [1.0, 2.0], expected=2.0),
        case("unexpected", ["a"], expected=1.0),
        case("no_raise", [1.0], raises="ValueError"),
        case("wrong_type", [], raises="KeyError"),
        case("raises_ok", [], raises="ValueError"),  # EmptyError is a ValueError
    ]
    found = {d.case: d for d in disagreements(_step(MEAN, cases), sandbox, LIMITS)}
    assert set(found) == {"wrong_value", "unexpected", "no_raise", "wrong_type"}
    assert found["wrong_value"].kind is DisagreementKind.wrong_value
    assert found["wrong_value"].actual == "1.5 (float)" and found["wrong_value"].expected == "2.0"
    assert found["unexpected"].kind is DisagreementKind.unexpected_exception
    assert found["unexpected"].actual.startswith("TypeError")
    assert found["no_raise"].kind is DisagreementKind.no_exception
    assert found["wrong_type"].kind is DisagreementKind.wrong_exception
    assert "EmptyError" in found["wrong_type"].actual
    assert found["wrong_value"].call == "mean([1.0, 2.0])"


def test_a_call_that_hangs_times_out_and_the_others_still_run(sandbox: Sandbox) -> None:
    solution = "def wait(n: int) -> int:\n    while n > 0:\n        pass\n    return n\n"
    cases = [case("forever", 1, expected=0), case("at_once", 0, expected=0)]
    found = disagreements(_step(solution, cases, "wait"), sandbox, LIMITS)
    assert [(d.case, d.kind) for d in found] == [("forever", DisagreementKind.timeout)]


def test_a_solution_that_does_not_import_breaks_every_case(sandbox: Sandbox) -> None:
    solution = "raise RuntimeError('boom')\n\n\ndef f(x):\n    return x\n"
    found = disagreements(_step(solution, [case("one", 1, expected=1)], "f"), sandbox, LIMITS)
    assert [d.kind for d in found] == [DisagreementKind.broken]
    assert "RuntimeError: boom" in found[0].actual


class _NoRuns(Sandbox):
    isolation = "none"
    python = "python"

    def run(self, *args: object, **kwargs: object) -> Any:
        raise AssertionError("no sandbox run expected")


def test_a_step_without_cases_costs_no_run() -> None:
    assert disagreements(_step(MEAN, []), _NoRuns(), LIMITS) == []


# -- the pipeline ----------------------------------------------------------------------


def test_a_run_writes_function_tests_from_cases_and_repair_sees_disagreements(
    tmp_path: Path,
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    wrong_case = cases_reply()
    wrong_case.cases[0] = wrong_case.cases[0].model_copy(update={"expected": 2.0})
    replies = run_replies(1, lessons=False)
    replies[3] = wrong_case  # plan, draft, solution, cases, further tests, summary
    fixed = render_cases(cases_reply().cases, signature(SOLUTION, "mean_uplift")).code
    replies[5:5] = [
        Diagnosis(culprit="tests", reason="the first case expects the wrong uplift"),
        f"```python\n{fixed}```",
    ]
    brief = make_brief("idea", steps=1).model_copy(update={"lessons": [Lesson(title="Mine")]})
    run = store.create_run(brief, model="scripted")
    model = ScriptedModel(replies)
    checker = Checker(sandbox_for(), LIMITS)
    outcome = Runner(store, model, master=default_master(), checker=checker).execute(run.id)

    first = store.revisions(outcome.revision.task_id)[0].task.steps[0]
    assert first.cases == wrong_case.cases  # kept on the step, to be re-checked
    assert "def test_positive_uplift() -> None:" in first.tests
    assert "def test_hidden_uplift_is_antisymmetric" in first.tests
    diagnosis = next(
        r[-1]["content"] for r in model.requests if "Which part is wrong" in r[-1]["content"]
    )
    assert (
        "positive_uplift: mean_uplift([1.0, 1.0], [2.0, 2.0]) expected 2.0, got 1.0 (float)"
        in diagnosis
    )
    verdict = outcome.revision.task.steps[0].verdict
    assert verdict is not None and verdict.verified and verdict.repair_rounds == 1
    # the rewritten tests dropped the wrong case: the step keeps only the cases they hold
    final = outcome.revision.task.steps[0]
    assert [c.name for c in final.cases] == ["negative_uplift", "empty_group_raises"]
    assert verdict.disagreements == []


def test_a_case_list_the_model_never_gets_right_falls_back_to_free_form_tests() -> None:
    from coauthor.pipeline.context import Context
    from coauthor.pipeline.step import step
    from coauthor.testing import TESTS, plan_reply, step_replies

    draft, solution, _cases, _more = step_replies(1)
    model = ScriptedModel(
        [draft, solution, "not json", '{"cases": []}', "{}", f"```python\n{TESTS}```"]
    )
    made = step(Context(model, default_master()), make_brief("idea"), plan_reply(1), 1, "")
    assert made.cases == [] and made.tests == TESTS and made.flags == []
    asked = model.requests[2][-1]["content"]
    # the example a small model copies has the function's own arity and argument shapes
    assert '"args": [[1.0, 2.0], [1.0, 2.0]]' in asked and "Write test cases for" in asked
    assert "Write `test_step.py`" in model.requests[-1][-1]["content"]  # the whole file


def test_a_reply_cut_short_keeps_its_complete_cases() -> None:
    from coauthor.pipeline.context import Context
    from coauthor.pipeline.step import step
    from coauthor.testing import plan_reply, step_replies

    good = [c.model_dump(mode="json") for c in cases_reply().cases]
    good[0]["name"] = "positive uplift!"  # a name the pattern refuses is made snake_case
    cut = json.dumps({"cases": good})[:-30]  # the token limit cut the third case short
    assert salvaged_cases(cut)[0].name == "positive_uplift"
    assert [c.name for c in salvaged_cases(cut)] == ["positive_uplift", "negative_uplift"]
    assert salvaged_cases("no json at all") == [] and salvaged_cases('{"cases": [1, 2]}') == []

    draft, solution, _cases, more = step_replies(1)
    model = ScriptedModel([draft, solution, cut, cut, cut, more])
    made = step(Context(model, default_master()), make_brief("idea"), plan_reply(1), 1, "")
    assert [c.name for c in made.cases] == ["positive_uplift", "negative_uplift"]
    tree = ast.parse(made.tests)
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert names[:2] == ["test_positive_uplift", "test_negative_uplift"]


def test_a_solution_that_does_not_parse_takes_its_function_from_the_requirements() -> None:
    hint = "Clamp\n`clamp(score, low=0, high: float = 1)` limits score; use round(x, 2)"
    assert signature_from_text(hint) == Signature("clamp", ("score", "low", "high"))
    assert signature_from_text("len(items) and print(x)") is None  # builtins name no step
    assert signature_for("def clamp(score:\n", hint) == Signature("clamp", ("score", "low", "high"))
    starter = "def clamp(score: float, low: float, high: float) -> float:\n    ...\n"
    from_starter = signature_for("def clamp(:\n", hint, starter=starter)
    assert from_starter is not None and from_starter.returns is ValueKind.value
    # a solution that parses but defines no function is not function-style, whatever the text
    assert signature_for("class Clamp:\n    pass\n", hint) is None
    broken = Step(
        title="Clamp",
        goal="clamp a score",
        story="",
        theory="",
        requirements=[hint],
        solution="def clamp(score:\n",
        cases=[case("middle", 5, 0, 10, expected=5)],
    )
    [named] = disagreements(broken, sandbox_for())  # named without a run: nothing to call
    assert named.kind is DisagreementKind.broken and named.call == "clamp(5, 0, 10)"
    assert named.expected == "5" and "defines no function" in named.actual


def test_the_schema_a_model_is_given_is_tighter_than_validation() -> None:
    asked = CaseList.model_json_schema()
    assert asked["properties"]["cases"] == {**asked["properties"]["cases"], "maxItems": 5}
    fields = asked["$defs"]["TestCase"]["properties"]
    assert fields["reason"]["maxLength"] == 80 and fields["name"]["maxLength"] == 40
    assert "kwargs" not in fields and asked["$defs"]["TestCase"]["additionalProperties"] is False
    strings = [n for n in _walk(asked["$defs"]["JsonLeaf"]) if n.get("type") == "string"]
    assert [n["maxLength"] for n in strings] == [60]
    arrays = [n for n in _walk(asked["$defs"]) if n.get("type") == "array"]
    assert arrays and all(n["maxItems"] <= 6 for n in arrays)
    long = TestCase(name="n" * 60, args=[], expected=1, raises=None, reason="r" * 200)
    assert CaseList(cases=[long] * 8).cases[0].reason == "r" * 200  # stored limits stay

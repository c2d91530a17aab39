"""Test cases as data: ask the model for them, render them into pytest, run them on the
solution (dual execution).

A *function-style* step is one whose reference solution defines, at the top level, the
function the step is about (decided from the solution's AST and the step's text). For
such a step the model proposes cases (``CaseList``: arguments as JSON, the expected
result or exception, a reason), and Co-Author writes the pytest functions itself from a
template, so every comparison is the right one: floats with ``pytest.approx``,
exceptions with ``pytest.raises``, arrays with ``np.testing``, pandas objects with
``pd.testing``. The model then adds free-form tests for what cases cannot express.

Every case also runs on the reference solution in the sandbox, one call at a time with
a per-call timeout: where the solution's answer and the case disagree, one of them is
wrong. ``disagreements`` returns that evidence for the verdict and the repair round
(CodeT's dual-execution agreement).
"""

from __future__ import annotations

import ast
import builtins
import json
import keyword
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from coauthor.llm.base import InvalidReplyError
from coauthor.llm.code import syntax_tree
from coauthor.pipeline.context import Context
from coauthor.prompts import render
from coauthor.sandbox import Limits, Sandbox
from coauthor.schemas import Step
from coauthor.schemas.cases import (
    MAX_CASES,
    CaseDisagreement,
    CaseList,
    DisagreementKind,
    JsonValue,
    TestCase,
    ValueKind,
)

TEMPLATE = "case_tests.j2"
PROBE = "cases_probe.py"
SHOWN = 300
"""Characters of an expected or actual value kept in a disagreement."""

_ANNOTATION_KINDS: tuple[tuple[str, ValueKind], ...] = (
    ("DataFrame", ValueKind.dataframe),
    ("Series", ValueKind.series),
    ("ndarray", ValueKind.ndarray),
    ("NDArray", ValueKind.ndarray),
    ("ArrayLike", ValueKind.ndarray),
)


# -- which function a step is about ---------------------------------------------------


@dataclass(frozen=True)
class Signature:
    """What the AST says about the function under test."""

    name: str
    params: tuple[str, ...] = ()
    """Parameters that can be passed by position, in order."""
    param_kinds: dict[str, ValueKind] = field(default_factory=dict)
    """Parameters annotated as arrays, pandas objects, tuples or sets."""
    returns: ValueKind = ValueKind.auto
    """The return annotation's kind; ``value`` for a plain ``list``/``dict``/scalar."""
    exceptions: frozenset[str] = frozenset()
    """Exception classes the solution defines (importable from it)."""


def function_under_test(solution: str, hint: str = "") -> Signature | None:
    """The public top-level function the step is about, or None for a step that is not
    function-style (no such function, code that does not parse, or a class the step's
    text names more often than any function)."""
    tree = syntax_tree(solution)
    if tree is None:
        return None
    functions = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
    ]
    if not functions:
        return None
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef) and not n.name.startswith("_")]
    words = re.findall(r"\w+", hint)

    def mentions(name: str) -> int:
        return words.count(name)

    best = max(functions, key=lambda f: (mentions(f.name), functions.index(f)))
    if any(mentions(c.name) > mentions(best.name) for c in classes):
        return None
    return Signature(
        name=best.name,
        params=tuple(a.arg for a in [*best.args.posonlyargs, *best.args.args]),
        param_kinds={
            a.arg: kind
            for a in [*best.args.posonlyargs, *best.args.args, *best.args.kwonlyargs]
            if (kind := _kind_of(a.annotation)) is not ValueKind.auto
        },
        returns=_kind_of(best.returns),
        exceptions=frozenset(
            c.name for c in tree.body if isinstance(c, ast.ClassDef) and _is_exception(c)
        ),
    )


_CALL = re.compile(r"`?\b([A-Za-z_]\w*)\(([^()]*)\)")


def signature_from_text(text: str) -> Signature | None:
    """The function a step's text names as a call, e.g. ``clamp(score, low, high)``
    (the first call whose arguments are plain names), for a step whose solution does
    not parse: its cases are still written against the function the step asks for."""
    for found in _CALL.finditer(text):
        name, inside = found[1], found[2].strip()
        if keyword.iskeyword(name) or hasattr(builtins, name) or name.startswith("_"):
            continue
        params = [p.split("=")[0].split(":")[0].strip() for p in inside.split(",") if p.strip()]
        if all(p.isidentifier() and not keyword.iskeyword(p) for p in params):
            return Signature(name=name, params=tuple(params))
    return None


def signature_for(solution: str, hint: str, *, starter: str = "") -> Signature | None:
    """The function under test: from the solution; where the solution does not parse,
    from the starter, then from the function the step's text names as a call. A
    solution that parses but defines no such function is not function-style (None)."""
    found = function_under_test(solution, hint)
    if found is not None or _parses(solution):
        return found
    return (function_under_test(starter, hint) if starter else None) or signature_from_text(hint)


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True


def step_hint(step: Step) -> str:
    """The text that says what a step is about: title, goal and requirements."""
    return "\n".join([step.title, step.goal, *step.requirements])


def _kind_of(annotation: ast.expr | None) -> ValueKind:
    if annotation is None:
        return ValueKind.auto
    text = ast.unparse(annotation)
    for marker, kind in _ANNOTATION_KINDS:
        if marker in text:
            return kind
    head = text.split("[")[0].split(".")[-1].strip().lower()
    if head == "tuple":
        return ValueKind.tuple
    if head in {"set", "frozenset", "abstractset"}:
        return ValueKind.set
    return ValueKind.value


def _is_exception(node: ast.ClassDef) -> bool:
    names = [ast.unparse(base) for base in node.bases]
    return any(name.endswith(("Error", "Exception", "Warning")) for name in names)


# -- rendering ------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedCase:
    """One case as Python: the call, then either the exception or the checks."""

    source: TestCase
    function: str
    call: str
    checks: tuple[str, ...] = ()
    raises: str | None = None
    reason: str = ""
    expected: str = ""
    """The expectation as a reader sees it (for disagreements)."""

    @property
    def case(self) -> str:
        return self.source.name


@dataclass(frozen=True)
class Rendered:
    """A pytest file written from cases, and the cases that could not be written."""

    code: str
    cases: tuple[RenderedCase, ...]
    imports: tuple[str, ...]
    skipped: tuple[str, ...] = ()

    @property
    def tests(self) -> list[str]:
        return [c.function for c in self.cases]

    @property
    def kept(self) -> list[TestCase]:
        """The cases that were written as tests."""
        return [c.source for c in self.cases]


class _Uses:
    """Which modules the rendered code needs."""

    def __init__(self) -> None:
        self.numpy = False
        self.pandas = False


def render_cases(cases: Sequence[TestCase], signature: Signature) -> Rendered:
    """The pytest file for ``cases`` (readable and editable like a hand-written one)."""
    uses = _Uses()
    rendered: list[RenderedCase] = []
    skipped: list[str] = []
    names: set[str] = set()
    imported = {signature.name}
    for case in cases:
        if case.raises is not None and not _known_exception(case.raises, signature):
            skipped.append(f"{case.name}: unknown exception type {case.raises}")
            continue
        if case.raises is not None and case.raises in signature.exceptions:
            imported.add(case.raises)
        bad = [k for k in case.kwargs if not k.isidentifier() or keyword.iskeyword(k)]
        if bad:
            skipped.append(f"{case.name}: {bad[0]!r} is not a parameter name")
            continue
        function = _test_name(case.name, names)
        rendered.append(_render_one(case, signature, function, uses))
    imports = ["import pytest"]
    if uses.numpy:
        imports.insert(0, "import numpy as np")
    if uses.pandas:
        imports.insert(1 if uses.numpy else 0, "import pandas as pd")
    imports += ["", f"from solution import {', '.join(sorted(imported))}"]
    code = render(TEMPLATE, function=signature.name, imports=imports, tests=rendered) + "\n"
    return Rendered(
        code=code, cases=tuple(rendered), imports=tuple(imports), skipped=tuple(skipped)
    )


def _known_exception(name: str, signature: Signature) -> bool:
    found = getattr(builtins, name, None)
    builtin = isinstance(found, type) and issubclass(found, BaseException)
    return builtin or name in signature.exceptions


def _test_name(name: str, taken: set[str]) -> str:
    base = re.sub(r"\W+", "_", name).strip("_").lower() or "case"
    base = base if base.startswith("test_") else f"test_{base}"
    chosen, n = base, 2
    while chosen in taken:
        chosen, n = f"{base}_{n}", n + 1
    taken.add(chosen)
    return chosen


def _render_one(case: TestCase, sig: Signature, function: str, uses: _Uses) -> RenderedCase:
    call = _call(case, sig, uses)
    reason = " ".join(case.reason.split()).replace("\\", "/").replace('"""', "'''")
    reason = reason.rstrip('"')
    if case.raises is not None:
        return RenderedCase(
            source=case,
            function=function,
            call=call,
            raises=case.raises,
            reason=reason,
            expected=f"raises {case.raises}",
        )
    kind = case.kind if case.kind is not ValueKind.auto else sig.returns
    checks = _checks(case.expected, kind, uses)
    return RenderedCase(
        source=case,
        function=function,
        call=call,
        checks=checks,
        reason=reason,
        expected=_short(json.dumps(case.expected)),
    )


def _call(case: TestCase, sig: Signature, uses: _Uses) -> str:
    parts = []
    for index, value in enumerate(case.args):
        name = sig.params[index] if index < len(sig.params) else ""
        parts.append(_argument(value, sig.param_kinds.get(name, ValueKind.auto), uses))
    for name, value in case.kwargs.items():
        kind = sig.param_kinds.get(name, ValueKind.auto)
        parts.append(f"{name}={_argument(value, kind, uses)}")
    return f"{sig.name}({', '.join(parts)})"


def _argument(value: JsonValue, kind: ValueKind, uses: _Uses) -> str:
    """A JSON argument as the Python value the parameter's annotation asks for."""
    text = _literal(value)
    if not isinstance(value, list | dict):
        return text
    if kind is ValueKind.ndarray:
        uses.numpy = True
        return f"np.array({text})"
    if kind is ValueKind.series:
        uses.pandas = True
        return f"pd.Series({text})"
    if kind is ValueKind.dataframe:
        uses.pandas = True
        return f"pd.DataFrame({text})"
    if kind is ValueKind.tuple and isinstance(value, list):
        return _literal(value, container="tuple")
    if kind is ValueKind.set and isinstance(value, list) and _hashable(value):
        return _literal(value, container="set")
    return text


def _checks(expected: JsonValue, kind: ValueKind, uses: _Uses) -> tuple[str, ...]:
    """The assertions on ``result`` for an expected value of a given kind."""
    text = _literal(expected)
    if kind is ValueKind.ndarray and isinstance(expected, list):
        uses.numpy = True
        compare = "assert_allclose" if _has_float(expected) else "assert_array_equal"
        return (
            "assert isinstance(result, np.ndarray)",
            f"np.testing.{compare}(result, np.array({text}))",
        )
    if kind is ValueKind.series and isinstance(expected, list | dict):
        uses.pandas = True
        actual = "result.reset_index(drop=True)" if isinstance(expected, list) else "result"
        if isinstance(expected, dict):
            actual = "result.rename(index=str)"
        return (
            "assert isinstance(result, pd.Series)",
            f"pd.testing.assert_series_equal({actual}, pd.Series({text}), "
            "check_dtype=False, check_names=False)",
        )
    if kind is ValueKind.dataframe and isinstance(expected, list | dict):
        uses.pandas = True
        return (
            "assert isinstance(result, pd.DataFrame)",
            "pd.testing.assert_frame_equal(result.reset_index(drop=True), "
            f"pd.DataFrame({text}), check_dtype=False)",
        )
    if kind is ValueKind.tuple and isinstance(expected, list):
        return (f"assert result == {_approx(expected, container='tuple')}",)
    if kind is ValueKind.set and isinstance(expected, list) and _hashable(expected):
        return (f"assert result == {_literal(expected, container='set')}",)
    if expected is None:
        return ("assert result is None",)
    if isinstance(expected, list) and kind is ValueKind.auto:
        return (f"assert list(result) == {_approx(expected)}",)
    return (f"assert result == {_approx(expected)}",)


def _literal(value: object, *, container: str = "") -> str:
    """Python source for a JSON value (``repr`` spells JSON's values as Python)."""
    if container == "tuple" and isinstance(value, list):
        items = [_literal(v) for v in value]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    if container == "set" and isinstance(value, list):
        return "{" + ", ".join(_literal(v) for v in value) + "}" if value else "set()"
    return repr(value)


def _approx(value: object, *, container: str = "") -> str:
    """Like ``_literal``, with floats compared by ``pytest.approx``: a flat list or dict of
    numbers as a whole, a lone float, or each float inside a nested structure."""
    if isinstance(value, float):
        return f"pytest.approx({value!r})"
    if isinstance(value, list):
        if _numbers(value) and _has_float(value):
            return f"pytest.approx({_literal(value, container=container)})"
        items = [_approx(v) for v in value]
        if container == "tuple":
            return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
        return f"[{', '.join(items)}]"
    if isinstance(value, dict):
        if _numbers(list(value.values())) and _has_float(list(value.values())):
            return f"pytest.approx({_literal(value)})"
        return "{" + ", ".join(f"{k!r}: {_approx(v)}" for k, v in value.items()) + "}"
    return _literal(value)


def _numbers(values: Sequence[object]) -> bool:
    return bool(values) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in values
    )


def _has_float(value: object) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    return False


def _hashable(values: Sequence[object]) -> bool:
    return all(not isinstance(v, list | dict) for v in values)


def _short(text: str) -> str:
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


# -- merging with free-form tests -------------------------------------------------------


def merged_tests(rendered: Rendered, extra: str) -> str:
    """The rendered case tests, then the model's free-form tests; a free-form test named
    like a case test is renamed so that neither hides the other."""
    if not extra.strip():
        return rendered.code
    taken = set(rendered.tests)
    lines = []
    for line in extra.splitlines():
        found = re.match(r"(\s*def\s+)(test_\w+)(\s*\()", line)
        if found and found[2] in taken:
            new = _test_name(found[2] + "_more", taken)
            line = f"{found[1]}{new}{line[found.end(2) :]}"
        lines.append(line)
    body = "\n".join(lines).strip("\n")
    return f"{rendered.code}\n\n# Further tests, written by hand.\n{body}\n"


def cases_still_in(step: Step, tests: str) -> list[TestCase]:
    """The step's cases whose call and checks the (rewritten) ``tests`` still hold word for
    word: a case an author or a repair round changed or removed no longer describes the
    tests, so it is not re-checked as if it did."""
    if not step.cases:
        return []
    signature = signature_for(step.solution, step_hint(step), starter=step.starter)
    if signature is None:
        return []
    rendered = render_cases(step.cases, signature)
    kept = []
    for one in rendered.cases:
        lines = [one.call, *one.checks] + ([f"pytest.raises({one.raises})"] if one.raises else [])
        if all(line in tests for line in lines):
            kept.append(one.source)
    return kept


# -- asking the model -------------------------------------------------------------------


def ask_cases(
    ctx: Context, signature: Signature, *, max_tokens: int = 900, **values: object
) -> list[TestCase] | None:
    """Cases for ``signature``'s function, or None when the model's replies never make a
    valid list (the caller falls back to free-form tests); a model that cannot be reached
    fails the stage as any other call does."""
    solution = str(values.get("solution", ""))
    function = _function_source(solution, signature.name) or (
        f"def {signature.name}({', '.join(signature.params)}): ..."
    )
    example = json.dumps(
        _sample_arguments(solution, signature.name) or [1 for _ in signature.params]
    )
    messages = ctx.messages(
        "cases.j2", signature=signature, function=function, example_args=example, **values
    )
    try:
        reply = ctx.model.generate(messages, output=CaseList, max_tokens=max_tokens)
    except InvalidReplyError as exc:
        return salvaged_cases(exc.last_reply) or None
    return list(reply.cases)


def salvaged_cases(reply: str) -> list[TestCase]:
    """The complete, valid cases at the start of a reply that as a whole is not a valid
    ``CaseList``: cut off by the token limit, or with one bad case among good ones. A
    name the pattern refuses is made a snake_case name; a reason too long is cut."""
    start = reply.find("[", max(reply.find('"cases"'), 0))
    if start < 0:
        return []
    decoder = json.JSONDecoder()
    found: list[TestCase] = []
    index = start + 1
    while len(found) < MAX_CASES:
        while index < len(reply) and reply[index] in " \t\r\n,":
            index += 1
        if index >= len(reply) or reply[index] != "{":
            break
        try:
            item, index = decoder.raw_decode(reply, index)
        except json.JSONDecodeError:
            break
        case = _valid_case(item)
        if case is not None:
            found.append(case)
    return found


def _valid_case(item: object) -> TestCase | None:
    if not isinstance(item, dict):
        return None
    fixed = dict(item)
    fixed.setdefault("raises", None)
    fixed.setdefault("expected", None)
    fixed.setdefault("reason", "")
    if isinstance(fixed.get("name"), str):
        fixed["name"] = re.sub(r"\W+", "_", fixed["name"]).strip("_")[:60] or "case"
    if isinstance(fixed.get("reason"), str):
        fixed["reason"] = fixed["reason"][:200]
    try:
        return TestCase.model_validate(fixed)
    except ValueError:
        return None


_SAMPLES: tuple[tuple[str, object], ...] = (
    ("DataFrame", {"a": [1.0, 2.0], "b": [3.0, 4.0]}),
    ("Series", [1.0, 2.0]),
    ("ndarray", [1.0, 2.0]),
    ("list[str]", ["a", "b"]),
    ("list[int]", [1, 2]),
    ("dict", {"a": 1.0}),
    ("list", [1.0, 2.0]),
    ("Sequence", [1.0, 2.0]),
    ("Iterable", [1.0, 2.0]),
    ("tuple", [1.0, 2.0]),
    ("float", 1.0),
    ("bool", True),
    ("str", "text"),
    ("int", 1),
)


def _sample_arguments(solution: str, name: str) -> list[object]:
    """One JSON value per parameter of ``name``, shaped by its annotation: the example a
    small model copies has the function's own arity and argument types."""
    tree = syntax_tree(solution)
    if tree is None:
        return []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            params = [*node.args.posonlyargs, *node.args.args]
            return [_sample(ast.unparse(a.annotation) if a.annotation else "") for a in params]
    return []


def _sample(annotation: str) -> object:
    for marker, value in _SAMPLES:
        if marker in annotation:
            return value
    return 1


def _function_source(solution: str, name: str) -> str:
    tree = syntax_tree(solution)
    if tree is None:
        return ""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return ast.get_source_segment(solution, node) or ""
    return ""


# -- dual execution -------------------------------------------------------------------


def disagreements(
    step: Step, sandbox: Sandbox, limits: Limits | None = None
) -> list[CaseDisagreement]:
    """Run every case of ``step`` on its reference solution in one sandboxed run (each call
    with a time limit) and list where the solution's answer and the case disagree.

    Empty when the step has no cases or is not function-style. Evidence, not a verdict:
    the solution runs in the same process as the probe and could lie about itself."""
    if not step.cases:
        return []
    signature = function_under_test(step.solution, step_hint(step))
    if signature is None:
        named = signature_for(step.solution, step_hint(step), starter=step.starter)
        calls = {c.case: c for c in render_cases(step.cases, named).cases} if named else {}
        return [
            CaseDisagreement(
                case=c.name[:60],
                kind=DisagreementKind.broken,
                call=_short(calls[c.name].call) if c.name in calls else "",
                expected=calls[c.name].expected if c.name in calls else "",
                actual="the solution defines no function for the cases to call",
            )
            for c in step.cases
        ]
    rendered = render_cases(step.cases, signature)
    limits = limits or Limits()
    per_call = max(1.0, min(limits.call_seconds, limits.wall_seconds / (len(rendered.cases) + 2)))
    probe = render("cases_probe.j2", per_call=per_call, cases=_probe_cases(rendered))
    result = sandbox.run(
        {"solution.py": step.solution, PROBE: probe},
        [sandbox.python, PROBE],
        limits=limits,
        side_channel=True,
    )
    found = _read_probe(result.side_channel)
    out: list[CaseDisagreement] = []
    for case in rendered.cases:
        report = found.get(case.function)
        if report is None:
            why = result.killed_reason or (result.stderr.strip().splitlines() or ["no report"])[-1]
            report = {"status": "broken", "actual": f"the probe did not report it ({why})"}
        if report.get("status") == "agree":
            continue
        kind = report.get("status", "broken")
        out.append(
            CaseDisagreement(
                case=case.case[:60],
                kind=DisagreementKind(kind) if kind in _KINDS else DisagreementKind.broken,
                call=_short(case.call),
                expected=case.expected,
                actual=_short(str(report.get("actual", ""))),
            )
        )
    return out


_KINDS = {k.value for k in DisagreementKind}


def _probe_cases(rendered: Rendered) -> str:
    """The cases as a Python literal the probe reads (no code of the model's but values)."""
    data = [
        {"name": c.function, "call": c.call, "checks": "\n".join(c.checks), "raises": c.raises}
        for c in rendered.cases
    ]
    header = "\n".join(line for line in rendered.imports if line)
    return repr({"imports": header, "cases": data})


def _read_probe(raw: bytes) -> dict[str, dict[str, str]]:
    """Each case's row (the first one wins: a solution that writes more cannot replace it)."""
    found: dict[str, dict[str, str]] = {}
    for line in raw.decode("utf-8", errors="replace").splitlines():
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(item, dict) and "name" in item:
            found.setdefault(str(item["name"]), {str(k): str(v) for k, v in item.items()})
    return found


__all__ = [
    "Rendered",
    "RenderedCase",
    "Signature",
    "ask_cases",
    "cases_still_in",
    "disagreements",
    "function_under_test",
    "merged_tests",
    "render_cases",
    "salvaged_cases",
    "signature_for",
    "signature_from_text",
    "step_hint",
]

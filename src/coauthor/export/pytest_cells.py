"""A step's pytest file as notebook test cells, for otter-grader and nbgrader.

A notebook is one namespace, so a step's pytest file becomes one self-contained test
cell per test, in the order pytest collects them:

- the test file's module-level code (imports, constants, helpers, fixtures) starts every
  cell, without ``from solution import ...`` (those names are the notebook's own);
  ``from solution import f as g`` becomes ``g = f`` and ``import solution`` a namespace of
  the notebook's globals; ``@pytest.fixture`` decorators are dropped so fixtures are plain
  functions;
- then the test function without its decorators, and a call to it under ``redirect_stdout`` (otter
  compares a test cell's output, so a print must not fail a test): parameters come from
  ``@pytest.mark.parametrize`` (a loop over its values), fixtures of the file (called at
  each use; a yield fixture gives its first value, its teardown does not run) and
  ``tmp_path`` (a fresh temporary folder);
- a test the call cannot express (test classes, marks other than parametrize,
  ``pytest.param``, fixtures such as ``capsys`` or ``monkeypatch``, fixtures with
  options) runs through pytest itself inside the cell, on a file with the module-level
  code and that test alone (a public cell never shows a hidden test), the notebook's
  globals being the ``solution`` module; the cell fails if pytest does. So does a
  test whose cell otter's doctest conversion would break (a decorated helper, a docstring
  with lines in column 0): see :func:`doctest_safe`.

A test is hidden from students when its name contains ``hidden`` (``test_hidden_...``).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

HIDDEN_MARK = "hidden"
_PRINTS = "with contextlib.redirect_stdout(io.StringIO()):  # a print is not a test result"


@dataclass(frozen=True)
class GradedTest:
    """One test of a step as a notebook cell's code."""

    name: str
    hidden: bool
    source: str


def is_hidden(name: str) -> bool:
    """The hidden-test rule: the schema has no flag, so the name carries it."""
    return HIDDEN_MARK in name.lower()


def graded_tests(tests: str) -> list[GradedTest]:
    """One self-contained cell per test of a pytest file; none if the file does not parse."""
    try:
        module = ast.parse(tests)
    except SyntaxError:
        return []
    lines = tests.splitlines()
    fixtures = _fixtures(module)
    future, prelude = _prelude(module, lines, fixtures or {})
    cells: dict[str, GradedTest] = {}
    for node in module.body:
        name = _test_name(node)
        if name is None:
            continue
        call = _call(node, fixtures) if isinstance(node, ast.FunctionDef) else None
        source = None
        if call is not None:
            imports = ["import contextlib", "import io"]
            if "tmp_path" in call:
                imports += ["import pathlib", "import tempfile"]
            definition = "\n".join(lines[node.lineno - 1 : node.end_lineno])  # no decorators
            source = "\n\n".join([*future, "\n".join(imports), *prelude, definition, call])
        if source is None or not doctest_safe(source):
            alone = [_segment(lines, n) for n in module.body if _test_name(n) in (None, name)]
            source = "\n\n".join([*future, _pytest_run("\n\n\n".join(alone) + "\n", name)])
        cells[name] = GradedTest(name, is_hidden(name), source + "\n")
    return list(cells.values())


def doctest_safe(code: str) -> bool:
    """Whether otter's OK format keeps ``code`` intact.

    Otter unparses a test cell and starts a new doctest example at every line that begins
    in column 0, so a decorator splits from its ``def`` and a docstring whose lines start
    in column 0 breaks in two.
    """
    text = ast.unparse(ast.parse(code))
    starts = set()
    for node in ast.parse(text).body:
        decorators = getattr(node, "decorator_list", [])
        starts.add(min([node.lineno, *(d.lineno for d in decorators)]))
    for number, line in enumerate(text.splitlines(), 1):
        if line[:1].isspace() or not line or number in starts:
            continue
        if not re.match(r"(except|elif|else|finally)\b", line):
            return False
    return True


def _test_name(node: ast.stmt) -> str | None:
    """The name pytest collects ``node`` under, if it collects it."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
        return node.name
    if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
        return node.name
    return None


def _is_solution_import(node: ast.stmt) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.module == "solution" and not node.level
    return isinstance(node, ast.Import) and any(a.name == "solution" for a in node.names)


def _is_main_guard(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "__name__" in ast.unparse(node.test)


def _prelude(
    module: ast.Module, lines: list[str], fixtures: dict[str, ast.FunctionDef]
) -> tuple[list[str], list[str]]:
    """The module-level code every cell repeats: ``from __future__`` lines, then the rest."""
    future: list[str] = []
    rest: list[str] = []
    for node in module.body:
        if _test_name(node) or _is_main_guard(node):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a docstring: otter's doctest would expect it echoed
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            future.append(_segment(lines, node))
        elif isinstance(node, ast.Expr):
            rest.append("_ = " + _segment(lines, node).lstrip())  # a value is not echoed
        elif _is_solution_import(node):
            rest.extend(_solution_aliases(node))
        elif isinstance(node, ast.FunctionDef) and node.name in fixtures:
            rest.append("\n".join(lines[node.lineno - 1 : node.end_lineno]))
        else:
            rest.append(_segment(lines, node))
    return future, rest


def _solution_aliases(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.ImportFrom):
        return [f"{a.asname} = {a.name}" for a in node.names if a.asname and a.name != "*"]
    names = node.names if isinstance(node, ast.Import) else []
    namespace = "__import__('types').SimpleNamespace(**globals())"
    return [f"{a.asname or a.name} = {namespace}" for a in names if a.name == "solution"]


def _segment(lines: list[str], node: ast.stmt) -> str:
    decorators = getattr(node, "decorator_list", [])
    start = min([node.lineno, *(d.lineno for d in decorators)])
    return "\n".join(lines[start - 1 : node.end_lineno])


def _dotted(node: ast.expr) -> str:
    """``pytest.mark.parametrize`` for both ``@pytest.mark.parametrize(...)`` and the bare name."""
    return ast.unparse(node.func if isinstance(node, ast.Call) else node)


def _fixtures(module: ast.Module) -> dict[str, ast.FunctionDef] | None:
    """The file's fixtures by name; None when one uses options a plain call cannot honour."""
    found: dict[str, ast.FunctionDef] = {}
    for node in module.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        marks = [d for d in node.decorator_list if _dotted(d) in ("pytest.fixture", "fixture")]
        if not marks:
            continue
        options = [k.arg for d in marks if isinstance(d, ast.Call) for k in d.keywords]
        if len(node.decorator_list) > 1 or set(options) - {"scope"}:
            return None
        found[node.name] = node
    return found


def _call(node: ast.FunctionDef, fixtures: dict[str, ast.FunctionDef] | None) -> str | None:
    """The code that calls a test like pytest would, or None if it needs pytest itself."""
    if fixtures is None:
        return None
    loops: list[tuple[list[str], str]] = []
    for decorator in node.decorator_list:
        parametrized = _parametrize(decorator)
        if parametrized is None:
            return None
        loops.append(parametrized)
    looped = {name: f"_values_{n}" for n, (names, _) in enumerate(loops) for name in names}
    arguments: list[str] = []
    for name in _parameters(node):
        value = _value(name, looped, fixtures, loops, seen=set())
        if value is None:
            return None
        arguments.append(f"{name}={value}")
    code = f"{node.name}({', '.join(arguments)})"
    for n, (_names, values) in reversed(list(enumerate(loops))):
        code = f"for _values_{n} in {values}:\n" + _indent(code)
    return f"{_PRINTS}\n" + _indent(code)


def _value(
    name: str,
    looped: dict[str, str],
    fixtures: dict[str, ast.FunctionDef],
    loops: list[tuple[list[str], str]],
    *,
    seen: set[str],
) -> str | None:
    if name in looped:
        index = next(n for n, (names, _) in enumerate(loops) if name in names)
        names = loops[index][0]
        return looped[name] if len(names) == 1 else f"{looped[name]}[{names.index(name)}]"
    if name == "tmp_path":
        return "pathlib.Path(tempfile.mkdtemp())"
    fixture = fixtures.get(name)
    if fixture is None or name in seen:
        return None
    arguments = []
    for argument in _parameters(fixture):
        value = _value(argument, {}, fixtures, [], seen={*seen, name})
        if value is None:
            return None
        arguments.append(f"{argument}={value}")
    call = f"{name}({', '.join(arguments)})"
    yields = any(isinstance(n, ast.Yield | ast.YieldFrom) for n in ast.walk(fixture))
    return f"next({call})" if yields else call


def _parameters(node: ast.FunctionDef) -> list[str]:
    """Parameters without defaults: pytest fills only those."""
    args = [*node.args.posonlyargs, *node.args.args]
    required = args[: len(args) - len(node.args.defaults)]
    pairs = zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)
    keyword = [a for a, default in pairs if default is None]
    return [a.arg for a in [*required, *keyword]]


def _parametrize(decorator: ast.expr) -> tuple[list[str], str] | None:
    """(argument names, source of the values) of a plain ``pytest.mark.parametrize``."""
    if not isinstance(decorator, ast.Call) or _dotted(decorator) != "pytest.mark.parametrize":
        return None
    if len(decorator.args) != 2 or any(k.arg != "ids" for k in decorator.keywords):
        return None
    names_node, values_node = decorator.args
    names: list[str] = []
    if isinstance(names_node, ast.Constant) and isinstance(names_node.value, str):
        names = [n.strip() for n in names_node.value.split(",") if n.strip()]
    elif isinstance(names_node, ast.List | ast.Tuple):
        elements = names_node.elts
        names = [
            e.value for e in elements if isinstance(e, ast.Constant) and isinstance(e.value, str)
        ]
        if len(names) != len(elements):
            return None
    values = ast.unparse(values_node)
    if not names or "pytest.param" in values:
        return None
    return names, values


def _pytest_run(tests: str, name: str) -> str:
    """A cell that runs one test with pytest, the notebook being ``solution``; ``tests`` holds
    that test alone, so that a public cell never shows a hidden test."""
    return "\n".join(
        [
            "import contextlib",
            "import io",
            "import pathlib",
            "import sys",
            "import tempfile",
            "import types",
            "",
            "import pytest",
            "",
            "# this test needs pytest itself: run it on the test file, the notebook as `solution`",
            "_solution = types.ModuleType('solution')",
            "vars(_solution).update({k: v for k, v in globals().items() if k[:2] != '__'})",
            "sys.modules['solution'] = _solution",
            "_test_dir = pathlib.Path(tempfile.mkdtemp())",
            "_test_file = _test_dir / f'test_{_test_dir.name}.py'  # a module name of its own",
            f"_ = _test_file.write_text({tests!r}, encoding='utf-8')",
            "with contextlib.redirect_stdout(io.StringIO()) as _report:",
            f"    _args = [f'{{_test_file}}::{name}', '-q', '-p', 'no:cacheprovider']",
            "    _exit = pytest.main([*_args, '--import-mode=importlib'])",
            f"assert _exit == 0, '{name} failed:\\n' + _report.getvalue()",
        ]
    )


def _indent(code: str) -> str:
    return "\n".join("    " + line if line else line for line in code.splitlines())

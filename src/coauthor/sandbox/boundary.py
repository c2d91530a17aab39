"""Decide, per step, whether the solution can run in its own process behind a stand-in.

The solution's public API is read from its source with ``ast`` (never imported on the host):
functions with literal defaults, literal constants, plain exception classes and other
classes (their instances as remote handles, see ``class_api.py``) cross the boundary;
generators, async functions and unknown decorators do not. The tests are read too: a test
that patches the solution, shares process state with it (random seeds, environment, files)
or uses a name that does not cross needs one process, so the step runs in-process.
"""

from __future__ import annotations

import ast
import builtins
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from coauthor.sandbox._probe import sandbox_wire as wire
from coauthor.sandbox.class_api import decorator_name, read_class

_IMPORTABLE = (".py", ".pyc", ".pyw", ".pyd", ".so")
ISOLATED = "process-isolated"
IN_PROCESS = "in-process, tamper-evident"
Mode = Literal["auto", "process-isolated", "in-process, tamper-evident"]


@dataclass
class Api:
    """What of the solution crosses the boundary, and what keeps the step in-process."""

    functions: list[wire.FunctionDesc] = field(default_factory=list)
    constants: list[wire.ConstantDesc] = field(default_factory=list)
    exceptions: list[wire.ExceptionDesc] = field(default_factory=list)
    """Exception classes with no body of their own: rebuilt by name on the test side."""
    classes: list[wire.ClassDesc] = field(default_factory=list)
    """Other classes: their instances stay in the solution's process (remote handles)."""
    doc: str | None = None
    obstacles: list[str] = field(default_factory=list)

    @property
    def names(self) -> set[str]:
        items = [*self.functions, *self.constants, *self.exceptions, *self.classes]
        return {str(item["name"]) for item in items}


@dataclass(frozen=True)
class Plan:
    mode: str
    reason: str = ""
    proxy: str = ""
    """Source of the stand-in ``solution.py`` for the test process (process-isolated)."""


def plan(
    files: Mapping[str, str | bytes], *, solution_file: str, test_file: str, mode: Mode
) -> Plan:
    """The mode for this step, with the reason when it is in-process."""
    if mode == IN_PROCESS:
        return Plan(IN_PROCESS, "the in-process mode was asked for")
    source, tests = files.get(solution_file), files.get(test_file)
    if source is None or tests is None or "/" in solution_file or solution_file[-3:] != ".py":
        return Plan(IN_PROCESS, "no solution module to isolate")
    try:
        api = read_api(source)
        members = {str(c["name"]): _class_members(c) for c in api.classes}
        obstacles = api.obstacles + obstacles_in_tests(
            tests, solution_file[:-3], api.names, members
        )
    except (SyntaxError, ValueError) as exc:
        return Plan(IN_PROCESS, f"the solution or the tests do not parse: {exc}")
    others = [
        name
        for name in files
        if name not in (solution_file, test_file)
        and (name.endswith(_IMPORTABLE) or "__pycache__" in name.split("/"))
    ]
    if others:  # code the test process could import instead of the stand-in: never isolated
        return Plan(IN_PROCESS, f"other importable files in the step: {', '.join(sorted(others))}")
    if obstacles and mode != ISOLATED:
        return Plan(IN_PROCESS, "; ".join(obstacles))
    return Plan(ISOLATED, proxy=proxy_source(api))


def _class_members(spec: wire.ClassDesc) -> set[str]:
    items = [*spec["methods"], *spec["class_level"], *spec["constants"]]
    return {str(item["name"]) for item in items}


def proxy_source(api: Api) -> str:
    spec: wire.ApiDesc = {
        "doc": api.doc,
        "functions": api.functions,
        "constants": api.constants,
        "exceptions": api.exceptions,
        "classes": api.classes,
    }
    return (
        '"""Stand-in for the solution: each call runs in the solution\'s own process."""\n'
        "import sandbox_proxy\n\n"
        f"sandbox_proxy.install(__name__, {json.dumps(spec)!r})\n"
    )


def read_api(source: str | bytes) -> Api:
    tree = ast.parse(source)
    api = Api(doc=ast.get_docstring(tree))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            _add_function(api, node)
        elif isinstance(node, ast.ClassDef) and _plain_exception(node, api):
            bases = [base.id for base in node.bases if isinstance(base, ast.Name)]
            api.exceptions.append(
                {"name": node.name, "doc": ast.get_docstring(node), "bases": bases}
            )
        elif isinstance(node, ast.ClassDef):
            _add_class(api, node)
        elif isinstance(node, ast.AsyncFunctionDef) and not node.name.startswith("_"):
            api.obstacles.append(f"the solution defines async function {node.name}")
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            _add_constant(api, node)
    return api


_TRANSPARENT = frozenset({"cache", "lru_cache", "wraps", "jit", "njit"})
"""Decorators that keep a function's call signature and its data in, data out."""


def _add_class(api: Api, node: ast.ClassDef) -> None:
    known = {str(item["name"]) for item in api.classes}
    exceptions = {str(item["name"]) for item in api.exceptions}
    spec, problem = read_class(node, known=known, exceptions=exceptions, params=_params)
    if spec is not None:
        api.classes.append(spec)
    elif problem and not node.name.startswith("_"):
        api.obstacles.append(problem)


def _plain_exception(node: ast.ClassDef, api: Api) -> bool:
    """``class Name(ValueError): "doc"`` (bases built in or defined above, no body)."""
    known = {str(item["name"]) for item in api.exceptions}
    bases_ok = bool(node.bases) and all(
        isinstance(base, ast.Name) and (base.id in known or _builtin_exception(base.id))
        for base in node.bases
    )
    body = [item for item in node.body if not _is_doc_or_pass(item)]
    return bases_ok and not body and not node.keywords and not node.decorator_list


def _builtin_exception(name: str) -> bool:
    found = getattr(builtins, name, None)
    return isinstance(found, type) and issubclass(found, Exception)


def _is_doc_or_pass(item: ast.stmt) -> bool:
    if isinstance(item, ast.Pass):
        return True
    return isinstance(item, ast.Expr) and isinstance(item.value, ast.Constant)


def _add_function(api: Api, node: ast.FunctionDef) -> None:
    if node.name.startswith("__"):
        return
    if any(decorator_name(d) not in _TRANSPARENT for d in node.decorator_list):
        api.obstacles.append(f"{node.name}() is decorated")
        return
    if any(isinstance(sub, (ast.Yield, ast.YieldFrom)) for sub in _own_nodes(node)):
        api.obstacles.append(f"{node.name}() is a generator")
        return
    try:
        params = _params(node.args)
    except (ValueError, TypeError, SyntaxError, wire.CannotCrossError):
        api.obstacles.append(f"{node.name}() has a default that is not a literal")
        return
    api.functions.append({"name": node.name, "doc": ast.get_docstring(node), "params": params})


def _own_nodes(node: ast.FunctionDef) -> list[ast.AST]:
    """Nodes of the function's own body, not of functions or classes nested in it."""
    found: list[ast.AST] = []
    todo: list[ast.AST] = list(node.body)
    nested = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
    while todo:
        item = todo.pop()
        found.append(item)
        if not isinstance(item, nested):
            todo.extend(ast.iter_child_nodes(item))
    return found


def _params(args: ast.arguments) -> list[wire.ParamDesc]:
    positional = [*args.posonlyargs, *args.args]
    defaults = dict(
        zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True)
    )
    defaults.update(
        (a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None
    )

    def param(arg: ast.arg, kind: str) -> wire.ParamDesc:
        made: wire.ParamDesc = {"name": arg.arg, "kind": kind}
        if arg in defaults:
            made["default"] = wire.Encoder().encode(ast.literal_eval(defaults[arg]))
        return made

    params = [param(arg, "POSITIONAL_ONLY") for arg in args.posonlyargs]
    params += [param(arg, "POSITIONAL_OR_KEYWORD") for arg in args.args]
    if args.vararg:
        params.append({"name": args.vararg.arg, "kind": "VAR_POSITIONAL"})
    params += [param(arg, "KEYWORD_ONLY") for arg in args.kwonlyargs]
    if args.kwarg:
        params.append({"name": args.kwarg.arg, "kind": "VAR_KEYWORD"})
    return params


def _add_constant(api: Api, node: ast.Assign | ast.AnnAssign) -> None:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    names = [t.id for t in targets if isinstance(t, ast.Name)]
    if node.value is None or not names:
        return
    try:
        value = wire.Encoder().encode(ast.literal_eval(node.value))
    except (ValueError, TypeError, SyntaxError, wire.CannotCrossError):
        return  # not crossing: a test that uses it keeps the step in-process
    api.constants.extend({"name": name, "value": value} for name in names)


def obstacles_in_tests(
    tests: str | bytes, module: str, names: set[str], members: dict[str, set[str]] | None = None
) -> list[str]:
    """What in the tests needs the real solution module in their own process."""
    tree = ast.parse(tests)
    members = members or {}
    aliases: set[str] = set()
    imported: set[str] = set()
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == module:
            for alias in node.names:
                if alias.name != "*" and alias.name not in names:
                    found.append(f"the tests import {alias.name}, which does not cross")
                imported.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            aliases.update(a.asname or a.name for a in node.names if a.name == module)
        elif isinstance(node, ast.Constant) and str(node.value).startswith(f"{module}."):
            found.append(f"the tests name {node.value!r} (patching the solution)")
    found += _module_uses(tree, aliases, names)
    found += _shared_state(tree)
    found += [
        f"the tests use {node.value.id}.{node.attr}, which stays in the solution's process"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in imported
        and node.attr not in members.get(node.value.id, set())
    ]
    return list(dict.fromkeys(found))


_FILES = "the tests use files, which the solution's own process does not share"
_SHARED_STATE = {
    "caplog": "the tests read log records (caplog), which stay in the solution's process",
    "monkeypatch": "the tests patch with monkeypatch, which does not reach the solution",
    "patch": "the tests patch with mock, which does not reach the solution",
    "seed": "the tests seed a global random generator the solution may read",
    "manual_seed": "the tests seed a global random generator the solution may read",
    "set_seed": "the tests seed a global random generator the solution may read",
    "environ": "the tests change environment variables the solution may read",
    "putenv": "the tests change environment variables the solution may read",
    "getsource": "the tests inspect the solution's source",
    "__code__": "the tests inspect the solution's code",
    "__file__": "the tests inspect the solution's file",
    **dict.fromkeys(
        ["tmp_path", "tmpdir", "tmp_path_factory", "tmpdir_factory", "open", "Path"], _FILES
    ),
    **dict.fromkeys(["chdir", "remove", "unlink", "write_text", "write_bytes"], _FILES),
    **dict.fromkeys(["to_csv", "to_parquet", "to_json", "save", "savetxt", "dump"], _FILES),
    **dict.fromkeys(
        ["asdict", "astuple", "fields", "__dict__", "deepcopy", "pickle"],
        "the tests look inside objects that stay in the solution's process",
    ),
}


def _shared_state(tree: ast.AST) -> list[str]:
    """Process state a test may share with the solution in one process, and not across two:
    global random generators, environment, files, patched modules, log records."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            word = node.attr
        elif isinstance(node, ast.Name):
            word = node.id
        elif isinstance(node, ast.arg):
            word = node.arg
        else:
            continue
        if word in _SHARED_STATE:
            found.append(_SHARED_STATE[word])
    return found


def _module_uses(tree: ast.AST, aliases: set[str], names: set[str]) -> list[str]:
    attributes: set[int] = set()
    found: list[str] = []
    for node in ast.walk(tree):
        owner = node.value if isinstance(node, ast.Attribute) else None
        if isinstance(node, ast.Attribute) and isinstance(owner, ast.Name) and owner.id in aliases:
            attributes.add(id(owner))
            if node.attr not in names or not isinstance(node.ctx, ast.Load):
                found.append(f"the tests use solution.{node.attr}, which does not cross")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in aliases and id(node) not in attributes:
            found.append("the tests use the solution module itself")
    return found

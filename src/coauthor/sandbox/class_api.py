"""The part of a solution class that its stand-in needs, read from the source with ``ast``.

Instances stay in the solution's process (remote handles), so the stand-in needs only names:
methods (with their signatures and docstrings), static and class methods, literal class
constants, the constructor's signature and the bases that are classes of the solution too.
Properties need nothing: attribute reads go to the real object. A class the stand-in cannot
mirror faithfully (a metaclass, a decorator other than ``dataclass``, nested classes, async
methods, an exception class with a body) keeps the step in-process.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from coauthor.sandbox._probe import sandbox_wire as wire

Params = Callable[[ast.arguments], list[wire.ParamDesc]]
_ATTRIBUTES = frozenset({"property", "cached_property", "setter", "getter", "deleter"})
_CLASS_LEVEL = frozenset({"staticmethod", "classmethod"})
_TRANSPARENT = frozenset({"cache", "lru_cache", "wraps"})


def decorator_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Attribute):
        return target.attr
    return target.id if isinstance(target, ast.Name) else ""


def read_class(
    node: ast.ClassDef, *, known: set[str], exceptions: set[str], params: Params
) -> tuple[wire.ClassDesc | None, str | None]:
    """The stand-in's description, or why the class cannot have one."""
    if node.keywords or any(decorator_name(d) != "dataclass" for d in node.decorator_list):
        return None, f"class {node.name} has a metaclass or decorators"
    names = [base.id for base in node.bases if isinstance(base, ast.Name)]
    if any(name in exceptions or name.endswith(("Error", "Exception")) for name in names):
        return None, f"exception class {node.name} has a body of its own"
    spec: wire.ClassDesc = {
        "name": node.name,
        "doc": ast.get_docstring(node),
        "bases": [name for name in names if name in known],
        "methods": [],
        "class_level": [],
        "constants": [],
    }
    for item in node.body:
        problem = _member(spec, item, params)
        if problem:
            return None, f"class {node.name}: {problem}"
    return spec, None


def _member(spec: wire.ClassDesc, item: ast.stmt, params: Params) -> str | None:
    if isinstance(item, (ast.AsyncFunctionDef, ast.ClassDef)):
        return f"{item.name} is async or a nested class"
    if isinstance(item, (ast.Assign, ast.AnnAssign)):
        _constant(spec, item)
        return None
    if not isinstance(item, ast.FunctionDef):
        return None
    kinds = {decorator_name(d) for d in item.decorator_list}
    if kinds & _ATTRIBUTES:
        return None
    if kinds - _CLASS_LEVEL - _TRANSPARENT:
        return f"{item.name}() has decorators"
    try:
        found = params(item.args)
    except (ValueError, TypeError, SyntaxError):
        return f"{item.name}() has a default that is not a literal"
    name, doc = item.name, ast.get_docstring(item)
    if "staticmethod" in kinds:
        spec["class_level"].append({"name": name, "doc": doc, "params": found})
    elif "classmethod" in kinds:
        spec["class_level"].append({"name": name, "doc": doc, "params": found[1:]})
    elif not (item.name.startswith("__") and item.name.endswith("__")):
        spec["methods"].append({"name": name, "doc": doc, "params": found})
    return None


def _constant(spec: wire.ClassDesc, item: ast.Assign | ast.AnnAssign) -> None:
    targets = item.targets if isinstance(item, ast.Assign) else [item.target]
    if item.value is None:
        return
    try:
        value = wire.Encoder().encode(ast.literal_eval(item.value))
    except (ValueError, TypeError, SyntaxError, wire.CannotCrossError):
        return
    spec["constants"].extend(
        {"name": target.id, "value": value} for target in targets if isinstance(target, ast.Name)
    )

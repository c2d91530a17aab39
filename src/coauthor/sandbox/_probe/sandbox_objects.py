"""The solution's objects that stay in its process, and what a request from the tests names.

An instance of a class defined in the solution never crosses: the test process gets a
handle (the object's id here, and its class name) and sends it back to call a method, read
or write an attribute, or use an operator (``len``, ``==``, ``[]``, ``in``, ``repr``...). The
objects are kept alive here for the whole session. Trusted, standard library only.
"""

from __future__ import annotations

import operator
import types
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coauthor.sandbox._probe.sandbox_wire import Json

OBJECTS: dict[int, object] = {}
CALLABLE = object()
"""What a read of a method returns: the test side then calls it by name."""


def _call_object(owner: Callable[..., object], *args: object, **kwargs: object) -> object:
    return owner(*args, **kwargs)


OPERATORS: dict[str, Callable[..., object]] = {
    "__repr__": repr,
    "__str__": str,
    "__len__": len,
    "__bool__": bool,
    "__hash__": hash,
    "__eq__": operator.eq,
    "__ne__": operator.ne,
    "__lt__": operator.lt,
    "__le__": operator.le,
    "__gt__": operator.gt,
    "__ge__": operator.ge,
    "__getitem__": operator.getitem,
    "__setitem__": operator.setitem,
    "__delitem__": operator.delitem,
    "__contains__": operator.contains,
    "__call__": _call_object,
}


def tagger(module_name: str) -> Callable[[object], dict[str, Json] | None]:
    """Tags instances of the solution's own classes as handles."""

    def tag(value: object) -> dict[str, Json] | None:
        kind = type(value)
        if kind.__module__ != module_name or isinstance(value, (type, BaseException)):
            return None
        OBJECTS[id(value)] = value
        return {"$": "handle", "id": id(value), "class": kind.__qualname__}

    return tag


def resolve(tree: dict[str, Json]) -> object:
    ident = tree.get("id")
    if not isinstance(ident, int) or ident not in OBJECTS:
        raise LookupError("the test process named an object the solution does not have")
    return OBJECTS[ident]


def module_callable(module: types.ModuleType, name: str) -> Callable[..., object]:
    """``f`` or ``Class`` or ``Class.static_method``, all defined in the solution."""
    head, _, rest = name.partition(".")
    target = getattr(module, head, None)
    if rest and isinstance(target, type) and target.__module__ == module.__name__:
        target = getattr(target, rest, None)
    elif rest:
        target = None
    if head.startswith("__") or rest.startswith("__") or not callable(target):
        raise AttributeError(f"module {module.__name__!r} has no function {name!r}")
    found: Callable[..., object] = target
    return found


def member(
    owner: object, op: str, name: str, value: object
) -> tuple[Callable[..., object] | None, object]:
    """For a method, what to call; for an attribute read or write, the result."""
    if op == "getattr":
        found = getattr(owner, name)
        return None, CALLABLE if callable(found) and not isinstance(found, type) else found
    if op == "setattr":
        setattr(owner, name, value)
        return None, None
    if name in OPERATORS:
        return (lambda *args, **kwargs: OPERATORS[name](owner, *args, **kwargs)), None
    return getattr(owner, name), None

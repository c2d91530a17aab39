"""Stand-ins for the solution's classes in the test process: instances are remote handles.

``Model(1, 2)`` asks the solution's process to build the object and returns a stand-in that
holds only its handle; methods, attribute reads and writes, and operators (``==``, ``len``,
``[]``, ``in``, ``repr``, calling) are forwarded there, and the same object always comes back
as the same stand-in, so ``is`` and ``isinstance`` behave. Trusted, standard library only.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, Protocol, cast

if TYPE_CHECKING:
    from coauthor.sandbox._probe.sandbox_wire import ClassDesc, Json, ParamDesc

FORWARDED = (
    "__repr__",
    "__str__",
    "__len__",
    "__bool__",
    "__hash__",
    "__eq__",
    "__ne__",
    "__lt__",
    "__le__",
    "__gt__",
    "__ge__",
    "__getitem__",
    "__setitem__",
    "__delitem__",
    "__contains__",
    "__call__",
    "__iter__",
)
_INSTANCES: dict[int, RemoteObject] = {}


class Connection(Protocol):
    """The pipe to the solution's process (``sandbox_proxy``)."""

    def call(self, name: str, args: tuple[object, ...], kwargs: dict[str, object]) -> object: ...

    def method(
        self, owner: RemoteObject, name: str, args: tuple[object, ...], kwargs: dict[str, object]
    ) -> object: ...

    def attribute(self, owner: RemoteObject, name: str) -> object: ...

    def set_attribute(self, owner: RemoteObject, name: str, value: object) -> None: ...


_CLASSES: dict[str, type[RemoteObject]] = {}


class RemoteObject:
    """An object living in the solution's process."""

    __slots__ = ("_handle",)
    _connection: ClassVar[Connection | None] = None
    _remote_name: ClassVar[str] = ""

    @classmethod
    def _link(cls) -> Connection:
        if cls._connection is None:
            raise AttributeError("'NoneType' object has no attribute: no connection yet")
        return cls._connection

    def __new__(cls, *args: object, **kwargs: object) -> RemoteObject:
        if not cls._remote_name:
            raise TypeError(f"{cls.__name__} objects are made by the solution")
        # The solution's constructor answers with the handle of the object it built.
        return cast("RemoteObject", cls._link().call(cls._remote_name, args, kwargs))

    def __init__(self, *args: object, **kwargs: object) -> None:
        """Built in the solution's process already."""

    def __getattr__(self, name: str) -> object:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._link().attribute(self, name)

    def __setattr__(self, name: str, value: object) -> None:
        self._link().set_attribute(self, name, value)


def _operator(name: str) -> Callable[..., object]:
    def forward(self: RemoteObject, *args: object, **kwargs: object) -> object:
        return self._link().method(self, name, args, kwargs)

    forward.__name__ = name
    return forward


for _name in FORWARDED:
    setattr(RemoteObject, _name, _operator(_name))


def tag(value: object) -> dict[str, Json] | None:
    """How a stand-in travels back: as its handle."""
    if isinstance(value, RemoteObject):
        return {"$": "handle", "id": object.__getattribute__(value, "_handle")}
    return None


def instance_for(tree: dict[str, Json]) -> RemoteObject:
    """The stand-in for a handle the solution's process sent."""
    sent = tree["id"]
    if not isinstance(sent, (int, float, str)):
        raise TypeError(f"a handle's id is not a number: {type(sent).__name__}")
    ident, name = int(sent), str(tree.get("class", "object"))
    if ident in _INSTANCES:
        return _INSTANCES[ident]
    kind = _CLASSES.get(name)
    if kind is None:
        kind = type(name, (RemoteObject,), {"__module__": "solution", "_remote_name": ""})
        _CLASSES[name] = kind
    made: RemoteObject = object.__new__(kind)
    object.__setattr__(made, "_handle", ident)
    _INSTANCES[ident] = made
    return made


def _method(name: str, signature: inspect.Signature, doc: str | None) -> Callable[..., object]:
    def forward(self: RemoteObject, *args: object, **kwargs: object) -> object:
        return self._link().method(self, name, args, kwargs)

    forward.__name__ = forward.__qualname__ = name
    forward.__doc__ = doc
    setattr(forward, "__signature__", signature)  # noqa: B010
    return forward


def _class_level(
    remote: str, signature: inspect.Signature, doc: str | None
) -> staticmethod[..., object]:
    def forward(*args: object, **kwargs: object) -> object:
        return RemoteObject._link().call(remote, args, kwargs)

    forward.__name__ = forward.__qualname__ = remote.rpartition(".")[2]
    forward.__doc__ = doc
    setattr(forward, "__signature__", signature)  # noqa: B010
    return staticmethod(forward)


def make_class(
    spec: ClassDesc,
    signature: Callable[[list[ParamDesc]], inspect.Signature],
    constant: Callable[[Json], object],
) -> type[RemoteObject]:
    """The stand-in class for one of the solution's classes (its bases made first)."""
    name = str(spec["name"])
    bases = tuple(_CLASSES[b] for b in spec["bases"] if b in _CLASSES) or (RemoteObject,)
    namespace: dict[str, object] = {"__module__": "solution", "__doc__": spec.get("doc")}
    namespace["_remote_name"] = name
    for method in spec["methods"]:
        made = _method(method["name"], signature(method["params"]), method.get("doc"))
        namespace[method["name"]] = made
    for method in spec["class_level"]:
        remote = f"{name}.{method['name']}"
        namespace[method["name"]] = _class_level(
            remote, signature(method["params"]), method.get("doc")
        )
    for item in spec["constants"]:
        namespace[item["name"]] = constant(item["value"])
    kind = type(name, bases, namespace)
    _CLASSES[name] = kind
    return kind

"""Trusted stand-in for the solution module inside the test process.

The host writes ``solution.py`` in the test process's work folder as two lines that call
:func:`install` with a JSON description of the solution's public API (names, signatures with
literal defaults, docstrings, literal constants, classes: ``sandbox_remote``). Each function
forwards its call to the solution's own process over a pair of pipes (``sandbox_wire``) and
returns the decoded value, or raises the solution's exception as the same built-in type (a
named stand-in deriving from the nearest built-in base otherwise); what the call printed and
warned is replayed here. Values that cannot cross (callbacks, generators, custom objects)
raise :class:`CannotCrossBoundary`, which no ``except Exception`` swallows, and tell the
driver, so the host runs the step in-process instead. Standard library only.
"""

from __future__ import annotations

import builtins
import inspect
import json
import os
import sys
import warnings
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, NoReturn, cast

if TYPE_CHECKING:
    from coauthor.sandbox._probe import sandbox_remote as remote
    from coauthor.sandbox._probe import sandbox_wire as wire
    from coauthor.sandbox._probe.sandbox_inplace import write_back
    from coauthor.sandbox._probe.sandbox_remote import RemoteObject
else:
    import sandbox_remote as remote
    import sandbox_wire as wire
    from sandbox_inplace import write_back
    from sandbox_remote import RemoteObject

FALLBACK = "the step falls back to the in-process run"
_CALLABLE = object()
_NOT_REBUILT = ("SystemExit", "KeyboardInterrupt", "GeneratorExit")


class CannotCrossBoundary(BaseException):
    """An argument or a result that the process boundary does not carry."""


class SolutionGone(BaseException):
    """The solution's process ended or did not answer in time."""


class RemoteError(Exception):
    """Base of stand-ins for exception types that exist only in the solution's process."""


def _notice(reason: str) -> None:
    note = getattr(sys.modules.get("__main__"), "fallback_notice", None)
    if callable(note):
        note(reason)


def _refuse(reason: str) -> NoReturn:
    _notice(reason)
    raise CannotCrossBoundary(f"{reason}; {FALLBACK}")


_SOLUTION_CLASSES: dict[str, type[BaseException]] = {}
"""The solution's own exception classes, rebuilt here by name (``solution.EmptyInput``)."""


def _exception_class(module_name: str, spec: wire.ExceptionDesc) -> type[BaseException]:
    bases = tuple(
        _SOLUTION_CLASSES.get(f"{module_name}.{base}") or getattr(builtins, str(base))
        for base in spec["bases"]
    )
    name = str(spec["name"])
    made = type(name, bases, {"__module__": module_name, "__doc__": spec.get("doc")})
    _SOLUTION_CLASSES[f"{module_name}.{name}"] = made
    return made


def _stand_in(name: str, bases: list[str], root: type[BaseException]) -> type[BaseException]:
    """The built-in class itself, the solution's own class rebuilt here, or a class of that
    name deriving from its nearest built-in base (``RemoteError`` for exceptions)."""
    if name in _SOLUTION_CLASSES and issubclass(_SOLUTION_CLASSES[name], root):
        return _SOLUTION_CLASSES[name]
    module, _, short = name.rpartition(".")
    found = getattr(builtins, short, None) if module == "builtins" else None
    if isinstance(found, type) and issubclass(found, root) and short not in _NOT_REBUILT:
        return found
    candidates = [getattr(builtins, b, None) for b in bases]
    base = next((b for b in candidates if isinstance(b, type) and issubclass(b, root)), None)
    if base is None or short in _NOT_REBUILT:
        return RemoteError
    extra = (RemoteError,) if issubclass(base, Exception) and root is Exception else ()
    return type(short or "RemoteError", (*extra, base), {"__module__": module or "solution"})


def _exception(sent: wire.Json, blobs: list[bytes]) -> BaseException:
    error = wire.as_object(sent)
    name, message = str(error["type"]), str(error["message"])
    try:  # a list of arguments (anything else falls back to the message)
        args = tuple(cast("Iterable[object]", wire.decode(error["args"], blobs)))
    except (wire.PeerGoneError, TypeError, ValueError):
        args = (message,)
    kind = _stand_in(name, _names(error.get("bases", [])), Exception)
    if kind is RemoteError:
        return RemoteError(f"{name}: {message}")
    try:
        return kind(*args)
    except Exception:
        return kind(message)


def _names(sent: wire.Json) -> list[str]:
    """Class names the peer sent (getattr refuses anything but strings later)."""
    return list(cast("Iterable[str]", sent))


def _replay(header: dict[str, wire.Json]) -> None:
    """What the call printed and warned, as if it had happened here."""
    if header.get("stdout"):
        sys.stdout.write(str(header["stdout"]))
    if header.get("stderr"):
        sys.stderr.write(str(header["stderr"]))
    for sent in wire.as_list(header.get("warnings", [])):
        item = wire.as_object(sent)
        category = _stand_in(str(item["type"]), _names(item.get("bases", [])), Warning)
        if not issubclass(category, Warning):
            category = UserWarning
        warnings.warn(str(item["message"]), category, stacklevel=4)


class _Connection:
    def __init__(self, fd_out: int, fd_in: int, timeout: float) -> None:
        self.fd_out, self.fd_in, self.timeout = fd_out, fd_in, timeout
        self.gone: str | None = None

    def ask(
        self,
        message: dict[str, wire.Json],
        encoder: wire.Encoder,
        what: str,
        *,
        timeout: float | None = None,
    ) -> tuple[dict[str, wire.Json], list[bytes]]:
        if self.gone:
            raise SolutionGone(self.gone)
        try:
            wire.send(self.fd_out, wire.pack(message, encoder))
            reply = wire.receive(self.fd_in, timeout or self.timeout)
            if reply is None:
                raise wire.PeerGoneError("the solution's process ended")
            header, blobs = reply
            _replay(header)
            if "error" in header:
                raise _exception(header["error"], blobs) from None
            if "cannot_cross" in header:
                _refuse(f"the value returned by {what} cannot cross: {header['cannot_cross']}")
            return header, blobs
        except wire.PeerGoneError as exc:
            self.gone = f"{what}: {exc} (time limit per call: {self.timeout:g} s)"
            raise SolutionGone(self.gone) from None

    def call(self, name: str, args: tuple[object, ...], kwargs: dict[str, object]) -> object:
        return self._invoke({"op": "call", "name": name}, args, kwargs, what=f"{name}()")

    def method(
        self, owner: RemoteObject, name: str, args: tuple[object, ...], kwargs: dict[str, object]
    ) -> object:
        fields: dict[str, object] = {"op": "method", "name": name, "target": owner}
        return self._invoke(fields, args, kwargs, what=f"{type(owner).__name__}.{name}()")

    def attribute(self, owner: RemoteObject, name: str) -> object:
        fields: dict[str, object] = {"op": "getattr", "name": name, "target": owner}
        found = self._invoke(fields, (), {}, what=f"{type(owner).__name__}.{name}")
        if found is _CALLABLE:
            return lambda *args, **kwargs: self.method(owner, name, args, kwargs)
        return found

    def set_attribute(self, owner: RemoteObject, name: str, value: object) -> None:
        fields: dict[str, object] = {"op": "setattr", "name": name, "target": owner, "value": value}
        self._invoke(fields, (), {}, what=f"{type(owner).__name__}.{name} = ...")

    def _invoke(
        self,
        fields: dict[str, object],
        args: tuple[object, ...],
        kwargs: dict[str, object],
        *,
        what: str,
    ) -> object:
        encoder = wire.Encoder(handles=remote.tag)
        try:
            message = {key: encoder.encode(value) for key, value in fields.items()}
            message["args"], message["kwargs"] = encoder.encode(list(args)), encoder.encode(kwargs)
        except wire.CannotCrossError as exc:
            _refuse(f"an argument of {what} cannot cross: {exc}")
        header, blobs = self.ask(message, encoder, what)
        if header.get("callable"):
            return _CALLABLE
        try:
            value = wire.decode(header.get("value"), blobs)
            pairs = (wire.as_list(pair) for pair in wire.as_list(header.get("changed", [])))
            changed = [(key, wire.decode(tree, blobs)) for key, tree in pairs]
        except (wire.PeerGoneError, TypeError, ValueError) as exc:
            self.gone = f"{what}: {exc}"
            raise SolutionGone(self.gone) from None
        for key, new in changed:
            original = args[key] if isinstance(key, int) else kwargs[cast("str", key)]
            problem = write_back(original, new)
            if problem:
                _refuse(f"{what} changed its arguments: {problem}")
        return value


def _signature(params: list[wire.ParamDesc]) -> inspect.Signature:
    made = []
    for param in params:
        kind = getattr(inspect.Parameter, str(param["kind"]))
        default = wire.decode(param["default"], []) if "default" in param else inspect._empty
        made.append(inspect.Parameter(str(param["name"]), kind, default=default))
    return inspect.Signature(made)


def _function(connection: _Connection, spec: wire.FunctionDesc) -> Callable[..., object]:
    name = str(spec["name"])

    def forward(*args: object, **kwargs: object) -> object:
        return connection.call(name, args, kwargs)

    forward.__name__ = forward.__qualname__ = name
    forward.__module__ = "solution"
    forward.__doc__ = spec.get("doc")
    setattr(forward, "__signature__", _signature(spec["params"]))  # noqa: B010
    return forward


def install(module_name: str, spec_text: str) -> None:
    """Fill the stand-in module; the solution's own import error surfaces here."""
    spec: wire.ApiDesc = json.loads(spec_text)  # written by the host (boundary.proxy_source)
    module = sys.modules[module_name]
    fd_out, fd_in = int(os.environ["SANDBOX_CALLS_OUT"]), int(os.environ["SANDBOX_CALLS_IN"])
    connection = _Connection(fd_out, fd_in, float(os.environ.get("SANDBOX_CALL_TIMEOUT", "10")))
    started = float(os.environ.get("SANDBOX_START_TIMEOUT", "60"))
    connection.ask({"op": "hello"}, wire.Encoder(), "importing the solution", timeout=started)
    module.__doc__ = spec.get("doc")
    names = []
    for function in spec["functions"]:
        setattr(module, function["name"], _function(connection, function))
        names.append(function["name"])
    for constant in spec["constants"]:
        setattr(module, constant["name"], wire.decode(constant["value"], []))
        names.append(constant["name"])
    for exception in spec.get("exceptions", []):
        setattr(module, exception["name"], _exception_class(module_name, exception))
        names.append(exception["name"])
    remote.RemoteObject._connection = connection
    wire.resolve_handles_with(remote.instance_for)
    for kind in spec.get("classes", []):
        made = remote.make_class(kind, _signature, lambda tree: wire.decode(tree, []))
        setattr(module, kind["name"], made)
        names.append(kind["name"])
    setattr(module, "__all__", [name for name in names if not name.startswith("_")])  # noqa: B010

"""Trusted solution server, run in its own sandbox as ``python -m sandbox_server MODULE``.

It imports the untrusted solution module from the work folder and answers framed calls from
the test process (``sandbox_wire``): function name and arguments in, the return value or the
exception out, with what the call printed (bounded) and the warnings it raised. It holds no
key and no pipe to the host's report; whatever the solution does here can change only the
values the tests see. A call that runs past its time limit ends this process (the test
process then reports the call as timed out). Standard library only.
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import importlib
import io
import json
import os
import signal
import sys
import types
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from coauthor.sandbox._probe import sandbox_objects as objects
    from coauthor.sandbox._probe import sandbox_wire as wire
else:
    import sandbox_objects as objects
    import sandbox_wire as wire

_MESSAGE_CHARS = 4000
_OUTPUT_CHARS = 1_000_000
_MAX_WARNINGS = 100
_HANDLES: list[Callable[[object], dict[str, wire.Json] | None]] = []


def _builtin_bases(exc: BaseException) -> list[str]:
    """Names of the built-in exception classes ``exc`` is an instance of, nearest first."""
    return [
        kind.__name__
        for kind in type(exc).__mro__
        if kind.__module__ == "builtins" and getattr(builtins, kind.__name__, None) is kind
    ]


def _error_reply(exc: BaseException) -> tuple[dict[str, wire.Json], wire.Encoder]:
    encoder = wire.Encoder()
    message = str(exc)[:_MESSAGE_CHARS]
    error: dict[str, wire.Json] = {"type": _type_name(exc), "bases": [*_builtin_bases(exc)]}
    error["message"] = message
    try:
        args = encoder.encode(list(exc.args))
        if encoder.size > _MESSAGE_CHARS * 4:
            raise wire.CannotCrossError("arguments too large")
    except wire.CannotCrossError:
        encoder, args = wire.Encoder(), [message]
    return {"error": {**error, "args": args}}, encoder


def _type_name(value: object) -> str:
    return f"{type(value).__module__}.{type(value).__qualname__}"


class _Bounded(io.TextIOBase):
    """Keeps the first ``_OUTPUT_CHARS`` written during a call; counts and drops the rest."""

    def __init__(self) -> None:
        self.kept: list[str] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        room = _OUTPUT_CHARS - self.size
        if room > 0:
            self.kept.append(str(text)[:room])
        self.size += len(text)
        return len(text)

    def text(self) -> str:
        dropped = self.size - _OUTPUT_CHARS
        note = f"\n[... {dropped} characters dropped by the solution's process ...]\n"
        return "".join(self.kept) + (note if dropped > 0 else "")


Changed = list[tuple[int | str, object]]


def _fingerprint(value: object) -> bytes | None:
    """A digest of a mutable argument's content, to see whether the call changed it."""
    library = type(value).__module__.split(".")[0]
    if type(value) not in (list, dict, set, bytearray) and library not in ("numpy", "pandas"):
        return None
    encoder = wire.Encoder()
    try:
        tree = json.dumps(encoder.encode(value), sort_keys=True).encode()
    except wire.CannotCrossError:
        return None
    digest = hashlib.sha256(tree)
    for blob in encoder.blobs:
        digest.update(len(blob).to_bytes(8, "big") + blob)
    return digest.digest()


def _call(
    module: types.ModuleType | None,
    failure: BaseException | None,
    request: dict[str, wire.Json],
    blobs: list[bytes],
) -> tuple[object, Changed]:
    if failure is not None:
        raise failure
    assert module is not None
    op, name = request.get("op"), str(request["name"])
    if op == "call":
        target = objects.module_callable(module, name)
    else:
        owner = wire.decode(request["target"], blobs)
        value = wire.decode(request.get("value"), blobs)
        found, result = objects.member(owner, str(op), name, value)
        if found is None:
            return result, []
        target = found
    # The test process sends a list and a dict (anything else fails at the call below).
    args = cast("list[object]", wire.decode(request["args"], blobs))
    kwargs = cast("dict[str, object]", wire.decode(request["kwargs"], blobs))
    given: Changed = [*enumerate(args), *kwargs.items()]
    before = [_fingerprint(value) for _, value in given]
    value = target(*args, **kwargs)
    changed = [
        (key, arg)
        for (key, arg), digest in zip(given, before, strict=True)
        if digest is not None and _fingerprint(arg) != digest
    ]
    return value, changed


def _answer(
    module: types.ModuleType | None,
    failure: BaseException | None,
    request: dict[str, wire.Json],
    blobs: list[bytes],
) -> tuple[dict[str, wire.Json], wire.Encoder]:
    try:
        if request.get("op") == "hello":
            if failure is not None:
                raise failure
            value: object = None
            changed: Changed = []
        else:
            value, changed = _call(module, failure, request, blobs)
    except BaseException as exc:  # the solution's own exceptions travel back
        return _error_reply(exc)
    if value is objects.CALLABLE:
        return {"callable": True}, wire.Encoder()
    encoder = wire.Encoder(handles=_HANDLES[0] if _HANDLES else None)
    try:
        header: dict[str, wire.Json] = {"value": encoder.encode(value)}
        header["changed"] = [[key, encoder.encode(arg)] for key, arg in changed]
        return header, encoder
    except wire.CannotCrossError as exc:
        return {"cannot_cross": str(exc)}, wire.Encoder()


def _reply(
    module: types.ModuleType | None,
    failure: BaseException | None,
    request: dict[str, wire.Json],
    blobs: list[bytes],
) -> bytes:
    """The answer, with what the call printed and the warnings it raised."""
    out, err = _Bounded(), _Bounded()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        header, encoder = _answer(module, failure, request, blobs)
    header["stdout"], header["stderr"] = out.text(), err.text()
    header["warnings"] = [
        {
            "type": f"{item.category.__module__}.{item.category.__qualname__}",
            "bases": [str(k.__name__) for k in item.category.__mro__ if k.__module__ == "builtins"],
            "message": str(item.message)[:_MESSAGE_CHARS],
        }
        for item in caught[:_MAX_WARNINGS]
    ]
    try:
        return wire.pack(header, encoder)
    except wire.CannotCrossError as exc:
        return wire.pack({"cannot_cross": str(exc)}, wire.Encoder())


def _on_timeout(_signum: int, _frame: object) -> None:
    os.write(2, b"sandbox_server: a call ran past its time limit\n")
    os._exit(3)


def _import(name: str) -> tuple[types.ModuleType | None, BaseException | None]:
    sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(name), None
    except BaseException as exc:  # reported to the tests at their first import
        return None, exc


def _serve(fd_in: int, fd_out: int, name: str, timeout: float) -> None:
    signal.signal(signal.SIGALRM, _on_timeout)
    module, failure = _import(name)
    _HANDLES.append(objects.tagger(name))
    wire.resolve_handles_with(objects.resolve)
    while True:
        try:
            message = wire.receive(fd_in, None)
        except wire.PeerGoneError:
            return
        if message is None:
            return
        request, blobs = message
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            reply = _reply(module, failure, request, blobs)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        try:
            wire.send(fd_out, reply)
        except wire.PeerGoneError:
            return


def main(argv: list[str]) -> int:
    fd_in, fd_out = int(os.environ["SANDBOX_CALLS_IN"]), int(os.environ["SANDBOX_CALLS_OUT"])
    timeout = float(os.environ.get("SANDBOX_CALL_TIMEOUT", "10"))
    name = argv[0]
    coverage_of = os.environ.get("SANDBOX_COVERAGE_OF")
    if not coverage_of:
        _serve(fd_in, fd_out, name, timeout)
        return 0
    try:
        import coverage
    except ImportError:
        _serve(fd_in, fd_out, name, timeout)
        return 0
    include = [os.path.abspath(coverage_of)]
    cov = coverage.Coverage(data_file=None, include=include, config_file=False)
    cov.start()
    try:
        _serve(fd_in, fd_out, name, timeout)
    finally:
        cov.stop()
    try:
        percent = float(cov.report(file=io.StringIO(), include=include))
    except coverage.exceptions.NoDataError:
        percent = 0.0
    report = json.dumps({"coverage": percent}) + "\n"
    os.write(int(os.environ["SANDBOX_REPORT_FD"]), report.encode())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

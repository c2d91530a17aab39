"""Tamper evidence for the in-process run: what the driver watches while tests run.

Trusted, standard library only, armed by the driver before any test module (and so any
solution) is imported. Three checks, each reported as a signed ``tamper`` record:

1. An audit hook (it cannot be removed) sees attribute writes on classes and functions of
   pytest, pluggy, hmac, hashlib, json and the driver that exist when it is armed
   (``object.__setattr__`` and ``object.__delattr__`` fire for types and for a function's
   ``__code__``/``__defaults__``),
   heap walks (``gc.get_objects``, ``gc.get_referrers``, ``gc.get_referents``) and raw
   memory access through ctypes (``ctypes.cdata``, ``string_at``, ``addressof``, calls to
   ``memmove``/``memset``).
2. The identity of every class, function and method in those modules' namespaces, taken
   when the session starts (before any test module is imported) and compared after each
   test phase: plain attribute writes on modules and classes raise no audit event.
3. The implementations of pytest's running and reporting hooks, compared with a snapshot
   taken at session start.

It is evidence, not a wall: code in the same process can still read the driver's objects
without any audit event (through pytest's plugin manager or frame objects) and act before
a check runs. The process-isolated mode does not depend on it.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Mapping
from typing import Protocol

PROTECTED = ("_pytest", "pytest", "pluggy", "hmac", "hashlib", "json", "__main__", "sandbox_")
_REPORTING_HOOKS = (
    "pytest_runtestloop",
    "pytest_runtest_protocol",
    "pytest_runtest_setup",
    "pytest_runtest_call",
    "pytest_runtest_teardown",
    "pytest_runtest_makereport",
    "pytest_runtest_logreport",
    "pytest_pyfunc_call",
    "pytest_report_teststatus",
    "pytest_sessionfinish",
)
_HEAP_EVENTS = frozenset({"gc.get_objects", "gc.get_referrers", "gc.get_referents"})
_MEMORY_EVENTS = frozenset(
    {"ctypes.cdata", "ctypes.cdata/buffer", "ctypes.string_at", "ctypes.wstring_at"}
    | {"ctypes.addressof"}
)


class _HookImpl(Protocol):
    """A pluggy hook implementation: only the function it wraps is read."""

    function: object


def _protected_name(name: object) -> bool:
    return isinstance(name, str) and name.split(".")[0].startswith(PROTECTED)


def _owner_module(target: object) -> object:
    if isinstance(target, types.ModuleType):
        return target.__name__
    return getattr(target, "__module__", None)


_CODE = (type, types.FunctionType, types.BuiltinFunctionType, types.ModuleType)
_MEMBERS = (types.FunctionType, classmethod, staticmethod, property, type)


Entry = tuple[Mapping[str, object], str, object, str]
"""A live namespace (a module's or a class's ``__dict__``), a name in it, its value, a label."""


def _class_members(module_name: str, cls: type) -> list[Entry]:
    """Methods, properties and nested classes, labelled ``module.Class.name``."""
    namespace = vars(cls)
    return [
        (namespace, name, value, f"{module_name}.{cls.__qualname__}.{name}")
        for name, value in list(namespace.items())
        if isinstance(value, _MEMBERS)
    ]


def _memory_functions() -> tuple[int, ...]:
    ctypes = sys.modules.get("ctypes")
    if ctypes is None:
        return ()
    return (ctypes._memmove_addr, ctypes._memset_addr)


class Watch:
    """Collects what it saw; the driver sends each finding once, signed."""

    def __init__(self) -> None:
        self.found: list[str] = []
        self._snapshot = self._namespaces()
        self._classes = {id(entry[2]) for entry in self._snapshot if isinstance(entry[2], type)}
        self._hooks: dict[str, tuple[int, ...]] | None = None
        self._busy = False

    def arm(self) -> None:
        sys.addaudithook(self._audit)

    def _note(self, what: str) -> None:
        if what not in self.found:
            self.found.append(what[:300])

    def _audit(self, event: str, args: tuple[object, ...]) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            self._judge(event, args)
        finally:
            self._busy = False

    def _judge(self, event: str, args: tuple[object, ...]) -> None:
        if event in ("object.__setattr__", "object.__delattr__"):
            target = args[0]
            known = id(target) in self._classes or isinstance(target, types.FunctionType)
            if known and _protected_name(_owner_module(target)):
                name = getattr(target, "__qualname__", getattr(target, "__name__", "?"))
                self._note(f"{event} {args[1]!r} on {_owner_module(target)}.{name}")
        elif event in _HEAP_EVENTS:
            self._note(f"heap walk: {event}")
        elif event in _MEMORY_EVENTS:
            self._note(f"raw memory access: {event}")
        elif event == "ctypes.call_function" and args and args[0] in _memory_functions():
            self._note("raw memory write: ctypes memmove/memset")

    @staticmethod
    def _namespaces() -> list[Entry]:
        found: list[Entry] = []
        for module_name, module in list(sys.modules.items()):
            if not _protected_name(module_name) or not isinstance(module, types.ModuleType):
                continue
            namespace = vars(module)
            for name, value in list(namespace.items()):
                if isinstance(value, _CODE):
                    found.append((namespace, name, value, f"{module_name}.{name}"))
                if isinstance(value, type) and value.__module__ == module_name:
                    found += _class_members(module_name, value)
        return found

    def hooks_now(self, hook_relay: object) -> dict[str, tuple[int, ...]]:
        found: dict[str, tuple[int, ...]] = {}
        for name in _REPORTING_HOOKS:
            get: Callable[[], list[_HookImpl]] | None = getattr(
                getattr(hook_relay, name, None), "get_hookimpls", None
            )
            if get is not None:
                found[name] = tuple(id(impl.function) for impl in get())
        return found

    def session_started(self, hook_relay: object) -> None:
        """Snapshot after pytest configured itself (its plugins patch pytest) and before
        any test module is imported."""
        self._hooks = self.hooks_now(hook_relay)
        self._snapshot = self._namespaces()

    def check(self, hook_relay: object | None) -> None:
        """Compare namespaces (and hooks, once the session started) with the snapshots."""
        for namespace, name, before, label in self._snapshot:
            if namespace.get(name) is not before:
                self._note(f"{label} was replaced")
        if self._hooks is not None and hook_relay is not None:
            now = self.hooks_now(hook_relay)
            changed = [name for name, impls in self._hooks.items() if now.get(name) != impls]
            if changed:
                self._note(f"pytest hook implementations changed: {', '.join(sorted(changed))}")

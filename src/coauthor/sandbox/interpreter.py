"""Which host directories an interpreter needs, so the sandbox can mount just those."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys

_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_QUERY = (
    "import json, sys; print(json.dumps("
    "[sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]))"
)


def _prefixes(python: str) -> list[str]:
    if os.path.abspath(python) == os.path.abspath(sys.executable):
        return [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    out = subprocess.run(
        [python, "-I", "-S", "-c", _QUERY],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin"},
        check=True,
    )
    found: list[str] = json.loads(out.stdout)
    return found


def _inside(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


@functools.cache
def interpreter_roots(python: str) -> tuple[str, ...]:
    """Prefixes of ``python`` (venv and base install) outside the system dirs, outermost only."""
    real = os.path.realpath(python)
    candidates = {os.path.abspath(p) for p in _prefixes(python)}
    candidates.add(os.path.dirname(os.path.dirname(real)))
    candidates.update(os.path.realpath(p) for p in list(candidates))
    outside = [p for p in candidates if not any(_inside(p, d) for d in _SYSTEM_DIRS)]
    roots = [p for p in outside if not any(p != q and _inside(p, q) for q in outside)]
    return tuple(sorted(roots))

"""Host-side checks of generated pytest files: which files to refuse, which tests to expect.

Parsing the test file with ``ast`` on the host gives the list of expected tests from a
source the sandboxed run cannot influence; a test it does not report on is an error.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from pathlib import PurePosixPath

_FORBIDDEN_NAMES = frozenset(
    {
        "conftest.py",
        "pytest.ini",
        ".pytest.ini",
        "tox.ini",
        "setup.cfg",
        "pyproject.toml",
        "sitecustomize.py",
        "usercustomize.py",
        "sandbox_probe.py",
        "sandbox_mutants.py",
        "sandbox_launch.py",
        "sandbox_proxy.py",
        "sandbox_server.py",
        "sandbox_wire.py",
        "sandbox_watch.py",
        "sandbox_inplace.py",
        "sandbox_frames.py",
        "sandbox_objects.py",
        "sandbox_remote.py",
    }
)
_PARAM_SUFFIX = re.compile(r"\[.*\]$", re.DOTALL)


_SHADOWING_TOP_LEVEL = frozenset(
    {"pytest", "pytest.py", "_pytest", "pluggy", "pluggy.py", "coverage", "coverage.py", "py.py"}
)


def forbidden(name: str) -> bool:
    """Files that configure, hook or shadow pytest or the interpreter instead of being tested."""
    path = PurePosixPath(name)
    shadowing = path.parts[0] in _SHADOWING_TOP_LEVEL if path.parts else False
    return path.name in _FORBIDDEN_NAMES or path.name.endswith(".pth") or shadowing


def split_files(
    files: Mapping[str, str | bytes],
) -> tuple[dict[str, str | bytes], tuple[str, ...]]:
    """Accepted files, and the refused names (reported, never written)."""
    accepted = {name: data for name, data in files.items() if not forbidden(name)}
    return accepted, tuple(sorted(name for name in files if forbidden(name)))


def expected_test_ids(source: str | bytes | None, test_file: str) -> tuple[str, ...]:
    """Node ids pytest would give each test function, without parametrize suffixes."""
    if source is None:
        return ()
    try:
        tree = ast.parse(source, filename=test_file)
    except (SyntaxError, ValueError):
        return ()
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    found: list[str] = []
    for node in tree.body:
        if isinstance(node, functions) and node.name.startswith("test"):
            found.append(f"{test_file}::{node.name}")
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            found.extend(
                f"{test_file}::{node.name}::{item.name}"
                for item in node.body
                if isinstance(item, functions) and item.name.startswith("test")
            )
    return tuple(dict.fromkeys(found))


def base_id(nodeid: str) -> str:
    """``test_step.py::test_x[1-2]`` -> ``test_step.py::test_x``."""
    return _PARAM_SUFFIX.sub("", nodeid)

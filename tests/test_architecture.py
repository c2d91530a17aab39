"""The dependency direction of DESIGN.md: edges -> pipeline -> services -> schemas."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src" / "coauthor"

# What each layer may import from the project (besides itself).
ALLOWED = {
    "schemas": set(),
    "settings": set(),
    "prompts": set(),
    "llm": {"schemas", "settings", "prompts"},
    "store": {"schemas"},
    "export": {"schemas"},
    "sandbox": {"schemas"},
    "pipeline": {"schemas", "settings", "prompts", "llm", "store", "export", "sandbox"},
    "copilot": {"schemas", "settings", "prompts", "llm", "store", "export", "sandbox", "pipeline"},
    "testing": {"schemas", "llm"},
}
UI_ONLY = {"streamlit", "typer"}


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def layer(path: Path) -> str:
    return path.relative_to(SRC).parts[0].removesuffix(".py")


@pytest.mark.parametrize(
    "path", sorted(p for p in SRC.rglob("*.py") if layer(p) in ALLOWED), ids=str
)
def test_core_imports_only_downwards(path: Path) -> None:
    own = layer(path)
    for name in imports(path):
        top = name.split(".")[0]
        assert top not in UI_ONLY, f"{path.name} imports {name}: the core stays UI-free"
        if top == "coauthor" and name != "coauthor":
            target = name.split(".")[1]
            assert target == own or target in ALLOWED[own], f"{own} must not import {name}"

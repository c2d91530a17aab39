"""The dependency direction of DESIGN.md: edges -> pipeline -> services -> schemas, and the
edges (ui, cli) use only the public names of the core."""

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
    "signin": set(),
    "llm": {"schemas", "settings", "prompts"},
    "store": {"schemas"},
    "export": {"schemas"},
    "sandbox": {"schemas"},
    "mutation": {"schemas", "sandbox"},
    "figures": {"schemas", "sandbox", "store"},
    "examples": {"schemas", "export"},
    "pipeline": {
        "schemas",
        "settings",
        "prompts",
        "llm",
        "store",
        "export",
        "sandbox",
        "mutation",
        "examples",
        "figures",
    },
    "copilot": {
        "schemas",
        "settings",
        "prompts",
        "llm",
        "store",
        "export",
        "sandbox",
        "mutation",
        "pipeline",
        "examples",
        "figures",
    },
    "queue": {"schemas", "settings", "prompts", "llm", "store", "pipeline"},
    "metrics": {"schemas", "settings", "store", "pipeline"},
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


EDGES = ("ui", "cli", "__main__")  # __main__ is the CLI entry point


def imported_names(path: Path) -> list[tuple[str, str]]:
    """(module, name) of every ``from coauthor... import name`` in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("coauthor"):
            found += [(node.module, alias.name) for alias in node.names]
    return found


@pytest.mark.parametrize("path", sorted(p for p in SRC.rglob("*.py") if layer(p) in EDGES), ids=str)
def test_edges_import_only_public_names_of_the_core(path: Path) -> None:
    for module, name in imported_names(path):
        parts = module.split(".")
        assert not any(part.startswith("_") for part in parts), f"{path.name}: private {module}"
        if len(parts) > 1 and parts[1] not in EDGES:
            assert not name.startswith("_"), f"{path.name} imports private {module}.{name}"


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=str)
def test_the_core_never_imports_the_edges(path: Path) -> None:
    if layer(path) in EDGES:
        return
    for name in imports(path):
        parts = name.split(".")
        assert parts[0] not in UI_ONLY, f"{path.name} imports {name}"
        assert not (parts[0] == "coauthor" and len(parts) > 1 and parts[1] in EDGES), name

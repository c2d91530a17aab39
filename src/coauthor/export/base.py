"""The one interface every export format implements, and the registry of formats."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import jinja2

from coauthor.schemas import Task


class ExportError(Exception):
    """An export could not be written (bad destination, unknown format)."""


class Exporter(ABC):
    format: ClassVar[str]

    @abstractmethod
    def export(self, task: Task, out: Path, *, task_id: int, revision: int) -> Path:
        """Write ``task`` under ``out`` and return the path of what was written."""


_registry: dict[str, Exporter] = {}


def register(exporter: Exporter) -> None:
    _registry[exporter.format] = exporter


def formats() -> list[str]:
    _load_builtins()
    return sorted(_registry)


def exporter(name: str) -> Exporter:
    _load_builtins()
    try:
        return _registry[name]
    except KeyError:
        raise ExportError(
            f"unknown export format {name!r}; use one of: {', '.join(sorted(_registry))}"
        ) from None


def _load_builtins() -> None:
    from coauthor.export import markdown  # noqa: F401  (registers itself)


@cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("coauthor.export", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(name: str, **values: Any) -> str:
    return _templates().get_template(name).render(**values)


def slug(text: str, *, limit: int = 40) -> str:
    """A folder-safe name: lowercase ASCII words joined by dashes."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words)[:limit].strip("-") or "step"


def prepare(out: Path) -> Path:
    """Make ``out`` an empty-or-new folder; refuse to write over a file."""
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} exists and is not a folder; choose another --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create {out}: {exc.strerror}") from exc
    return out

"""The one interface every export format implements, and the registry of formats."""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Published:
    """Where a format that lives on a service put the task."""

    page_id: str
    url: str
    created: bool


class Publisher(Exporter):
    """A format that lives on a service (Notion) rather than in a folder.

    ``publish`` is what the CLI and the studio call; ``export`` keeps the common
    interface by publishing and writing a small receipt (page id and URL) under ``out``.
    """

    @abstractmethod
    def publish(self, task: Task, *, task_id: int, revision: int) -> Published:
        """Create or update the task's page and say where it is."""

    def export(self, task: Task, out: Path, *, task_id: int, revision: int) -> Path:
        published = self.publish(task, task_id=task_id, revision=revision)
        receipt = prepare(out) / f"{self.format}-task-{task_id}.json"
        payload = {"task_id": task_id, "revision": revision, **published.__dict__}
        receipt.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        return receipt


@dataclass(frozen=True)
class ExportOptions:
    """What formats that publish elsewhere need from the caller; folder formats ignore it.

    The page-id callables are injected (the CLI passes the store's ``external_page`` and
    ``remember_external_page``) so that export/ never imports the store.
    """

    notion_parent: str | None = None
    notion_url: str | None = None
    known_page: Callable[[int, str], str | None] | None = None
    remember_page: Callable[[int, str, str], None] | None = None


ExporterFactory = Callable[[ExportOptions], Exporter]

_registry: dict[str, Exporter] = {}
_factories: dict[str, ExporterFactory] = {}


def register(exporter: Exporter) -> None:
    _registry[exporter.format] = exporter


def register_factory(name: str, factory: ExporterFactory) -> None:
    """A format that needs options (a parent page, a page-id store) is built per call."""
    _factories[name] = factory


def formats() -> list[str]:
    _load_builtins()
    return sorted({*_registry, *_factories})


def exporter(name: str, options: ExportOptions | None = None) -> Exporter:
    _load_builtins()
    if name in _registry:
        return _registry[name]
    if name in _factories:
        return _factories[name](options or ExportOptions())
    raise ExportError(f"unknown export format {name!r}; use one of: {', '.join(formats())}")


def _load_builtins() -> None:
    # each module registers itself on import
    from coauthor.export import json_format, markdown, nbgrader, notion, otter  # noqa: F401


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

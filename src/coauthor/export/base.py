"""The one interface every export format implements, and the registry of formats."""

from __future__ import annotations

import importlib
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import jinja2

from coauthor.export import figures
from coauthor.schemas import Task


class ExportError(Exception):
    """An export could not be written (bad destination, unknown format)."""


class Exporter(ABC):
    format: ClassVar[ExportFormat]

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


class ExportFormat(StrEnum):
    """Every export format, named once; the CLI, the studio and the copilot list these."""

    markdown = "markdown"
    otter = "otter"
    nbgrader = "nbgrader"
    json = "json"
    notion = "notion"


PUBLISHED = frozenset({ExportFormat.notion})
"""Formats that publish to a service (their exporter is a ``Publisher``) instead of
writing files; known before the exporter is built, since building it needs the target."""


_MODULES: dict[ExportFormat, str] = {
    ExportFormat.markdown: "coauthor.export.markdown",
    ExportFormat.otter: "coauthor.export.otter",
    ExportFormat.nbgrader: "coauthor.export.nbgrader",
    ExportFormat.json: "coauthor.export.json_format",
    ExportFormat.notion: "coauthor.export.notion",
}
"""Where each format lives; a module is imported only when its format is used, so one
format whose optional dependency is missing never hides the others."""


def formats() -> list[str]:
    """The names of every export format, in a stable order."""
    return sorted(fmt.value for fmt in ExportFormat)


def exporter(name: str, options: ExportOptions | None = None) -> Exporter:
    """The exporter of format ``name``; ExportError for an unknown or unavailable one."""
    try:
        fmt = ExportFormat(name)
    except ValueError:
        known = ", ".join(formats())
        raise ExportError(f"unknown export format {name!r}; use one of: {known}") from None
    try:
        module = importlib.import_module(_MODULES[fmt])
    except ImportError as exc:
        raise ExportError(f"the {fmt.value} export is unavailable here: {exc}") from None
    factory: ExporterFactory = module.factory
    return factory(options or ExportOptions())


@cache
def _templates() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("coauthor.export", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["figure_state"] = figures.state
    return environment


def render(name: str, **values: Any) -> str:
    return _templates().get_template(name).render(**values)


def slug(text: str, *, limit: int = 40) -> str:
    """A folder-safe name: lowercase ASCII words joined by dashes."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words)[:limit].strip("-") or "step"


def prepare(out: Path) -> Path:
    """Make sure ``out`` is a folder, creating it if missing (files already in it stay);
    refuse a path that is a file."""
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} exists and is not a folder; choose another --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create {out}: {exc.strerror}") from exc
    return out

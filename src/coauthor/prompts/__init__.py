"""Prompt templates (Jinja2, StrictUndefined). No prompt text lives anywhere else."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

_PACKAGE = "coauthor.prompts"


class MasterDocumentError(Exception):
    """The master document could not be read."""


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("coauthor", "prompts"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        auto_reload=False,  # shipped files: not stat'ed again on every render
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, **values: Any) -> str:
    """Render one template; a missing value is an error, never an empty string."""
    return _environment().get_template(name).render(**values).strip()


def compile_all() -> None:
    """Compile every template now (a worker does it before its first job, so that the
    first runs do not each compile them while they share the interpreter)."""
    environment = _environment()
    for name in environment.list_templates(extensions=["j2"]):
        environment.get_template(name)


def default_master() -> str:
    return resources.files(_PACKAGE).joinpath("master.md").read_text(encoding="utf-8")


def master_document(path: Path | None) -> str:
    """The team's master document: a user's file where given, else the shipped default."""
    if path is None:
        return default_master()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MasterDocumentError(f"cannot read the master document {path}: {exc}") from exc
    if not text.strip():
        raise MasterDocumentError(f"the master document {path} is empty")
    return text

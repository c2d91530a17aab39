"""Verified example tasks that show what a finished task looks like and steer the prompts.

Each ``<slug>.json`` here is a JSON export (see ``coauthor.export.json_format``) of a
complete task whose every step passes the checking system.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from coauthor.export.json_format import loads
from coauthor.schemas import Task

SOURCE = "example"
"""The revision source of an example added to a library."""


@dataclass(frozen=True)
class Example:
    slug: str
    task: Task

    @property
    def note(self) -> str:
        """The note of revision 1 of this example once it is in a library."""
        return f"{SOURCE}: {self.slug}"


def examples() -> list[Example]:
    """The shipped examples, sorted by slug."""
    return list(_load())


@cache
def _load() -> tuple[Example, ...]:
    files = sorted(
        (entry for entry in resources.files(__name__).iterdir() if entry.name.endswith(".json")),
        key=lambda entry: entry.name,
    )
    return tuple(
        Example(
            slug=entry.name.removesuffix(".json"),
            task=loads(entry.read_text(encoding="utf-8"), source=entry.name),
        )
        for entry in files
    )

"""JSON: the whole task with its verdicts, in a versioned schema that imports back losslessly.

``coauthor export ID --format json`` writes ``task-<id>.json``; ``coauthor import FILE``
reads it into a new task. The file is one UTF-8 JSON object:

- ``schema_version`` (int): the version of this layout, ``SCHEMA_VERSION``; it changes
  when a field is renamed, removed or changes meaning, and a reader refuses newer versions
  (a field added with a default keeps the version: older files still import, and a reader
  that does not know the field refuses the file as an invalid task);
- ``exported_at`` (str): ISO 8601 time of the export, UTC;
- ``task_id``, ``revision`` (int): where it came from in the exporting library;
- ``task`` (object): ``coauthor.schemas.Task`` as ``model_dump(mode="json")`` -- the brief,
  the plan, every step's anatomy (story, theory, links, requirements, starter, solution,
  tests, flags) and its ``verdict`` (null when the step has not been verified yet), and the
  rolling summary. Unknown fields are rejected, as everywhere in the schemas.

Figures. A step's ``figures`` (``coauthor.schemas.figures.Figure``) are in the file itself:
the rendered PNG or uploaded JPEG as base64 in ``png``, the SVG as text in ``svg``, with
their source, caption, alt text and state; anchors in the story and theory stay as
written (``![caption](figure:NAME)``). Images are not written as files in a sibling
folder: the export stays one self-contained file that ``coauthor import`` reads alone, and
the images come back byte for byte (base64 is lossless; the field added with a default
kept version 1).

Version 1 is the first. Readers accept every version up to their own and refuse newer ones
with a message that says to upgrade.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from coauthor.export.base import Exporter, ExportError, ExportFormat, ExportOptions, prepare
from coauthor.schemas import Task

SCHEMA_VERSION = 1


class JsonExporter(Exporter):
    format = ExportFormat.json

    def export(self, task: Task, out: Path, *, task_id: int, revision: int) -> Path:
        path = prepare(out) / f"task-{task_id}.json"
        path.write_text(dumps(task, task_id=task_id, revision=revision), encoding="utf-8")
        return path


def dumps(task: Task, *, task_id: int, revision: int) -> str:
    document = {
        "schema_version": SCHEMA_VERSION,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "task_id": task_id,
        "revision": revision,
        "task": task.model_dump(mode="json"),
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def load(path: Path) -> Task:
    """The task in an export file; ExportError says what is wrong with a bad one."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ExportError(f"cannot read {path}: {reason}") from None
    return loads(text, source=str(path))


def loads(text: str, *, source: str = "the file") -> Task:
    try:
        document: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExportError(f"{source} is not JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(document, dict) or "schema_version" not in document:
        raise ExportError(f"{source} is not a Co-Author task export (no schema_version)")
    version = document["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ExportError(f"{source} has an invalid schema_version {version!r}")
    if version > SCHEMA_VERSION:
        raise ExportError(
            f"{source} uses schema_version {version}, newer than this Co-Author reads "
            f"({SCHEMA_VERSION}); upgrade Co-Author to import it"
        )
    try:
        return Task.model_validate(document.get("task"))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "task"
        raise ExportError(f"{source} has an invalid task at {where}: {first['msg']}") from None


def factory(options: ExportOptions) -> Exporter:
    return JsonExporter()

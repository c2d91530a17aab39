"""Markdown bundle: README.md with lessons and plan, one folder per step.

A step's figures are image files in ``images/`` beside its ``statement.md`` (every
rendering a figure has: ``step-01-NAME.png`` and ``step-01-NAME.svg``), and the statement
links the main one where its anchor stands (see :mod:`coauthor.export.figures`).
"""

from __future__ import annotations

from pathlib import Path

from coauthor.export import figures
from coauthor.export.base import Exporter, ExportFormat, ExportOptions, prepare, render, slug
from coauthor.schemas import Step, Task

IMAGES = "images"


class MarkdownExporter(Exporter):
    format = ExportFormat.markdown

    def export(self, task: Task, out: Path, *, task_id: int, revision: int) -> Path:
        folder = prepare(out)
        names = [f"step-{n:02d}-{slug(s.title)}" for n, s in enumerate(task.steps, 1)]
        readme = render(
            "README.md.j2", task=task, task_id=task_id, revision=revision, folders=names
        )
        (folder / "README.md").write_text(readme, encoding="utf-8")
        for number, (name, step) in enumerate(zip(names, task.steps, strict=True), 1):
            target = folder / name
            target.mkdir(exist_ok=True)
            shown = write_images(step, number, target / IMAGES)
            statement = render("statement.md.j2", step=shown, number=number)
            (target / "statement.md").write_text(statement, encoding="utf-8")
            (target / "starter.py").write_text(step.starter, encoding="utf-8")
            (target / "solution.py").write_text(step.solution, encoding="utf-8")
            (target / "test_step.py").write_text(step.tests, encoding="utf-8")
        return folder


def write_images(step: Step, number: int, folder: Path) -> Step:
    """Write the step's images under ``folder`` and return the step with its anchors
    pointing at them (relative to the statement). Images an earlier export of the step
    wrote there are removed first, so none of a deleted figure lingers."""
    if folder.is_dir():
        for old in folder.glob(f"step-{number:02d}-*"):
            if old.is_file() and old.suffix in (".png", ".jpg", ".svg"):
                old.unlink()
        if not any(folder.iterdir()):
            folder.rmdir()

    def source(item: figures.Picture) -> str | None:
        if item.main is None:
            return None
        folder.mkdir(exist_ok=True)
        for image in item.images:
            (folder / figures.file_name(number, item.figure.name, image)).write_bytes(image.data)
        return f"{IMAGES}/{figures.file_name(number, item.figure.name, item.main)}"

    return figures.placed_step(step, source)


def factory(options: ExportOptions) -> Exporter:
    return MarkdownExporter()

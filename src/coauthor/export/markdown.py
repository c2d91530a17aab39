"""Markdown bundle: README.md with lessons and plan, one folder per step."""

from __future__ import annotations

from pathlib import Path

from coauthor.export.base import Exporter, ExportFormat, ExportOptions, prepare, render, slug
from coauthor.schemas import Task


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
            statement = render("statement.md.j2", step=step, number=number)
            (target / "statement.md").write_text(statement, encoding="utf-8")
            (target / "starter.py").write_text(step.starter, encoding="utf-8")
            (target / "solution.py").write_text(step.solution, encoding="utf-8")
            (target / "test_step.py").write_text(step.tests, encoding="utf-8")
        return folder


def factory(options: ExportOptions) -> Exporter:
    return MarkdownExporter()

"""Students' results in the studio: a step's pass-through beside its verdict, and the upload
of a grader's file (otter's final_grades.csv, nbgrader's gradebook.db)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from coauthor.pipeline.results import import_results
from coauthor.schemas.results import StepPassThrough, TaskPassThrough
from coauthor.ui import common, resources


def share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def step_line(step: StepPassThrough) -> str:
    """One line: how the class did on this step."""
    if not step.graded:
        return "Students: no imported results grade this step."
    line = (
        f"Students: {step.passed}/{step.students} passed ({share(step.pass_through)}), "
        f"{step.attempted} attempted, mean score {share(step.mean_score)}"
    )
    if step.dropped:
        line += f"; {step.dropped} dropped out after step {step.step - 1} ({share(step.drop_out)})"
    return line + "."


def step_students(figures: TaskPassThrough, number: int) -> None:
    """The Verdict tab's line on the class (nothing when no results are imported)."""
    if not figures.students or number > len(figures.steps):
        return
    st.caption(step_line(figures.steps[number - 1]))


def upload_panel(task_id: int, figures: TaskPassThrough) -> None:
    """Import a grader's file; it replaces that grader's earlier results for the task."""
    if figures.students:
        st.markdown(
            f"{figures.students} students ({', '.join(figures.sources)}): "
            f"{figures.passed_all} passed every step ({share(figures.pass_through)})."
        )
    else:
        st.caption("No results yet: upload otter's final_grades.csv or nbgrader's gradebook.db.")
    uploaded = st.file_uploader(
        "Graded results", type=["csv", "db", "sqlite"], key=f"results_upload_{task_id}"
    )
    if uploaded is None or not st.button("Import results", key=f"results_import_{task_id}"):
        return
    with common.errors("import the results"), tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload"
        path.write_bytes(uploaded.getvalue())
        done = import_results(resources.store(), task_id, path, name=uploaded.name)
        replaced = f", replacing {done.replaced} earlier scores" if done.replaced else ""
        common.flash(
            f"Imported {done.students} students' {done.source} results{replaced}.",
            outcome="success",
        )
        st.rerun()

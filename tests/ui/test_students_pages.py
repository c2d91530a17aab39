"""Students' results in the studio: beside each step's verdict, and on the Metrics page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from coauthor.pipeline.results import import_results
from coauthor.store import Store

GRADES = """file,step_1,step_2,total_points_earned,percent_correct,grading_status
points-per-question,3.0,3.0,6.0,1.0,--
a.ipynb,3.0,3.0,6.0,1.0,Completed
b.ipynb,3.0,0.0,3.0,0.5,Completed
"""


def test_pass_through_beside_the_verdict_and_on_the_metrics_page(
    open_page: Callable[..., AppTest], store: Store, task_id: int, tmp_path: Path
) -> None:
    grades = tmp_path / "final_grades.csv"
    grades.write_text(GRADES)
    import_results(store, task_id, grades)
    app = open_page("editor", query={"task": str(task_id)})
    assert not app.exception, [e.value for e in app.exception]
    captions = [str(c.value) for c in app.caption]
    assert "Students: 2/2 passed (100%), 2 attempted, mean score 100%." in captions
    assert (
        "Students: 1/2 passed (50%), 1 attempted, mean score 50%; "
        "1 dropped out after step 1 (50%)." in captions
    )
    assert any("1 passed every step (50%)" in str(m.value) for m in app.markdown)
    app = open_page("metrics")
    assert not app.exception, [e.value for e in app.exception]
    assert "Students" in [str(h.value) for h in app.header]
    assert any("most drop out at step 2" in str(m.value) for m in app.markdown)

"""Figures in the task editor: inline where their anchors are (student preview too), with
their state; edit the DOT and re-render, regenerate with an instruction, delete."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from coauthor.figures import default_style, render_step
from coauthor.llm.testing import ScriptedModel
from coauthor.sandbox import BubblewrapSandbox, SandboxUnavailableError
from coauthor.schemas.figures import Figure, FigureKind, FigureStatus
from coauthor.store import Store

DOT = "digraph { users -> split -> measure; }"
BROKEN = Figure(
    name="broken", kind=FigureKind.chart, source="raise ValueError('no data')", caption="Broken"
)


@pytest.fixture
def with_figures(store: Store, task_id: int) -> int:
    try:
        sandbox = BubblewrapSandbox()
    except SandboxUnavailableError as exc:
        pytest.skip(f"bubblewrap unavailable here: {exc}")
    task = store.revision(task_id).task
    step = task.steps[0].model_copy(
        update={
            "theory": task.steps[0].theory + "\n\n![How the test runs](figure:flow)\n",
            "figures": [
                Figure(
                    name="flow",
                    kind=FigureKind.diagram,
                    source=DOT,
                    caption="How it runs",
                    alt="Users are split, then measured",
                ),
                BROKEN,
            ],
        }
    )
    drawn = render_step(step, default_style(), sandbox=sandbox)
    store.add_revision(
        task_id, task.model_copy(update={"steps": [drawn, *task.steps[1:]]}), source="edit"
    )
    return task_id


def htmls(app: AppTest) -> list[str]:
    return [str(e.proto.body) for e in app.get("html")]


def texts(app: AppTest, kind: str) -> list[str]:
    return [str(e.value) for e in getattr(app, kind)]


def click(app: AppTest, label: str, index: int = 0) -> AppTest:
    found = [b for b in app.button if b.label == label]
    assert found, f"no button {label!r}; have {[b.label for b in app.button]}"
    return found[index].click().run()


def editor(open_page: Callable[..., AppTest], task_id: int) -> AppTest:
    app = open_page("editor", query={"task": str(task_id)})
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_figures_are_shown_inline_with_their_alt_text_and_state(
    open_page: Callable[..., AppTest], with_figures: int
) -> None:
    app = editor(open_page, with_figures)
    images = [h for h in htmls(app) if 'data-figure="flow"' in h]
    # the theory preview, the figures tab and the student preview
    assert len(images) >= 3
    assert all("data:image/png;base64," in h for h in images)
    assert all('alt="Users are split, then measured"' in h for h in images)
    assert any("Figure broken failed: ValueError: no data" in t for t in texts(app, "error"))
    assert any("not drawn yet" in h for h in htmls(app) if "broken" in h)


def test_edit_the_dot_and_re_render_saves_a_revision(
    open_page: Callable[..., AppTest], store: Store, with_figures: int
) -> None:
    app = editor(open_page, with_figures)
    key = f"{with_figures}_2_1_0"
    app.text_area(key=f"fig_src_{key}").input("digraph { a -> b -> c -> d; }")
    app = click(app, "Re-render")
    assert "Saved as revision 3." in texts(app, "success"), texts(app, "error")
    figure = store.revision(with_figures).task.steps[0].figures[0]
    assert figure.source.startswith("digraph { a -> b") and figure.status == FigureStatus.rendered


def test_a_failing_re_render_is_shown_as_a_failure(
    open_page: Callable[..., AppTest], store: Store, with_figures: int
) -> None:
    app = editor(open_page, with_figures)
    app = click(app, "Re-render", index=1)
    assert not texts(app, "success")
    assert any("Saved as revision 3, but figure broken" in t for t in texts(app, "error"))


def test_regenerate_a_figure_with_an_instruction(
    open_page: Callable[..., AppTest], store: Store, with_figures: int, model: ScriptedModel
) -> None:
    model.add("```dot\ndigraph { visitors -> control; visitors -> treatment; }\n```")
    app = editor(open_page, with_figures)
    app.text_input(key=f"fig_instr_{with_figures}_2_1_0").input("show both groups")
    app = click(app, "Regenerate figure")
    assert "show both groups" in model.requests[0][-1]["content"]
    head = store.revision(with_figures)
    assert "treatment" in head.task.steps[0].figures[0].source
    assert head.note == "step 1: regenerated figure flow (show both groups)"


def test_delete_a_figure_removes_its_anchor(
    open_page: Callable[..., AppTest], store: Store, with_figures: int
) -> None:
    app = click(editor(open_page, with_figures), "Delete figure")
    step = store.revision(with_figures).task.steps[0]
    assert [f.name for f in step.figures] == ["broken"]
    assert "figure:flow" not in step.theory
    assert "Saved as revision 3." in texts(app, "success")

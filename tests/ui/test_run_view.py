"""The Run view: live progress polled from the store while a run is written elsewhere."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest
from studio_support import GatedModel, ThreadRuns

from coauthor.pipeline import watch
from coauthor.pipeline.brief import make_brief
from coauthor.pipeline.runner import start_run
from coauthor.schemas.runs import RunProgress
from coauthor.settings import Settings
from coauthor.store import Store
from coauthor.testing import lessons_reply, plan_reply, run_replies


def texts(app: AppTest, kind: str) -> list[str]:
    return [str(e.value) for e in getattr(app, kind)]


def labels(app: AppTest) -> list[str]:
    return [str(b.label) for b in app.button]


def start(
    store: Store, runs: ThreadRuns, *, hold_at: int | None = None, weak_step: int | None = None
) -> int:
    """A 2-step run with the author's lessons and plan, started in a thread; the tests of
    ``weak_step`` check nothing (they pass on the starter too)."""
    brief = make_brief("Students ask how to pick a sample size", steps=2)
    brief = brief.model_copy(update={"lessons": lessons_reply().lessons})
    run = start_run(store, brief, model="scripted", plan=plan_reply(2))
    replies = run_replies(2, lessons=False)[1:]
    if weak_step is not None:
        weak = "```python\ndef test_nothing():\n    assert True\n```"
        # draft, solution, test cases, further tests, summary per step
        replies[(weak_step - 1) * 5 + 3] = weak
    runs.model = GatedModel(replies, hold_at=hold_at or 10_000)
    runs.launch(Settings(), run.id)
    return run.id


def test_navigating_away_mid_run_and_back_finds_it_going_then_finished(
    open_page: Callable[..., AppTest], store: Store, runs: ThreadRuns
) -> None:
    run_id = start(store, runs, hold_at=2)  # stops while writing step 1's solution
    model = runs.model
    assert isinstance(model, GatedModel)
    assert model.holding.wait(30)
    app = open_page("run", query={"run": str(run_id)})
    assert not app.exception
    assert any("Running: writing step 1 of 2" in t for t in texts(app, "info")), texts(app, "info")
    assert "```" in "".join(str(c.value) for c in app.code)  # the model's text as it streams
    assert "Cancel run" in labels(app)

    app.query_params.clear()  # the sidebar drops the URL's query; the session remembers
    app.switch_page("views/library.py").run()
    app.switch_page("views/run_view.py").run()
    assert any("Running" in t for t in texts(app, "info"))
    assert app.query_params["run"] == str(run_id)

    model.gate.set()
    runs.join()
    app.run()
    finished = f"Finished: task {store.run(run_id).task_id} is in the library; its steps were not"
    assert any(finished in t for t in texts(app, "info")), texts(app, "info")
    assert not texts(app, "success")  # nothing was verified: no green
    app = next(b for b in app.button if b.label == "Open task").click().run()
    assert not app.exception
    task_id = store.run(run_id).task_id
    assert app.query_params["task"] == str(task_id) and app.session_state["task_id"] == task_id
    app.switch_page("views/task_editor.py").run()  # AppTest does not follow st.switch_page
    assert any(f"Task {task_id} · revision 1 of 1" in str(c.value) for c in app.caption)


def test_verdicts_appear_per_step(
    open_page: Callable[..., AppTest], store: Store, runs: ThreadRuns
) -> None:
    runs.verify = True  # the real sandbox checks the scripted steps
    run_id = start(store, runs)
    runs.join(timeout=120)
    app = open_page("run", query={"run": str(run_id)})
    verdicts = [t for t in texts(app, "success") if t.startswith("Step")]
    assert len(verdicts) == 2 and all("verified — 4 tests" in t for t in verdicts), verdicts
    assert any("Finished: all 2 steps verified" in t for t in texts(app, "success"))
    assert not any(label == "Cancel run" for label in labels(app))


def test_a_run_with_an_unverified_step_finishes_amber_not_green(
    open_page: Callable[..., AppTest], store: Store, runs: ThreadRuns
) -> None:
    runs.verify = True
    run_id = start(store, runs, weak_step=2)
    runs.join(timeout=120)
    app = open_page("run", query={"run": str(run_id)})
    warnings = texts(app, "warning")
    assert any("Finished with problems: 1 of 2 steps not verified (step 2)" in t for t in warnings)
    assert not any(t.startswith("Finished") for t in texts(app, "success")), texts(app, "success")


def test_cancel_then_resume(
    open_page: Callable[..., AppTest], store: Store, runs: ThreadRuns
) -> None:
    run_id = start(store, runs, hold_at=2)
    model = runs.model
    assert isinstance(model, GatedModel) and model.holding.wait(30)
    app = open_page("run", query={"run": str(run_id)})
    app = next(b for b in app.button if b.label == "Cancel run").click().run()
    assert store.cancel_requested(run_id)
    model.gate.set()
    runs.join()
    app.run()
    assert store.run(run_id).status == "cancelled"
    assert any("Run cancelled" in t for t in texts(app, "error")), texts(app, "error")

    done = set(store.checkpoints(run_id))
    model.replies.clear()  # the cancelled run never asked for the rest
    runs.model = GatedModel(run_replies(2, lessons=False)[1:][_replies_done(done) :], hold_at=99)
    app = next(b for b in app.button if b.label == "Resume run").click().run()
    runs.join()
    app.run()
    assert store.run(run_id).status == "done"
    assert any("Finished" in t for t in texts(app, "info"))


def _replies_done(done: set[str]) -> int:
    """Replies the run used before it stopped: a step is 4 replies, a summary 1."""
    used = 0
    for stage, count in (("step:1", 4), ("summary:1", 1), ("step:2", 4), ("summary:2", 1)):
        if stage in done:
            used += count
    return used


def test_a_run_whose_worker_died_offers_resume(
    open_page: Callable[..., AppTest], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(watch, "EXIT_GRACE_S", 0.0)
    run = store.create_run(make_brief("an idea", steps=1), model="scripted")
    gone = subprocess.Popen(["true"])
    gone.wait()
    store.set_progress(run.id, RunProgress(stage="step", step=1, total=1), worker_pid=gone.pid)
    app = open_page("run", query={"run": str(run.id)})
    assert any("stopped without finishing" in t for t in texts(app, "warning"))
    assert "Resume run" in labels(app)


def test_without_a_run_the_page_lists_recent_runs(
    open_page: Callable[..., AppTest], store: Store
) -> None:
    app = open_page("run")
    assert any("No runs yet" in t for t in texts(app, "info"))
    run = store.create_run(make_brief("an idea", steps=1), model="scripted")
    store.set_run_status(run.id, "failed", error="plan: the model is unreachable")
    app = open_page("run")
    app = next(b for b in app.button if b.label == "Show").click().run()
    assert any("plan: the model is unreachable" in t for t in texts(app, "error"))
    assert "Resume run" in labels(app)


def test_an_unknown_run_is_a_message_and_the_list(
    open_page: Callable[..., AppTest], store: Store
) -> None:
    store.create_run(make_brief("an idea", steps=1), model="scripted")
    app = open_page("run", query={"run": "99"})
    assert not app.exception
    assert "no run 99" in texts(app, "error")
    assert "Show" in labels(app)


def test_a_long_title_is_cut_at_a_word_and_other_runs_leave_this_one_out(
    open_page: Callable[..., AppTest], store: Store
) -> None:
    idea = "Students ask how to pick a sample size for an experiment " * 3
    first = start_run(store, make_brief(idea, steps=2), model="scripted")
    other = start_run(store, make_brief("Retention curves", steps=2), model="scripted")
    store.set_run_status(first.id, "failed")
    store.set_run_status(other.id, "failed")
    app = open_page("run", query={"run": str(first.id)})
    title = next(str(h.value) for h in app.subheader if str(h.value).startswith("Run "))
    assert title.endswith("…") and title.removesuffix("…").split()[-1] in idea.split()
    shown = " ".join(texts(app, "markdown"))
    assert f"**Run {other.id}**" in shown and f"**Run {first.id}**" not in shown

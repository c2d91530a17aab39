"""The Logbook and Metrics pages: figures, charts and the bug list from the store."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from coauthor.schemas import Plan, Step, StepOutline, Task, TaskBrief, Verdict
from coauthor.schemas.calls import CallRecord, Message, Usage
from coauthor.store import Store


@pytest.fixture
def logged(store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    """One verified one-step task and two logged calls (1000/500 and 200/100 tokens)."""
    monkeypatch.setenv("COAUTHOR_PRICES", '{"gpt-4o-mini": {"input": 1.0, "output": 2.0}}')
    step = Step(
        title="S1",
        story="One story.",
        theory="Some theory.",
        verdict=Verdict(verified=True, tests=3),
    )
    plan = Plan(title="Cart", steps=[StepOutline(title="S1", goal="G")])
    store.create_task(Task(brief=TaskBrief(idea="Build a cart", steps=1), plan=plan, steps=[step]))
    for stage, tokens in (("draft:1", (1000, 500)), ("tests:1", (200, 100))):
        record = CallRecord(
            model="gpt-4o-mini",
            messages=[Message(role="user", content="hi")],
            reply="ok",
            usage=Usage(prompt_tokens=tokens[0], completion_tokens=tokens[1]),
            latency_s=1.5,
        )
        store.log_call(record, stage=stage, task_id=1)
    return store


def metric(app: AppTest, label: str) -> str:
    [found] = [m for m in app.metric if m.label == label]
    return str(found.value)


def charts(app: AppTest) -> int:
    return len(app.get("vega_lite_chart"))


def test_logbook_page(open_page: Callable[..., AppTest], logged: Store) -> None:
    app = open_page("logbook")
    assert not app.exception
    assert metric(app, "Model calls") == "2"
    assert metric(app, "Tokens in / out") == "1200 / 600"
    # 1000 x 1 + 500 x 2 + 200 x 1 + 100 x 2 = 2400 per million tokens
    assert metric(app, "Cost") == "0.0024"
    assert charts(app) == 4  # tokens and model time, per stage and per day
    app.text_input(key="logbook_stage").input("tests").run()
    assert metric(app, "Model calls") == "1" and metric(app, "Tokens in / out") == "200 / 100"


def test_metrics_page_and_bugs(open_page: Callable[..., AppTest], logged: Store) -> None:
    app = open_page("metrics")
    assert not app.exception
    assert metric(app, "Steps verified") == "1/1" and metric(app, "Tests per step") == "3.0"
    # tokens per week, model time per stage, text kept per author, tasks per domain (no
    # mutation scores, no bugs yet); no cross-reference, so no graph
    assert charts(app) == 4 and not app.get("graphviz_chart")
    app.text_area(key="metrics_bug_text").input("The test is wrong")
    [submit] = [b for b in app.button if b.label == "File bug"]
    app = submit.click().run()
    assert not app.exception
    assert [(b.task_id, b.text) for b in logged.bugs()] == [(1, "The test is wrong")]
    app = app.button(key="metrics_bug_1").click().run()
    assert [b.status.value for b in logged.bugs()] == ["closed"]
    assert any("Open: 0, closed: 1" in str(m.value) for m in app.markdown)
    assert charts(app) == 5  # and bugs per task
    # a second task names the first ("Cart") and defines a term its requirement uses
    step = Step(title="S1", story="Start from the Cart task.", theory="A **basket** holds items.")
    step.requirements = ["Count the items in the basket"]
    plan = Plan(title="Basket", steps=[StepOutline(title="S1", goal="G")])
    logged.create_task(Task(brief=TaskBrief(idea="Count items", steps=1), plan=plan, steps=[step]))
    app = app.run()
    assert not app.exception
    [graph] = app.get("graphviz_chart")
    assert "t2 -> t1;" in graph.proto.spec and 'label="1 Cart"' in graph.proto.spec
    said = "terms the theory defines (**bold** or *italic*): 1; used in the requirements: 1 (100%)"
    assert any(said in str(m.value) for m in app.markdown)
    tables = [d.value for d in app.dataframe]
    [spread] = [t for t in tables if "entropy (bits)" in t.columns]
    difficulties = spread[spread["over"] == "difficulties"].to_dict("records")
    assert difficulties == [{"over": "difficulties", "tasks": "junior: 2", "entropy (bits)": 0.0}]
    [terms] = [t for t in tables if "defined in theory" in t.columns]
    assert terms.to_dict("records") == [
        {
            "step": "task 2 step 1",
            "defined in theory": "basket",
            "used in requirements": "basket",
            "not used": "-",
        }
    ]

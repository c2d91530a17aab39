"""In a real browser (Debian's Chromium): the Logbook and Metrics pages draw their charts
(Vega-Lite marks with a size) and the cross-reference graph (an SVG with a node per task),
on one studio server. Screenshots are kept under the test's tmp path (``screens/``)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from test_browser import CHROMIUM, Studio, page, shot, studio

from coauthor.schemas import Link, Plan, Step, StepOutline, Task, TaskBrief, Verdict
from coauthor.schemas.calls import CallRecord, Message, Usage
from coauthor.store import Store

__all__ = ["page", "studio"]  # the fixtures of the studio test, shared

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(300),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin"),
]

CHART = '[data-testid="stVegaLiteChart"]'
GRAPH = '[data-testid="stGraphVizChart"]'


def one_step(title: str, story: str, links: list[Link]) -> Task:
    step = Step(
        title="S1",
        story=story,
        theory="A **total** adds prices up.",
        requirements=["Return the total"],
        links=links,
        verdict=Verdict(verified=True, tests=2),
    )
    plan = Plan(title=title, steps=[StepOutline(title="S1", goal="G")])
    return Task(brief=TaskBrief(idea=story, steps=1), plan=plan, steps=[step])


def fill(db: str) -> None:
    """Two tasks, the second linking to the first, and two model calls on two stages."""
    with Store(db) as store:
        store.create_task(one_step("Cart totals", "Sum a cart.", []))
        link = Link(title="Before this", url="http://127.0.0.1/editor?task=1")
        store.create_task(one_step("Loyalty points", "Reward buyers.", [link]))
        for stage, tokens in (("draft:1", (1000, 500)), ("tests:1", (200, 100))):
            record = CallRecord(
                model="gpt-4o-mini",
                messages=[Message(role="user", content="hi")],
                reply="ok",
                usage=Usage(prompt_tokens=tokens[0], completion_tokens=tokens[1]),
                latency_s=1.5,
            )
            store.log_call(record, stage=stage, task_id=1)


def drawn(page: Page, selector: str) -> int:
    """How many of the charts under ``selector`` the browser drew: a canvas or an SVG of
    marks with a width and a height."""
    found: int = page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)].filter((chart) => {
            const marks = chart.querySelector('canvas, svg');
            if (!marks) return false;
            const box = marks.getBoundingClientRect();
            return box.width > 0 && box.height > 0;
        }).length""",
        selector,
    )
    return found


def test_logbook_and_metrics_pages_draw_their_charts(page: Page, studio: Studio) -> None:
    fill(studio.db)
    page.goto(f"{studio.url}/log")
    expect(page.get_by_role("heading", name="Logbook")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Model time per day (s)")).to_be_visible()
    charts = page.locator(CHART)
    expect(charts).to_have_count(4)  # tokens and model time, per stage and per day
    page.wait_for_function(
        "(s) => [...document.querySelectorAll(s)].every((c) => c.querySelector('canvas, svg'))",
        arg=CHART,
    )
    assert drawn(page, CHART) == 4
    shot(page, studio, "logbook")
    page.goto(f"{studio.url}/metrics")
    expect(page.get_by_role("heading", name="Metrics")).to_be_visible(timeout=60_000)
    graph = page.locator(f"{GRAPH} svg").first
    expect(graph).to_be_visible()
    # the graph's nodes: one per task, labelled with its id and title, and one arrow
    expect(graph.locator("g.node")).to_have_count(2)
    expect(graph.locator("g.edge")).to_have_count(1)
    expect(graph.get_by_text("2 Loyalty points")).to_be_visible()
    # tokens per week, model time per stage, text kept per author, tasks per domain
    expect(page.locator(CHART)).to_have_count(4)
    page.wait_for_function(
        "(s) => [...document.querySelectorAll(s)].every((c) => c.querySelector('canvas, svg'))",
        arg=CHART,
    )
    assert drawn(page, CHART) == 4
    shot(page, studio, "metrics")

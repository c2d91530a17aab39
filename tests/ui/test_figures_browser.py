"""In a real browser (Debian's Chromium): a step with figures shows them in the task
editor and in the student preview, loaded, with their alt text. Screenshots are kept
under the test's tmp path (``screens/``)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from test_browser import CHROMIUM, Studio, page, shot, studio

from coauthor.pipeline.samples import add_examples
from coauthor.store import Store

__all__ = ["page", "studio"]  # the fixtures of the studio test, shared

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(600),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin"),
]


def loaded(page: Page, selector: str) -> int:
    """How many visible images under ``selector`` the browser has decoded (natural width
    > 0: the data really is an image)."""
    found: int = page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
            .filter((img) => img.offsetParent !== null && img.complete && img.naturalWidth > 0)
            .length""",
        selector,
    )
    return found


def test_a_step_with_figures_shows_them_loaded(page: Page, studio: Studio) -> None:
    with Store(studio.db) as store:
        added = {a.slug: a.task_id for a in add_examples(store)}
    task_id = added["cohort-retention-curve"]
    page.goto(f"{studio.url}/editor?task={task_id}")
    expect(page.get_by_role("heading", name="Task editor")).to_be_visible(timeout=60_000)
    chart = 'figure[data-figure="retention-curve"] img'
    expect(page.get_by_label("Story of step 1", exact=True)).to_be_visible(timeout=60_000)
    page.wait_for_timeout(1500)  # the first run settles before a tab change reruns it
    page.get_by_role("tab", name="Figures").first.click(timeout=60_000)
    image = page.locator(chart).first
    expect(image).to_be_visible(timeout=30_000)
    expect(image).to_have_attribute("alt", re.compile("A line falling from 100%"))
    assert loaded(page, chart) >= 1
    expect(page.get_by_text(re.compile(r"retention-curve · chart · rendered"))).to_be_visible()
    shot(page, studio, "figures-tab")
    page.get_by_role("tab", name="Student preview").first.click(timeout=60_000)
    expect(page.get_by_text("What the student sees").first).to_be_visible()
    expect(page.locator(f"{chart} >> visible=true").first).to_be_visible()
    assert loaded(page, chart) >= 1  # in the student preview, where its anchor (none) falls
    shot(page, studio, "student-preview")

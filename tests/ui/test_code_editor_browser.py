"""In a real browser (Debian's Chromium): a code part is edited in the studio's code
editor (CodeMirror, line numbers, Python highlighting) and saved as a new revision; the
page asks nothing of any host but the studio's own 127.0.0.1."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Route, expect
from test_browser import CHROMIUM, Studio, page, shot, studio

from coauthor.pipeline.samples import add_examples
from coauthor.store import Store

__all__ = ["page", "studio"]  # the fixtures of the studio test, shared

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(600),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin"),
]

LOCAL = ("data:", "blob:", "about:")
ADDED = "# checked by hand in the browser"


def test_code_is_edited_in_the_code_editor_and_saved_as_a_revision(
    page: Page, studio: Studio
) -> None:
    asked: list[str] = []

    def only_local(route: Route) -> None:
        url = route.request.url
        asked.append(url)
        if url.startswith((studio.url, *LOCAL)):
            route.continue_()
        else:
            route.abort()

    page.context.route("**/*", only_local)
    page.on("websocket", lambda socket: asked.append(socket.url))
    with Store(studio.db) as store:
        task_id = add_examples(store)[0].task_id
        before = store.revision(task_id).task.steps[0]
    page.goto(f"{studio.url}/editor?task={task_id}")
    expect(page.get_by_role("heading", name="Task editor")).to_be_visible(timeout=60_000)
    expect(page.get_by_label("Story of step 1", exact=True)).to_be_visible(timeout=60_000)
    page.wait_for_timeout(1500)  # the first run settles before a tab change reruns it
    page.get_by_role("tab", name="Solution").first.click(timeout=60_000)
    frame = page.frame_locator('iframe[title*="coauthor_code_editor"] >> visible=true').first
    content = frame.get_by_role("textbox", name="Solution of step 1")
    expect(content).to_be_visible(timeout=60_000)
    lines = len(before.solution.splitlines())
    numbers = frame.locator(".cm-lineNumbers .cm-gutterElement", has_text=str(lines))
    expect(numbers.first).to_be_visible()  # a line number for the last line
    keyword = frame.locator(".cm-line span", has_text="def").first
    expect(keyword).to_be_visible()  # Python is highlighted: `def` is a token of its own
    assert keyword.evaluate("(el) => getComputedStyle(el).color") != content.evaluate(
        "(el) => getComputedStyle(el).color"
    )
    content.click()
    content.press("Control+End")
    content.press("Enter")
    content.type(ADDED)
    page.get_by_label("Note for this revision").fill("solution edited in the code editor")
    expect(page.get_by_text("You have unsaved edits.")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Save").first.click()
    expect(page.get_by_text("Saved as revision 2.")).to_be_visible(timeout=60_000)
    shot(page, studio, "code-editor-saved")
    with Store(studio.db) as store:
        saved = store.revision(task_id)
    assert saved.number == 2 and saved.note == "solution edited in the code editor"
    step = saved.task.steps[0]
    assert step.solution.rstrip().endswith(ADDED)
    assert step.solution.replace(ADDED, "").rstrip() == before.solution.rstrip()
    assert step.verdict is None and step.tests == before.tests
    host = studio.url.replace("http://", "ws://")
    outside = sorted({u for u in asked if not u.startswith((studio.url, host, *LOCAL))})
    assert asked and not outside, outside

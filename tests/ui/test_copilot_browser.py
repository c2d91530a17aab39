"""The Copilot page in a real browser: Debian's Chromium (Playwright) against
`streamlit run` on the embedded model, editing a step through the chat.

The studio and browser fixtures are the ones of ``test_browser``; screenshots are
kept under the test's tmp path (``screens/``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from test_browser import CHROMIUM, MODEL_S, Studio, button, page, shot, studio
from test_copilot_page import EDIT, sample_task

from coauthor.store import Store

__all__ = ["page", "studio"]  # fixtures, shared with test_browser

pytestmark = [
    pytest.mark.real_model,
    pytest.mark.slow,
    pytest.mark.timeout(900),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin"),
]


def command_line(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def status(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "status").read_text()
    except OSError:
        return ""


def running(pid: int) -> bool:
    """Alive and not a zombie."""
    found = status(pid)
    return bool(found) and "\nState:\tZ" not in found


def parent(pid: int) -> int:
    found = re.search(r"\nPPid:\t(\d+)", status(pid))
    return int(found.group(1)) if found else 0


def studio_processes(studio: Studio) -> list[int]:
    """The studio's `streamlit run` and the model servers it started."""
    port = studio.url.rsplit(":", 1)[1]
    pids = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]
    servers = [pid for pid in pids if "streamlit run" in command_line(pid)]
    servers = [pid for pid in servers if f"--server.port {port}" in command_line(pid)]
    models = [pid for pid in pids if "llama_cpp.server" in command_line(pid)]
    return servers + [pid for pid in models if parent(pid) in servers]


@pytest.fixture
def leftovers() -> Iterator[list[int]]:
    """Processes the test saw; after the studio is stopped none of them may still run.
    Requested before ``studio``, so this check runs after the studio's teardown."""
    seen: list[int] = []
    yield seen
    deadline = time.monotonic() + 20
    while any(running(pid) for pid in seen) and time.monotonic() < deadline:
        time.sleep(0.2)
    alive = [f"{pid}: {command_line(pid)}" for pid in seen if running(pid)]
    assert not alive, f"processes outlived the test: {alive}"


def test_an_author_edits_a_step_through_the_chat(
    leftovers: list[int], studio: Studio, page: Page
) -> None:
    with Store(studio.db) as store:
        task_id = store.create_task(sample_task(2)).id

    # a deep link as the very first request of a fresh server: still the whole studio
    page.goto(f"{studio.url}/copilot?task={task_id}")
    expect(page.get_by_role("heading", name="Copilot")).to_be_visible()
    expect(page.locator('[data-testid="stSidebarNav"] a', has_text="Task editor")).to_be_visible()
    expect(page.get_by_role("combobox", name="Task")).to_have_value(
        f"{task_id}: Sample size for an A/B test"
    )
    shot(page, studio, "01-copilot")

    chat = page.get_by_test_id("stChatInputTextArea")
    chat.fill(EDIT)
    chat.press("Enter")
    expect(page.get_by_test_id("stChatMessage").first).to_contain_text(EDIT)
    shot(page, studio, "02-working")
    leftovers.extend(studio_processes(studio))
    reply = page.get_by_text(re.compile(r"Step 1: the story is rewritten|I could not do that"))
    expect(reply).to_be_visible(timeout=MODEL_S)
    leftovers.extend(studio_processes(studio))
    shot(page, studio, "03-reply")
    expect(page.get_by_text("Step 1: the story is rewritten (revision 2)")).to_be_visible()
    expect(page.get_by_text("Saved as revision 2")).to_be_visible()
    with Store(studio.db) as store:
        head = store.revision(task_id)
        assert head.number == 2 and head.source == "copilot" and head.note == EDIT
        assert [m.role for m in store.chat(task_id)] == ["user", "assistant"]

    button(page, "Open revision 2")
    expect(page.get_by_role("heading", name="Task editor")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"\?task={task_id}$"))
    expect(page.get_by_text(re.compile(r"revision 2 of 2"))).to_be_visible()
    story = page.get_by_label("Story of step 1", exact=True)
    expect(story).to_have_value(head.task.steps[0].story)
    page.get_by_text("History", exact=True).click()
    newest = page.get_by_role("combobox", name="Compare revision")
    expect(newest).to_have_value(re.compile(rf"^r2 · copilot · .* — {EDIT}$"))
    diff = page.get_by_test_id("stCode").filter(has_text="+++ revision 2")
    shot(page, studio, "04-editor-revision-2")
    expect(diff).to_contain_text("-Story of step 1: the shop runs an experiment")
    expect(diff).to_contain_text(f"+{head.task.steps[0].story.splitlines()[0]}")
    assert not page.get_by_text("Traceback").count()
    servers = [pid for pid in leftovers if "llama_cpp.server" in command_line(pid)]
    assert servers, "the edit should have started the embedded model server"

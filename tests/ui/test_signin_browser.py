"""Sign-in end to end: ``coauthor studio`` with the test OpenID Connect provider
(oidc_provider.py) on 127.0.0.1, Debian's Chromium, two people saving revisions of a
seeded task, a stranger, an expired session and sign-out. No model runs.

Screenshots are kept under the test's tmp path (``screens/``).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from oidc_provider import Person, Provider
from playwright.sync_api import Browser, Page, expect, sync_playwright
from test_browser import ARGS, CHROMIUM, free_port, wait_healthy

from coauthor.llm.testing import ScriptedModel
from coauthor.pipeline.brief import make_brief
from coauthor.pipeline.runner import Runner, start_run
from coauthor.schemas.team import Role
from coauthor.store import Store
from coauthor.testing import run_replies

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(600),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin"),
]

ALICE = Person(sub="a-1", email="alice@example.org", name="Alice Admin")
BOB = Person(sub="b-2", email="bob@example.org", name="Bob Author")
EVE = Person(sub="e-3", email="eve@example.org", name="Eve Stranger")
CAROL = Person(sub="c-4", email="carol@example.org", name="Carol Late")


@dataclass
class Studio:
    url: str
    db: str
    screens: Path
    provider: Provider


@pytest.fixture
def provider() -> Iterator[Provider]:
    started = Provider("coauthor-studio", "test-client-secret", [ALICE, BOB, EVE, CAROL])
    started.lifetime_of[CAROL["sub"]] = -30  # her ID token has run out when it is issued
    started.start()
    yield started
    started.stop()


@pytest.fixture
def studio(tmp_path: Path, provider: Provider) -> Iterator[Studio]:
    db = f"sqlite:///{tmp_path / 'studio.db'}"
    with Store(db) as store:
        runner = Runner(store, ScriptedModel(run_replies(2)), master="Be clear.")
        brief = make_brief("Students ask how to pick a sample size", steps=2)
        runner.execute(start_run(store, brief, model="scripted").id)
        admin = store.acting_as(ALICE["email"])
        admin.add_user(BOB["email"], Role.author)
        admin.add_user(CAROL["email"], Role.author)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("COAUTHOR_")}
    env.update(
        COAUTHOR_DATABASE_URL=db,
        COAUTHOR_MODEL="scripted",
        COAUTHOR_STUDIO_WORKERS="0",  # no run is queued: no worker (nor queue server) needed
        XDG_DATA_HOME=str(tmp_path / "data"),
        COAUTHOR_OIDC_SERVER_METADATA_URL=provider.metadata_url,
        COAUTHOR_OIDC_CLIENT_ID=provider.client_id,
        COAUTHOR_OIDC_CLIENT_SECRET=provider.client_secret,
        COAUTHOR_OIDC_REDIRECT_URI=f"{url}/oauth2callback",
    )
    command = [
        sys.executable, "-c", "from coauthor.cli import main; main()",
        "studio", "--address", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    log_path = tmp_path / "studio.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        wait_healthy(url, process)
        (tmp_path / "screens").mkdir()
        yield Studio(url, db, tmp_path / "screens", provider)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
    written = log_path.read_text(errors="replace")
    assert provider.client_secret not in written
    assert not list(Path(tmp_path).glob("coauthor-studio-*"))


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        expect.set_options(timeout=60_000)  # the studio's first run imports a lot
        try:
            yield launched
        finally:
            expect.set_options(timeout=5_000)
            launched.close()


@contextlib.contextmanager
def person(browser: Browser) -> Iterator[Page]:
    """A browser profile of its own (own cookies), like a second person's machine."""
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield page
    finally:
        context.close()


def sign_in(page: Page, studio: Studio, who: Person, *, path: str = "") -> None:
    page.goto(f"{studio.url}/{path}")
    expect(page.get_by_text("Sign in to continue")).to_be_visible()
    page.get_by_role("button", name=re.compile("^Sign in")).click()
    expect(page.get_by_role("heading", name="Test provider")).to_be_visible()
    page.get_by_role("button", name=f"Continue as {who['name']}").click()


def open_history(page: Page) -> None:
    """Open the editor's History expander and wait for its table (with its `by` column);
    a click that lands while the page still reruns after a save is tried again."""
    table = page.get_by_test_id("stDataFrame")
    for _ in range(5):
        page.get_by_text("History", exact=True).click()
        try:
            expect(table).to_be_visible(timeout=10_000)
            return
        except AssertionError:
            continue
    expect(table).to_be_visible()


def edit_story(page: Page, studio: Studio, text: str, revision: int) -> None:
    page.goto(f"{studio.url}/editor?task=1")
    expect(page.get_by_role("heading", name="Task editor")).to_be_visible()
    story = page.get_by_label("Story of step 1", exact=True)
    story.fill(text)
    story.press("Control+Enter")
    expect(page.get_by_text("You have unsaved edits.")).to_be_visible()
    page.get_by_role("button", name=re.compile("Save$")).first.click()
    expect(page.get_by_text(f"Saved as revision {revision}.")).to_be_visible()


def test_two_people_sign_in_and_each_revision_shows_who_saved_it(
    browser: Browser, studio: Studio
) -> None:
    with person(browser) as page:
        page.goto(f"{studio.url}/editor?task=1")
        expect(page.get_by_text("Sign in to continue")).to_be_visible()
        expect(page.get_by_role("heading", name="Task editor")).to_have_count(0)
        expect(page.get_by_role("dialog")).to_have_count(0)  # no "page not found"
        page.screenshot(path=studio.screens / "01-signed-out.png")

    with person(browser) as alice:
        sign_in(alice, studio, ALICE)
        expect(alice.get_by_text("Signed in as alice@example.org (admin)")).to_be_visible()
        edit_story(alice, studio, "Alice rewrote the story of step one.", 2)
        alice.screenshot(path=studio.screens / "02-alice.png", full_page=True)

        with person(browser) as bob:
            sign_in(bob, studio, BOB)
            expect(bob.get_by_text("Signed in as bob@example.org (author)")).to_be_visible()
            edit_story(bob, studio, "Bob rewrote it again.", 3)
            open_history(bob)
            newer = bob.get_by_role("combobox", name="Compare revision")
            expect(newer).to_have_value(re.compile(r"^r3 · edit · by bob@example\.org · "))
            older = bob.get_by_role("combobox", name="with revision")
            expect(older).to_have_value(re.compile(r"^r2 · edit · by alice@example\.org · "))
            bob.screenshot(path=studio.screens / "03-bob-history.png", full_page=True)

        alice.get_by_role("button", name=re.compile("Sign out")).click()
        expect(alice.get_by_text("Sign in to continue")).to_be_visible()
        alice.goto(f"{studio.url}/library")
        expect(alice.get_by_text("Sign in to continue")).to_be_visible()

    with Store(studio.db) as store:
        by = {r.number: r.actor for r in store.revisions(1)}
    assert by[2] == ALICE["email"] and by[3] == BOB["email"]
    assert studio.provider.issued == [ALICE["sub"], BOB["sub"]]


def test_a_stranger_is_sent_to_an_admin_and_an_expired_session_ends(
    browser: Browser, studio: Studio
) -> None:
    with person(browser) as eve:
        sign_in(eve, studio, EVE, path="editor?task=1")
        expect(eve.get_by_text(re.compile("eve@example.org, who is not a member"))).to_be_visible()
        expect(eve.get_by_role("heading", name="Task editor")).to_have_count(0)
        expect(eve.get_by_role("dialog")).to_have_count(0)
        eve.screenshot(path=studio.screens / "04-stranger.png")
    with person(browser) as carol:
        sign_in(carol, studio, CAROL)
        expect(carol.get_by_text("Your session has expired")).to_be_visible()
        expect(carol.get_by_text("Signed in as")).to_have_count(0)
        carol.screenshot(path=studio.screens / "05-expired.png")
    with Store(studio.db) as store:
        assert "eve@example.org" not in [u.name for u in store.users()]

"""The studio's sign-in gate in AppTest: ``st.user`` is seeded by the test, ``[auth]`` by
``app.secrets``; the sign-in flow itself is the browser test's (test_signin_browser.py)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from coauthor.schemas.team import Role
from coauthor.store import Store
from coauthor.ui import resources

APP = Path(__file__).parents[2] / "src" / "coauthor" / "ui" / "app.py"
PAGES = ["new", "run", "editor", "copilot", "library", "settings", "team"]
AUTH = {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": "a-cookie-secret-for-the-tests",
    "client_id": "studio",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
ANN = {"is_logged_in": True, "email": "Ann@Example.org", "name": "Ann Lee", "sub": "1"}


def everything(app: AppTest) -> str:
    """Every text the page shows, markdown, alerts and buttons included."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning"):
        parts += [str(e.value) for e in getattr(app, kind)]
    parts += [str(e.value) for e in app.error] + [b.label for b in app.button]
    parts += [w.label for w in app.text_input] + [w.label for w in app.text_area]
    return "\n".join(parts)


@pytest.fixture
def studio(db_url: str) -> Callable[..., AppTest]:
    def opened(*, user: dict[str, object] | None) -> AppTest:
        app = AppTest.from_file(str(APP), default_timeout=60)
        app.secrets["auth"] = AUTH
        app.user = dict(user or {})
        return app.run()

    return opened


VIEW_FILES = {
    "new": "new_task",
    "run": "run_view",
    "editor": "task_editor",
    "copilot": "copilot",
    "library": "library",
    "settings": "studio_settings",
    "team": "team",
}


@pytest.fixture
def address() -> Iterator[Callable[[str], None]]:
    before = config.get_option("server.address")

    def bind(value: str) -> None:
        config.set_option("server.address", value)

    yield bind
    config.set_option("server.address", before)


@pytest.mark.parametrize("page", PAGES)
def test_a_signed_out_request_to_any_page_shows_only_the_sign_in_prompt(
    studio: Callable[..., AppTest], store: Store, page: str
) -> None:
    """The page is first opened signed in (so the request names it), then asked for again
    once the session has no signed-in user."""
    store.acting_as("ann@example.org").add_user("bob@example.org", Role.author)
    app = studio(user=ANN).switch_page(f"views/{VIEW_FILES[page]}.py").run()
    assert not app.exception
    assert "Sign in to continue" not in everything(app)
    assert "Signed in as ann@example.org (admin)" in everything(app)
    app.user = {}
    app.run()
    assert not app.exception
    shown = everything(app)
    assert "Sign in to continue" in shown
    assert [b.label for b in app.button] == ["Sign in"]
    for secret in ("Task idea", "Model:", "bob@example.org", "ann@example.org", "Signed in"):
        assert secret not in shown
    assert resources.USER_KEY not in app.session_state


def test_the_first_to_sign_in_becomes_admin_and_acts_as_themself(
    studio: Callable[..., AppTest], store: Store
) -> None:
    app = studio(user=ANN)
    assert not app.exception
    assert app.session_state[resources.USER_KEY] == "ann@example.org"
    [member] = store.users()
    assert (member.name, member.role, member.display_name) == (
        "ann@example.org",
        Role.admin,
        "Ann Lee",
    )
    assert "Signed in as ann@example.org (admin)" in everything(app)
    assert "Sign out" in [b.label for b in app.button]


def test_someone_who_is_not_a_member_is_told_to_ask_an_admin(
    studio: Callable[..., AppTest], store: Store
) -> None:
    store.acting_as("ann@example.org").add_user("bob@example.org", Role.author)
    app = studio(user={"is_logged_in": True, "email": "eve@example.org", "sub": "9"})
    assert not app.exception
    shown = everything(app)
    assert "eve@example.org, who is not a member of this team" in shown
    assert "coauthor users add eve@example.org --role author" in shown
    assert "Task idea" not in shown and "bob@example.org" not in shown
    assert [u.name for u in store.users()] == ["ann@example.org", "bob@example.org"]
    assert resources.USER_KEY not in app.session_state


def test_a_member_signs_in_and_out(studio: Callable[..., AppTest], store: Store) -> None:
    store.acting_as("ann@example.org").add_user("bob@example.org", Role.reviewer)
    bob = {"is_logged_in": True, "email": "bob@example.org", "name": "Bob", "sub": "2"}
    app = studio(user=bob)
    assert app.session_state[resources.USER_KEY] == "bob@example.org"
    assert "Signed in as bob@example.org (reviewer)" in everything(app)
    app = app.button(key="signin_sign_out").click().run()
    assert not app.exception
    assert "Sign in to continue" in everything(app)
    assert resources.USER_KEY not in app.session_state


def test_a_session_ends_when_the_providers_id_token_expires(
    studio: Callable[..., AppTest], store: Store
) -> None:
    app = studio(user={**ANN, "exp": int(time.time()) + 3600})
    assert "Session ends" in everything(app)
    app = studio(user={**ANN, "exp": int(time.time()) - 1})
    shown = everything(app)
    assert "Your session has expired" in shown
    assert "Task idea" not in shown
    assert resources.USER_KEY not in app.session_state


def test_without_sign_in_the_studio_is_single_user_on_loopback(
    db_url: str, address: Callable[[str], None]
) -> None:
    address("127.0.0.1")
    app = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not app.exception
    assert "Single-user mode" in everything(app)
    assert "Sign out" not in [b.label for b in app.button]


def test_without_sign_in_an_open_address_shows_nothing_unless_forced(
    db_url: str, address: Callable[[str], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COAUTHOR_USER", "ann")
    for open_address in ("0.0.0.0", ""):
        address(open_address)
        app = AppTest.from_file(str(APP), default_timeout=60).run()
        assert not app.exception
        shown = everything(app)
        assert "no sign-in is configured" in shown and "'ann'" in shown
        assert "Task idea" not in shown and "Single-user mode" not in shown
    monkeypatch.setenv("COAUTHOR_FORCE_OPEN", "1")
    app = AppTest.from_file(str(APP), default_timeout=60).run()
    shown = everything(app)
    assert "Open without sign-in: anyone who can reach this address acts as ann" in shown
    assert "Task idea" in shown

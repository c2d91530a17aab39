"""The Team page and the editor's review panel, acting as the user the environment names."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from coauthor.schemas.team import ReviewStatus, Role
from coauthor.store import Store


def texts(app: AppTest, kind: str) -> list[str]:
    return [str(e.value) for e in getattr(app, kind)]


def click(app: AppTest, label: str) -> AppTest:
    [button] = [b for b in app.button if b.label == label]
    return button.click().run()


def as_user(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv("COAUTHOR_USER", name)


def test_the_first_member_makes_a_team_with_the_local_user_as_admin(
    open_page: Callable[..., AppTest], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_user(monkeypatch, "ann")
    app = open_page("team")
    assert not app.exception
    assert any("Single-user mode" in t for t in texts(app, "info"))
    app.text_input(key="team_new_name").input("bob")
    app.selectbox(key="team_new_role").set_value("author")
    app = click(app, "Add")
    assert not app.exception
    assert {u.name: u.role for u in store.users()} == {"ann": Role.admin, "bob": Role.author}
    assert any("bob added as author" in t for t in texts(app, "success"))
    assert any("You are ann (admin)" in t for t in texts(app, "caption"))

    app.selectbox(key="team_role_bob").set_value("reviewer").run()
    app = app.button(key="team_save_bob").click().run()
    assert store.user_info("bob") is not None and store.user_info("bob").role is Role.reviewer
    app = app.button(key="team_remove_bob").click().run()
    assert [u.name for u in store.users()] == ["ann"]


def test_members_who_are_not_admins_only_see_the_team(
    open_page: Callable[..., AppTest], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.acting_as("ann").add_user("bob", Role.author)
    as_user(monkeypatch, "bob")
    app = open_page("team")
    assert not app.exception
    assert any("Only an admin" in t for t in texts(app, "caption"))
    assert not [b for b in app.button if b.label in ("Add", "Save", "Remove")]


def test_a_stranger_is_told_they_are_not_a_member(
    open_page: Callable[..., AppTest], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.acting_as("ann").add_user("bob", Role.author)
    as_user(monkeypatch, "mallory")
    app = open_page("team")
    assert any("Not allowed: unknown user 'mallory'" in t for t in texts(app, "error"))


def test_review_and_comments_on_the_task_editor(
    open_page: Callable[..., AppTest],
    store: Store,
    task_id: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ann = store.acting_as("ann")
    ann.add_user("bob", Role.author)
    ann.add_user("rita", Role.reviewer)
    as_user(monkeypatch, "bob")
    app = open_page("editor", query={"task": str(task_id)})
    assert not app.exception
    assert any("Status: draft" in t for t in texts(app, "markdown"))
    app = click(app, "Submit for review")  # the scripted steps are not verified
    assert any("step(s) 1, 2 not verified" in t for t in texts(app, "error"))
    for step in (1, 2):
        app.text_input(key=f"waive_{task_id}_{step}").input("checked by hand")
    app = click(app, "Submit for review")
    assert store.review_state(task_id).status is ReviewStatus.in_review
    assert [b.disabled for b in app.button if b.label == "Approve"] == [True]  # an author

    as_user(monkeypatch, "rita")
    app = open_page("editor", query={"task": str(task_id)})
    app.selectbox(key=f"comment_step_{task_id}").set_value(2)
    app.selectbox(key=f"comment_part_{task_id}").set_value("tests")
    app.text_area(key=f"comment_text_{task_id}").input("Add an edge case.")
    app = click(app, "Comment")
    [comment] = store.comments(task_id)
    assert (comment.actor, comment.step, comment.part, comment.text) == (
        "rita",
        2,
        "tests",
        "Add an edge case.",
    )
    assert any("Add an edge case." in t for t in texts(app, "markdown"))
    app = click(app, "Approve")
    state = store.review_state(task_id)
    assert (state.status, state.approved_revision) == (ReviewStatus.approved, 1)


def test_the_studio_refuses_a_database_newer_than_the_code(
    open_page: Callable[..., AppTest], db_url: str
) -> None:
    Store(db_url).close()
    engine = sa.create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    app = open_page("library")
    assert not app.exception
    assert any("written by a newer Co-Author" in t for t in texts(app, "error"))
    assert not any(t == "Library" for t in texts(app, "title"))

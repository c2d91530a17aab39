"""The library: search and filters, duplicate, soft delete and restore, history and diff."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from coauthor.schemas import Difficulty, Verdict
from coauthor.schemas.team import Duty, ReviewMove
from coauthor.store import Store
from coauthor.store.team import local_user


def texts(app: AppTest, kind: str) -> list[str]:
    return [str(e.value) for e in getattr(app, kind)]


def shown(app: AppTest) -> list[str]:
    """The titles of the tasks listed."""
    return [t.split("**")[1] for t in texts(app, "markdown") if t.startswith("**")]


def second_task(store: Store, task_id: int) -> int:
    """A fintech senior task, verified, beside the fixture's e-commerce junior one."""
    task = store.revision(task_id).task
    brief = task.brief.model_copy(update={"domain": "fintech", "difficulty": Difficulty.senior})
    steps = [s.model_copy(update={"verdict": Verdict(verified=True, tests=3)}) for s in task.steps]
    plan = task.plan.model_copy(update={"title": "Credit scoring"})
    made = task.model_copy(update={"brief": brief, "steps": steps, "plan": plan})
    return store.create_task(made).id


def test_search_and_filters(open_page: Callable[..., AppTest], store: Store, task_id: int) -> None:
    second_task(store, task_id)
    app = open_page("library")
    assert not app.exception
    assert shown(app) == ["Credit scoring", "Sample size for an A/B test"]
    app.text_input(key="lib_search").input("credit").run()
    assert shown(app) == ["Credit scoring"]
    app.text_input(key="lib_search").input("").run()
    app.multiselect(key="lib_domain").select("e-commerce").run()
    assert shown(app) == ["Sample size for an A/B test"]
    app.multiselect(key="lib_domain").unselect("e-commerce").run()
    app.multiselect(key="lib_level").select("senior").run()
    assert shown(app) == ["Credit scoring"]
    app.multiselect(key="lib_level").unselect("senior").run()
    app.selectbox(key="lib_verified").set_value("verified").run()
    assert shown(app) == ["Credit scoring"]
    app.selectbox(key="lib_verified").set_value("not verified").run()
    assert shown(app) == []


def test_duplicate_delete_restore(
    open_page: Callable[..., AppTest], store: Store, task_id: int
) -> None:
    app = open_page("library")
    app.button(key=f"lib_dup_{task_id}").click().run()
    copies = store.list_tasks()
    assert len(copies) == 2 and copies[0].title == copies[1].title
    assert store.revision(copies[0].id).source == "duplicate"
    assert any("duplicated as task" in t for t in texts(app, "success"))

    app.button(key=f"lib_del_{task_id}").click().run()
    assert [t.id for t in store.list_tasks()] == [copies[0].id]
    assert len(shown(app)) == 1
    app.toggle(key="lib_deleted").set_value(True).run()
    assert len(shown(app)) == 2
    app.button(key=f"lib_restore_{task_id}").click().run()
    assert len(store.list_tasks()) == 2


def test_history_diff_and_restore(
    open_page: Callable[..., AppTest], store: Store, task_id: int
) -> None:
    first = store.revision(task_id)
    steps = list(first.task.steps)
    steps[0] = steps[0].model_copy(update={"story": "The shop tests a new checkout."})
    store.add_revision(task_id, first.task.model_copy(update={"steps": steps}), source="edit")

    app = open_page("library")
    app = app.button(key=f"lib_hist_{task_id}").click().run()
    assert any(f"History of task {task_id}" in t for t in texts(app, "subheader"))
    diff = "\n".join(str(c.value) for c in app.code)
    assert "-Story of step 1: the shop runs an experiment." in diff
    assert "+The shop tests a new checkout." in diff

    app.selectbox(key=f"restore_pick_{task_id}_2").set_value(1)
    app = app.button(key=f"restore_{task_id}").click().run()
    head = store.revision(task_id)
    assert head.number == 3 and head.source == "restore" and head.task == first.task
    assert any("Revision 1 restored as revision 3." in t for t in texts(app, "success"))


def test_review_status_and_assigned_to_me_filter_the_library(
    open_page: Callable[..., AppTest], store: Store, task_id: int
) -> None:
    other = second_task(store, task_id)  # every step verified, so it can go to review
    store.move_review(other, ReviewMove.submit)
    store.assign(task_id, Duty.plan, local_user())
    app = open_page("library")
    assert not app.exception
    assert shown(app) == ["Credit scoring", "Sample size for an A/B test"]
    app.selectbox(key="lib_review").set_value("in review").run()
    assert shown(app) == ["Credit scoring"]
    app.selectbox(key="lib_review").set_value("draft").run()
    assert shown(app) == ["Sample size for an A/B test"]
    app.selectbox(key="lib_review").set_value("any").run()
    app.toggle(key="lib_mine").set_value(True).run()
    assert shown(app) == ["Sample size for an A/B test"]
    app.selectbox(key="lib_review").set_value("in review").run()
    assert shown(app) == []

"""The library's first start: an offer to add the example tasks, marked in the list."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from coauthor.examples import examples
from coauthor.store import Store


def test_empty_library_offers_the_examples(open_page: Callable[..., AppTest], store: Store) -> None:
    app = open_page("library")
    assert not app.exception
    assert any("verified tasks to try editing" in str(i.value) for i in app.info)
    app.button(key="lib_add_examples").click().run(timeout=600)  # verifies 9 steps
    assert not app.exception
    tasks = store.list_tasks()
    assert sorted(t.title for t in tasks) == sorted(e.task.title for e in examples())
    listed = [str(m.value) for m in app.markdown if str(m.value).startswith("**")]
    assert len(listed) == 4 and all("example" in text for text in listed)
    assert all(":green[verified]" in text for text in listed)  # verified on add
    assert not any("not verified" in text for text in listed)
    assert any("every step verified" in str(s.value) for s in app.success)
    assert not any(b.key == "lib_add_examples" for b in app.button)
    app.button(key=f"lib_del_{tasks[0].id}").click().run()
    assert len(store.list_tasks()) == 3


def test_a_library_with_tasks_makes_no_offer(
    open_page: Callable[..., AppTest], store: Store, task_id: int
) -> None:
    app = open_page("library")
    assert not any(b.key == "lib_add_examples" for b in app.button)
    listed = [str(m.value) for m in app.markdown if str(m.value).startswith("**")]
    assert listed and "example" not in listed[0]

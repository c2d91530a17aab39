"""The code editor's Python side: the text it edits, kept under the part's key."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from coauthor.ui import code_editor


def _one_editor() -> None:
    import streamlit as st

    from coauthor.ui.code_editor import code_editor

    text = code_editor("Solution of step 1", key="code_solution_1_1_1", value="x = 1\n")
    st.write(f"returned: {text!r}")


def _sent(text: str | None) -> None:
    """What the page does when the editor sends ``text`` (None: nothing sent yet)."""
    import streamlit as st

    from coauthor.ui import code_editor

    st.session_state[code_editor.component_key("code_solution_1_1_1")] = text
    code_editor.keep("code_solution_1_1_1")
    text = code_editor.code_editor("Solution of step 1", key="code_solution_1_1_1", value="x = 1\n")
    st.write(f"returned: {text!r}")


def test_the_component_edits_the_text_kept_under_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(code_editor.ENV, raising=False)
    app = AppTest.from_function(_one_editor).run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.text_area  # the real editor, not the fallback
    assert app.session_state["code_solution_1_1_1"] == "x = 1\n"
    assert "returned: 'x = 1\\n'" in [m.value for m in app.markdown]
    assert "Solution of step 1" in [c.value for c in app.caption]


@pytest.mark.parametrize(("sent", "kept"), [("x = 2\n", "x = 2\n"), (None, "x = 1\n")])
def test_what_the_editor_sends_is_the_text(
    monkeypatch: pytest.MonkeyPatch, sent: str | None, kept: str
) -> None:
    monkeypatch.delenv(code_editor.ENV, raising=False)
    app = AppTest.from_function(_sent, args=(sent,)).run()
    assert not app.exception, [e.value for e in app.exception]
    assert f"returned: {kept!r}" in [m.value for m in app.markdown]


def test_the_fallback_is_a_text_area_under_the_same_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(code_editor.ENV, "TextArea")
    app = AppTest.from_function(_one_editor).run()
    area = app.text_area(key="code_solution_1_1_1")
    assert area.value == "x = 1\n" and area.label == "Solution of step 1"
    area.input("x = 3\n").run()
    assert "returned: 'x = 3\\n'" in [m.value for m in app.markdown]

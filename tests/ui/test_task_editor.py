"""The task editor: edits become revisions, conflicts are caught, parts regenerate."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from coauthor.export.base import ExportOptions
from coauthor.llm.testing import ScriptedModel
from coauthor.pipeline.edit import Part, ProseReply
from coauthor.store import Store
from coauthor.testing import TESTS
from coauthor.ui import step_form
from coauthor.ui.exports import export_zip

OPTIONS = ExportOptions()


def texts(app: AppTest, kind: str) -> list[str]:
    return [str(e.value) for e in getattr(app, kind)]


def click(app: AppTest, label: str, index: int = 0) -> AppTest:
    found = [b for b in app.button if b.label == label]
    assert found, f"no button {label!r}; have {[b.label for b in app.button]}"
    return found[index].click().run()


def editor(open_page: Callable[..., AppTest], task_id: int) -> AppTest:
    app = open_page("editor", query={"task": str(task_id)})
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_an_edit_is_saved_as_a_new_revision(
    open_page: Callable[..., AppTest], store: Store, task_id: int
) -> None:
    app = editor(open_page, task_id)
    assert "No unsaved edits." in texts(app, "caption")
    app.text_area(key=f"story_{task_id}_1_1").input("A new story: the shop's checkout test.")
    app.run()
    assert "You have unsaved edits." in texts(app, "caption")
    app.text_input(key=f"note_{task_id}_1").input("sharper story")
    app = click(app, "Save")
    assert "Saved as revision 2." in texts(app, "success")
    saved = store.revision(task_id)
    assert saved.number == 2 and saved.source == "edit" and saved.note == "sharper story"
    assert saved.task.steps[0].story == "A new story: the shop's checkout test."
    assert saved.task.steps[1] == store.revision(task_id, 1).task.steps[1]
    assert any("revision 2 of 2" in t for t in texts(app, "caption"))


def test_two_authors_saving_the_same_task_get_a_conflict_not_an_overwrite(
    open_page: Callable[..., AppTest], store: Store, task_id: int
) -> None:
    first = editor(open_page, task_id)
    second = editor(open_page, task_id)
    first.text_area(key=f"story_{task_id}_1_1").input("First author's story.")
    click(first, "Save")
    second.text_area(key=f"theory_{task_id}_1_1").input("Second author's theory.")
    second = click(second, "Save")
    assert store.revision(task_id).number == 2  # nothing was overwritten
    assert any("Someone saved this task in the meantime" in t for t in texts(second, "error"))

    second = click(second, "Save as new revision anyway")
    head = store.revision(task_id)
    assert head.number == 3 and "concurrent edit" in head.note
    assert head.task.steps[0].theory == "Second author's theory."
    assert store.revision(task_id, 2).task.steps[0].story == "First author's story."

    first.text_area(key=f"story_{task_id}_2_1").input("First author again.")
    first = click(first, "Save")
    first = click(first, "Reload")
    assert not texts(first, "error")
    assert first.text_area(key=f"theory_{task_id}_3_1").value == "Second author's theory."


def test_regenerate_one_part_with_an_instruction_is_a_diff_to_accept(
    open_page: Callable[..., AppTest], store: Store, task_id: int, model: ScriptedModel
) -> None:
    model.add(ProseReply(text="A shorter story."))
    app = editor(open_page, task_id)
    app.selectbox(key=f"part_{task_id}_2").set_value("story")
    app.text_input(key=f"instr_{task_id}_1_2").input("make it shorter")
    app = click(app, "Regenerate", index=1)
    assert not texts(app, "error"), texts(app, "error")
    assert "make it shorter" in model.requests[0][-1]["content"]
    assert store.revision(task_id).number == 1  # nothing saved before the author decides
    assert any("+A shorter story." in t for t in texts(app, "code"))
    app = click(app, "Accept")
    assert "Saved as revision 2." in texts(app, "success")
    before, after = store.revision(task_id, 1).task, store.revision(task_id).task
    assert after.steps[1].story == "A shorter story."
    assert after.steps[1].solution == before.steps[1].solution and after.steps[0] == before.steps[0]
    assert store.revision(task_id).note == "step 2: regenerated the story (make it shorter)"
    assert app.selectbox(key=f"part_{task_id}_2").value == "story"  # kept after the save


def test_a_regeneration_that_changes_nothing_says_so_and_saves_nothing(
    open_page: Callable[..., AppTest], store: Store, task_id: int, model: ScriptedModel
) -> None:
    model.add(ProseReply(text=store.revision(task_id).task.steps[0].story))
    app = click(editor(open_page, task_id), "Regenerate")
    assert "The model returned the same story; nothing saved." in texts(app, "info")
    assert not texts(app, "success") and "Accept" not in [b.label for b in app.button]
    assert store.revision(task_id).number == 1


def test_a_rejected_regeneration_saves_nothing(
    open_page: Callable[..., AppTest], store: Store, task_id: int, model: ScriptedModel
) -> None:
    model.add(ProseReply(text="Another story."))
    app = click(editor(open_page, task_id), "Regenerate")
    app = click(app, "Reject")
    assert "Rejected the new story; nothing saved." in texts(app, "info")
    assert not texts(app, "success") and store.revision(task_id).number == 1
    assert "Accept" not in [b.label for b in app.button]


def test_an_accepted_code_change_is_verified_and_saved_with_its_verdict(
    open_page: Callable[..., AppTest], store: Store, task_id: int, model: ScriptedModel
) -> None:
    tests = TESTS + "\n\ndef test_one_each():\n    assert mean_uplift([0.0], [1.0]) == 1.0\n"
    model.add(f"```python\n{tests}```")
    app = editor(open_page, task_id)
    app.selectbox(key=f"part_{task_id}_1").set_value("tests")
    app = click(app, "Regenerate")
    assert store.revision(task_id).number == 1
    app = click(app, "Accept")
    assert not texts(app, "error"), texts(app, "error")
    assert any(t.startswith("Saved as revision 2. Step 1 verified") for t in texts(app, "success"))
    step = store.revision(task_id).task.steps[0]
    assert "test_one_each" in step.tests and step.verdict is not None and step.verdict.verified


def test_a_failing_reverify_is_not_shown_as_a_success(
    open_page: Callable[..., AppTest], store: Store, task_id: int
) -> None:
    task = store.revision(task_id).task
    broken = task.steps[0].model_copy(update={"solution": "def mean_uplift(c, t):\n    return 0\n"})
    store.add_revision(
        task_id, task.model_copy(update={"steps": [broken, *task.steps[1:]]}), source="edit"
    )
    app = click(editor(open_page, task_id), "Re-verify")
    assert not texts(app, "success"), texts(app, "success")
    assert any(t.startswith("Step 1 is NOT verified:") for t in texts(app, "error"))
    assert any("Saved as revision 3." in t for t in texts(app, "error"))


def test_invalid_edits_and_model_failures_are_messages(
    open_page: Callable[..., AppTest], store: Store, task_id: int, model: ScriptedModel
) -> None:
    app = editor(open_page, task_id)
    app.text_input(key=f"title_{task_id}_1_1").input("")
    app = click(app, "Save")
    assert not app.exception
    assert any(t.startswith("Invalid title") for t in texts(app, "error")), texts(app, "error")
    assert store.revision(task_id).number == 1

    model.add(TimeoutError("the model took too long"))
    app = click(editor(open_page, task_id), "Regenerate")
    assert not app.exception
    assert any("Something unexpected went wrong" in t for t in texts(app, "error"))


def test_export_is_one_download_button_under_the_format(
    open_page: Callable[..., AppTest], store: Store, task_id: int
) -> None:
    app = editor(open_page, task_id)
    picker = app.selectbox(key=f"export_format_{task_id}")
    assert picker.value == "markdown" and "json" in picker.options
    assert not [b for b in app.button if b.label.startswith("Export")]
    assert app.get("download_button")[0].proto.label == "Download markdown (.zip)"
    data = export_zip(
        "markdown", store.revision(task_id).task, task_id=task_id, revision=1, options=OPTIONS
    )
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "README.md" in names and any(name.endswith("solution.py") for name in names)
    picker.set_value("notion")
    app = click(app.run(), "Publish to notion")  # needs a parent page: a message
    assert any("Could not export notion" in t for t in texts(app, "error"))


def test_saving_one_edit_keeps_every_untouched_part_exactly(
    open_page: Callable[..., AppTest], store: Store, task_id: int
) -> None:
    task = store.revision(task_id).task
    odd = task.steps[0].model_copy(
        update={"requirements": ["returns a float\n  even for one value ", "  raises on empty"]}
    )
    store.add_revision(
        task_id, task.model_copy(update={"steps": [odd, *task.steps[1:]]}), source="edit"
    )
    app = editor(open_page, task_id)
    app.text_area(key=f"story_{task_id}_2_1").input("Only the story changes.")
    click(app, "Save")
    saved = store.revision(task_id).task.steps[0]
    assert saved.story == "Only the story changes."
    assert saved.model_copy(update={"story": odd.story}) == odd


def test_revision_labels_are_short_single_lines(
    open_page: Callable[..., AppTest], store: Store, task_id: int
) -> None:
    raw = 'Traceback (most recent call last):\n  File "x.py", line 1\n' + "ValueError " * 40
    store.add_revision(task_id, store.revision(task_id).task, source="repair", note=raw)
    app = editor(open_page, task_id)
    labels = app.selectbox(key=f"diff_new_{task_id}_2").options
    assert any("Traceback" in label for label in labels)
    assert all(len(label) <= 120 and "\n" not in label for label in labels)
    assert any(label.endswith("…") for label in labels)


def test_the_student_preview_shows_the_starter_and_hides_the_solution(
    open_page: Callable[..., AppTest], store: Store, task_id: int
) -> None:
    step = store.revision(task_id).task.steps[0]
    app = editor(open_page, task_id)
    shown = " ".join(texts(app, "markdown"))
    assert step.story in shown and step.requirements[0] in shown
    codes = texts(app, "code")
    assert step.starter.strip() in [c.strip() for c in codes]
    assert not any(step.solution.strip() in c or step.tests.strip() in c for c in codes)
    areas = [a.key for a in app.text_area]
    assert areas.count(f"code_solution_{task_id}_1_1") == 1
    assert any(t.endswith(" lines") for t in texts(app, "caption"))


def test_each_tab_names_the_part_it_shows() -> None:
    assert [step_form.tab_part(label) for label in step_form.TABS] == [
        Part.story,
        Part.theory,
        None,
        Part.requirements,
        Part.starter,
        Part.solution,
        Part.tests,
        None,
        None,
        None,
    ]


def test_opening_a_tab_points_the_part_selector_at_its_part() -> None:
    app = AppTest.from_function(_tab_then_selector).run()
    assert app.selectbox(key="part_9_1").value == "story"
    app.session_state["tabs_part_9_1"] = "Tests"  # what opening the Tests tab stores
    app.run()
    assert app.selectbox(key="part_9_1").value == "tests"
    app.session_state["tabs_part_9_1"] = "Verdict"  # no part: the choice stays
    app.run()
    assert app.selectbox(key="part_9_1").value == "tests"


def _tab_then_selector() -> None:
    """The tab's callback runs before the page is drawn again, then the selector."""
    import streamlit as st

    from coauthor.ui import step_form

    step_form.follow_tab("tabs_part_9_1", "part_9_1")
    st.selectbox("Part", ["story", "theory", "tests"], key="part_9_1")

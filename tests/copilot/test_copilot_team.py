"""The copilot answers "what is left to review on task N?" from the team's review state."""

from __future__ import annotations

from pathlib import Path

from copilot_helpers import SessionFactory, a_task, passing, with_verdicts

from coauthor.copilot import Intent, Session, handle
from coauthor.copilot.results import Exported, Findings
from coauthor.llm.testing import ScriptedModel
from coauthor.schemas.team import Duty, ReviewMove
from coauthor.store import Store


def test_what_is_left_to_review_on_a_named_task(session: SessionFactory, store: Store) -> None:
    model = ScriptedModel()  # nothing scripted: the answer comes from the store alone
    s = session(model=model)  # no task open: the message names it
    done = with_verdicts(a_task(2), passing)
    steps = [done.steps[0], a_task(2).steps[1]]  # step 2 never verified
    task_id = store.create_task(done.model_copy(update={"steps": steps})).id
    store.assign(task_id, Duty.review, None, step=1)
    thread = store.add_comment(task_id, "Story is too long.", step=1)
    store.add_comment(task_id, "Agreed.", reply_to=thread.id)
    closed = store.add_comment(task_id, "Typo.", step=2)
    store.resolve_comment(task_id, closed.id)

    reply = handle(s, f"what is left to review on task {task_id}?")
    assert reply.intent is Intent.review and model.requests == []
    lines = reply.text.splitlines()
    assert lines[0].startswith(f"Left to review on task {task_id} ") and "draft" in lines[0]
    assert "- steps not verified and not waived: 2" in lines
    assert "- 1 open comment thread(s): Step 1: 1" in lines
    assert isinstance(reply.result, Findings)
    assert [(f.step, f.text) for f in reply.result.findings] == [
        (2, "not verified since it last changed"),
        (1, "Story is too long."),
    ]

    store.move_review(task_id, ReviewMove.submit, waivers={2: "checked by hand"})
    store.resolve_comment(task_id, thread.id)
    again = handle(s, f"what is left to review on task {task_id}?")
    assert "- steps waived with a reason: 2" in again.text.splitlines()
    assert again.text.splitlines()[-1].startswith("nothing left")
    assert "in review" in again.text.splitlines()[0]


def test_an_export_through_the_copilot_is_recorded_as_its_user(
    store: Store, tmp_path: Path
) -> None:
    ann = store.acting_as("ann")
    task_id = ann.create_task(a_task(1)).id
    s = Session(ann, model=ScriptedModel(), task_id=task_id, out_dir=tmp_path / "exports")
    reply = handle(s, "export it as json")
    assert reply.intent is Intent.export and isinstance(reply.result, Exported)
    assert [(e.actor, e.revision, e.format) for e in store.exports(task_id)] == [("ann", 1, "json")]

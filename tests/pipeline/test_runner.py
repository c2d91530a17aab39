from __future__ import annotations

from pathlib import Path

import pytest

from coauthor.llm.base import ModelUnavailableError
from coauthor.llm.testing import Reply, ScriptedModel
from coauthor.pipeline.brief import make_brief
from coauthor.pipeline.events import Events
from coauthor.pipeline.runner import RunFailedError, Runner
from coauthor.prompts import default_master
from coauthor.schemas import Lesson
from coauthor.store import Store
from coauthor.testing import run_replies

# Calls per stage for a 2-step run with lessons: lessons, plan, step 1 (draft, solution,
# test cases, further tests), summary 1, step 2, summary 2.
STAGES = [
    ("lessons", 1),
    ("plan", 1),
    ("step:1", 4),
    ("summary:1", 1),
    ("step:2", 4),
    ("summary:2", 1),
]


class Recorder(Events):
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, int | None]] = []
        self.notes: list[str] = []

    def note(self, message: str) -> None:
        self.notes.append(message)

    def stage_started(self, stage: str, *, step: int | None = None, total: int = 0) -> None:
        self.seen.append(("start", stage, step))

    def stage_finished(self, stage: str, *, step: int | None = None, total: int = 0) -> None:
        self.seen.append(("done", stage, step))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'db.sqlite'}")


def runner(store: Store, replies: list[Reply], events: Events | None = None) -> Runner:
    return Runner(store, ScriptedModel(replies), master=default_master(), events=events)


def test_a_run_writes_every_step_with_the_rolling_summary(store: Store) -> None:
    events = Recorder()
    run = store.create_run(make_brief("A/B sample size", steps=2), model="scripted")
    r = runner(store, run_replies(2), events)
    outcome = r.execute(run.id)
    assert isinstance(r.model, ScriptedModel)
    r.model.assert_done()
    task = outcome.revision.task
    assert outcome.run.status == "done" and outcome.revision.number == 1
    assert [s.title for s in task.steps] == ["Step 1", "Step 2"]
    assert task.brief.lessons[0].title == "Estimate an effect"
    assert task.summary.startswith("Steps 1-2")
    step2_prompt = r.model.requests[7][-1]["content"]
    assert "Steps 1-1: mean_uplift is built." in step2_prompt
    assert "Story of step 1" not in step2_prompt  # the summary, never the full text
    assert ("start", "step", 2) in events.seen and ("done", "summary", 2) in events.seen
    stages = {entry.stage for entry in store.logbook(run_id=run.id)}
    assert stages == {name for name, _ in STAGES}
    assert len(store.logbook(run_id=run.id)) == 12


def test_given_lessons_skip_the_lessons_stage(store: Store) -> None:
    brief = make_brief("idea", steps=1).model_copy(update={"lessons": [Lesson(title="Mine")]})
    run = store.create_run(brief, model="scripted")
    outcome = runner(store, run_replies(1, lessons=False)).execute(run.id)
    assert outcome.revision.task.brief.lessons == [Lesson(title="Mine")]


def test_a_broken_step_is_flagged_and_the_run_goes_on(store: Store) -> None:
    run = store.create_run(make_brief("idea", steps=2), model="scripted")
    outcome = runner(store, run_replies(2, broken_step=1)).execute(run.id)
    first, second = outcome.revision.task.steps
    assert first.flags and second.flags == []
    assert first.solution == "def broken(:\n"


@pytest.mark.parametrize("crash_at", range(12))
def test_resume_after_a_crash_at_any_call_redoes_at_most_the_stage_in_flight(
    store: Store, crash_at: int
) -> None:
    replies = run_replies(2)
    reference_store = Store(store.url.replace("db.sqlite", "reference.sqlite"))
    reference = runner(reference_store, list(replies)).execute(
        reference_store.create_run(make_brief("idea", steps=2), model="scripted").id
    )
    run = store.create_run(make_brief("idea", steps=2), model="scripted")
    failing = runner(store, [*replies[:crash_at], ModelUnavailableError("server gone")])
    with pytest.raises(RunFailedError, match="server gone"):
        failing.execute(run.id)
    failed = store.run(run.id)
    assert failed.status == "failed" and failed.error and "server gone" in failed.error
    assert store.list_tasks() == []  # nothing half-written

    stage_start = 0
    for _, calls in STAGES:
        if stage_start + calls > crash_at:
            break
        stage_start += calls
    resumed = runner(store, replies[stage_start:])
    outcome = resumed.execute(run.id)
    assert isinstance(resumed.model, ScriptedModel)
    resumed.model.assert_done()
    assert outcome.run.status == "done"
    assert outcome.revision.task == reference.revision.task
    assert runner(store, []).execute(run.id).revision.number == 1  # done runs stay done


def test_an_authors_plan_and_lessons_are_used_as_given(store: Store) -> None:
    from coauthor.pipeline.runner import start_run
    from coauthor.testing import plan_reply

    brief = make_brief("idea", steps=3).model_copy(update={"lessons": [Lesson(title="Mine")]})
    edited = plan_reply(2).model_copy(update={"title": "Edited by the author"})
    run = start_run(store, brief, model="scripted", plan=edited)
    assert store.run(run.id).brief.steps == 2
    replies = run_replies(2, lessons=False)[1:]  # no lessons and no plan call
    events = Recorder()
    outcome = runner(store, replies, events).execute(run.id)
    assert outcome.revision.task.plan.title == "Edited by the author"
    assert not [note for note in events.notes if "resuming" in note]  # a new run, not a resumed one


def test_the_master_document_edited_in_the_studio_is_in_force(store: Store) -> None:
    from coauthor.pipeline.context import MASTER, master_text
    from coauthor.settings import Settings

    assert "Definition of done" in master_text(store, Settings())
    store.save_document(MASTER, "# Our rules\n- short tasks\n")
    assert master_text(store, Settings()).startswith("# Our rules")


def test_repairs_during_generation_are_verified_and_each_round_is_a_revision(
    store: Store,
) -> None:
    from coauthor.pipeline.repair import Diagnosis
    from coauthor.pipeline.verify import Checker
    from coauthor.sandbox import Limits, sandbox_for
    from coauthor.testing import SOLUTION

    wrong = SOLUTION.replace("np.mean(treatment) - np.mean(control)", "0.0")
    replies = run_replies(1, lessons=False)
    replies[2] = f"```python\n{wrong}```"  # plan, draft, solution (wrong), cases, tests, summary
    replies[5:5] = [
        Diagnosis(culprit="solution", reason="it returns a constant"),
        f"```python\n{SOLUTION}```",
    ]
    brief = make_brief("idea", steps=1).model_copy(update={"lessons": [Lesson(title="Mine")]})
    run = store.create_run(brief, model="scripted")
    checker = Checker(sandbox_for(), Limits())
    r = Runner(store, ScriptedModel(replies), master=default_master(), checker=checker)
    outcome = r.execute(run.id)

    verdict = outcome.revision.task.steps[0].verdict
    assert verdict is not None and verdict.verified and verdict.repair_rounds == 1
    assert verdict.repairs == ["round 1: rewrote the solution: it returns a constant"]
    history = store.revisions(outcome.revision.task_id)
    assert [(h.number, h.source) for h in history] == [
        (1, "generate"),
        (2, "repair"),
        (3, "verify"),
    ]
    assert "0.0" in history[0].task.steps[0].solution  # as the model first wrote it
    assert history[1].task.steps[0].solution == SOLUTION
    assert history[2].note == "verified 1 of 1 steps"
    stages = {entry.stage for entry in store.logbook(run_id=run.id)}
    assert "verify:1" in stages

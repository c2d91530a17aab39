"""``coauthor examples add``: the shipped examples into the library, once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coauthor.cli import app
from coauthor.examples import examples
from coauthor.llm.registry import registered_backend
from coauthor.llm.testing import ScriptedModel
from coauthor.pipeline.samples import add_examples, example_slug
from coauthor.schemas import Step, Verdict
from coauthor.store import Store
from coauthor.testing import run_replies


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("COAUTHOR_DATABASE_URL", url)
    return url


def test_loader_reads_every_shipped_example() -> None:
    found = examples()
    assert [e.slug for e in found] == sorted(e.slug for e in found)
    assert len(found) == 4
    assert all(e.task.steps and e.note == f"example: {e.slug}" for e in found)


def test_examples_add_is_idempotent(database: str) -> None:
    first = CliRunner().invoke(app, ["examples", "add"])
    assert first.exit_code == 0, first.stderr
    assert first.stdout.count("added as task") == 4
    for example in examples():
        steps = len(example.task.steps)
        assert f"{steps} of {steps} steps verified" in first.stdout
        assert f"verifying '{example.task.title}': step {steps} of {steps}" in first.stderr
    with Store(database) as store:
        tasks = store.list_tasks()
        assert len(tasks) == 4
        for t in tasks:  # verified on add: never "not verified yet"
            verdicts = [s.verdict for s in store.revision(t.id, 1).task.steps]
            assert all(v is not None and v.verified for v in verdicts), t.title
        slugs = {example_slug(store, t.id) for t in tasks}
        assert slugs == {e.slug for e in examples()}
        assert {store.revision(t.id, 1).source for t in tasks} == {"example"}

    again = CliRunner().invoke(app, ["examples", "add", "--json"])
    assert again.exit_code == 0, again.stderr
    payload = json.loads(again.stdout)
    assert [e["added"] for e in payload["examples"]] == [False] * 4
    with Store(database) as store:
        assert len(store.list_tasks()) == 4
    text = CliRunner().invoke(app, ["examples", "add"]).stdout
    assert text.count("already in the library") == 4


def test_a_deleted_example_can_be_added_again(database: str) -> None:
    CliRunner().invoke(app, ["examples", "add", "--no-verify"])
    with Store(database) as store:
        store.delete_task(store.list_tasks()[0].id)
    result = CliRunner().invoke(app, ["examples", "add", "--json", "--no-verify"])
    found = json.loads(result.stdout)["examples"]
    assert sum(e["added"] for e in found) == 1
    assert [e["verified_steps"] for e in found if e["added"]] == [None]


class FailsStep:
    """A checker that fails one step number of every task, and passes the others."""

    def __init__(self, failing: int) -> None:
        self.failing = failing

    def verdict(self, step: Step) -> Verdict:
        if step.title == examples()[0].task.steps[self.failing - 1].title:
            return Verdict(verified=False, tests=3, problems=["test_x fails on the solution"])
        return Verdict(verified=True, tests=3)


def test_a_step_that_fails_on_add_is_named_not_hidden(database: str) -> None:
    heard: list[tuple[str, int, int]] = []
    with Store(database) as store:
        added = add_examples(store, checker=FailsStep(2), progress=lambda *told: heard.append(told))
        first = added[0]
        assert first.new and first.verified == first.steps - 1 and not first.all_verified
        assert first.problems == ["step 2: test_x fails on the solution"]
        assert all(a.all_verified for a in added[1:])
        verdicts = [s.verdict for s in store.revision(first.task_id, 1).task.steps]
        assert [v.verified if v else None for v in verdicts] == [True, False, True]
    assert len(heard) == sum(len(e.task.steps) for e in examples())
    assert heard[0] == (examples()[0].task.title, 1, len(examples()[0].task.steps))


@pytest.fixture
def scripted(database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedModel]:
    model = ScriptedModel()
    monkeypatch.setenv("COAUTHOR_MODEL", "scripted")
    with registered_backend("scripted", lambda argument, settings: model, forms=["scripted"]):
        yield model


def test_new_like_pins_the_exemplar(database: str, scripted: ScriptedModel) -> None:
    CliRunner().invoke(app, ["examples", "add", "--no-verify"])
    with Store(database) as store:
        pinned = store.list_tasks()[-1]
    scripted.add(*run_replies(1))
    args = ["new", "Forecast daily sales", "--steps", "1", "--no-verify", "--json"]
    result = CliRunner().invoke(app, [*args, "--like", str(pinned.id)])
    assert result.exit_code == 0, result.stderr
    task_id = json.loads(result.stdout)["task_id"]
    with Store(database) as store:
        assert store.revision(task_id).task.brief.exemplar_task == pinned.id
    shown = scripted.requests[1][-1]["content"]  # the plan
    assert "in this team's style" in shown and pinned.title in shown


def test_new_like_a_missing_task_is_bad_input(database: str, scripted: ScriptedModel) -> None:
    result = CliRunner().invoke(app, ["new", "Forecast daily sales", "--like", "99"])
    assert result.exit_code == 2 and "no task 99" in result.stderr
    assert not scripted.requests

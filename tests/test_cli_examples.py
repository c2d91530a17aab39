"""``coauthor examples add``: the shipped examples into the library, once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coauthor.cli import app
from coauthor.examples import examples
from coauthor.pipeline.samples import example_slug
from coauthor.store import Store


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
    with Store(database) as store:
        tasks = store.list_tasks()
        assert len(tasks) == 4
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
    CliRunner().invoke(app, ["examples", "add"])
    with Store(database) as store:
        store.delete_task(store.list_tasks()[0].id)
    result = CliRunner().invoke(app, ["examples", "add", "--json"])
    assert sum(e["added"] for e in json.loads(result.stdout)["examples"]) == 1

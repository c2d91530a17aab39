"""The team from the command line: members, the review workflow, ownership, comments, and
the refusals (a forged user name, an author approving, a reviewer changing a task)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coauthor.cli import app
from coauthor.schemas import Plan, Step, StepOutline, Task, TaskBrief, Verdict
from coauthor.schemas.team import ReviewStatus, Role
from coauthor.store import Store


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'team.db'}"
    monkeypatch.setenv("COAUTHOR_DATABASE_URL", url)
    monkeypatch.setenv("COAUTHOR_USER", "ann")
    yield url


def cli(user: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"COAUTHOR_USER": user})
    return result.exit_code, result.stdout, result.stderr


def a_task(*verified: bool) -> Task:
    steps = [
        Step(title=f"S{n}", story="Story.", theory="T.", verdict=Verdict(verified=ok))
        for n, ok in enumerate(verified, 1)
    ]
    plan = Plan(title="Cart", steps=[StepOutline(title=s.title, goal="G") for s in steps])
    return Task(brief=TaskBrief(idea="Build a cart", steps=len(steps)), plan=plan, steps=steps)


@pytest.fixture
def team(database: str) -> str:
    """ann (admin), bob (author), rita (reviewer); task 1 by bob with step 2 unverified."""
    assert cli("ann", "users", "add", "bob", "--role", "author")[0] == 0
    assert cli("ann", "users", "add", "rita", "--role", "reviewer", "--name", "Rita R.")[0] == 0
    with Store(database, user="bob") as store:
        store.create_task(a_task(True, False))
    return database


def test_single_user_mode_until_the_first_member_is_added(database: str) -> None:
    code, out, err = cli("ann", "users", "list")
    assert (code, out) == (0, "") and "single-user" in err
    with Store(database) as store:
        store.create_task(a_task(True))
    assert cli("whoever", "list")[0] == 0  # no users: anyone runs Co-Author as today
    code, out, err = cli("ann", "users", "add", "bob", "--role", "author")
    assert code == 0 and out == "bob added as author\n" and "ann" in err
    code, out, _ = cli("ann", "users", "list", "--json")
    roles = {u["name"]: u["role"] for u in json.loads(out)["users"]}
    assert roles == {"ann": "admin", "bob": "author"}


def test_a_forged_user_name_is_refused_with_one_line(team: str) -> None:
    for args in (("list",), ("show", "1"), ("users", "list"), ("comments", "1")):
        code, out, err = cli("mallory", *args)
        assert code == 2 and out == ""
        assert err.count("\n") == 1
        assert "permission denied: unknown user 'mallory'" in " ".join(err.split())


def test_only_an_admin_manages_users(team: str) -> None:
    code, _, err = cli("bob", "users", "add", "eve", "--role", "admin")
    assert code == 2 and "bob is author" in err
    assert cli("ann", "users", "role", "bob", "reviewer") == (0, "bob is now reviewer\n", "")
    code, _, err = cli("ann", "users", "role", "bob", "boss")
    assert code == 2 and "unknown role 'boss'" in err
    code, _, err = cli("ann", "users", "remove", "ann")
    assert code == 2 and "last admin" in err
    assert cli("ann", "users", "remove", "bob")[0] == 0
    assert cli("bob", "list")[0] == 2


def test_an_author_cannot_approve_and_a_reviewer_cannot_change_tasks(
    team: str, tmp_path: Path
) -> None:
    assert cli("bob", "review", "submit", "1", "--waive", "2", "--reason", "flaky sandbox")[0] == 0
    code, _, err = cli("bob", "review", "approve", "1")
    assert code == 2 and "bob is author" in " ".join(err.split())
    exported = tmp_path / "out"
    assert cli("rita", "export", "1", "--format", "json", "--out", str(exported))[0] == 0
    code, _, err = cli("rita", "import", str(next(exported.glob("*.json"))))
    assert code == 2 and "rita is reviewer" in " ".join(err.split())
    code, _, err = cli("rita", "assign", "1", "code", "rita", "--step", "1")
    assert code == 2 and "rita is reviewer" in " ".join(err.split())
    with Store(team) as store:
        assert [t.id for t in store.list_tasks()] == [1]
        assert store.review_state(1).status is ReviewStatus.in_review
        assert [(e.actor, e.format) for e in store.exports(1)] == [("rita", "json")]


def test_the_review_workflow_with_comments(team: str) -> None:
    code, _, err = cli("bob", "review", "submit", "1")
    assert code == 2 and "step(s) 2 not verified" in " ".join(err.split())
    code, _, err = cli("bob", "review", "submit", "1", "--waive", "2")
    assert code == 2 and "--reason" in err

    code, out, _ = cli("rita", "comment", "1", "--step", "1", "--part", "story", "Too short.")
    assert code == 0 and out.startswith("#1 step 1 story (r1) rita: Too short.")
    assert cli("bob", "comment", "1", "--reply", "1", "Longer now?")[0] == 0
    code, _, err = cli("rita", "comment", "1", "--part", "plot", "x", "--step", "1")
    assert code == 2 and "unknown part 'plot'" in err
    code, out, _ = cli("rita", "comments", "1")
    assert out.splitlines() == [
        "#1 step 1 story (r1) rita: Too short.",
        "    #2 reply (r1) bob: Longer now?",
    ]
    assert cli("rita", "comment", "1", "--resolve", "1")[0] == 0
    assert cli("rita", "comments", "1", "--open")[1] == ""

    code, out, _ = cli("bob", "review", "submit", "1", "--waive", "2", "--reason", "no numpy")
    assert (code, out) == (0, "task 1: in review\n")
    code, out, _ = cli("rita", "review", "request-changes", "1", "--note", "step 1 story")
    assert (code, out) == (0, "task 1: changes requested\n")
    assert cli("bob", "review", "submit", "1")[0] == 0  # the waiver still stands
    code, out, _ = cli("rita", "review", "approve", "1")
    assert (code, out) == (0, "task 1: approved (approved: revision 1)\n")
    code, out, _ = cli("rita", "review", "approve", "1")
    assert code == 2
    code, out, _ = cli("ann", "review", "status", "1", "--json")
    payload = json.loads(out)
    assert payload["review"]["status"] == "approved"
    assert [(e["actor"], e["move"]) for e in payload["history"]] == [
        ("bob", "submit"),
        ("rita", "request-changes"),
        ("bob", "submit"),
        ("rita", "approve"),
    ]
    assert cli("bob", "review", "reopen", "1") == (0, "task 1: draft (approved: revision 1)\n", "")


def test_list_filters_by_owner_and_status(team: str) -> None:
    with Store(team, user="bob") as store:
        store.create_task(a_task(True))
    assert cli("bob", "assign", "1", "code", "bob", "--step", "1")[0] == 0
    assert cli("bob", "assign", "2", "review", "rita", "--step", "1")[0] == 0
    assert cli("bob", "review", "submit", "2")[0] == 0

    def listed(user: str, *args: str) -> list[tuple[int, str]]:
        code, out, err = cli(user, "list", "--json", *args)
        assert code == 0, err
        return [(t["task_id"], t["review"]) for t in json.loads(out)["tasks"]]

    assert listed("bob") == [(2, "in review"), (1, "draft")]
    assert listed("bob", "--mine") == [(1, "draft")]
    assert listed("rita", "--mine") == [(2, "in review")]
    assert listed("ann", "--mine") == []
    assert listed("ann", "--status", "in-review") == [(2, "in review")]
    assert listed("bob", "--mine", "--status", "approved") == []
    code, _, err = cli("ann", "list", "--status", "done")
    assert code == 2 and "unknown status 'done'" in err
    code, out, _ = cli("ann", "list")
    assert "[in review]" in out.splitlines()[0]


def test_every_revision_made_from_the_cli_names_its_user(team: str, tmp_path: Path) -> None:
    exported = tmp_path / "out"
    assert cli("bob", "export", "1", "--format", "json", "--out", str(exported))[0] == 0
    code, out, err = cli("bob", "import", str(next(exported.glob("*.json"))))
    assert code == 0, err
    with Store(team) as store:
        assert store.revision(int(out)).actor == "bob"
        assert store.user_info("rita") is not None
        assert store.acting_as("rita").role() is Role.reviewer

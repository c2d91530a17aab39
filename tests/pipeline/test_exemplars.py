"""Exemplars: retrieval by similarity, team precedence, pinning, the budget, the prompts."""

from __future__ import annotations

from pathlib import Path

import pytest

from coauthor.examples import examples
from coauthor.llm.base import Capabilities
from coauthor.llm.testing import ScriptedModel
from coauthor.pipeline.brief import make_brief
from coauthor.pipeline.context import REPLY_TOKENS, Context
from coauthor.pipeline.exemplars import (
    Exemplar,
    approx_tokens,
    candidates,
    choose,
    remember_made,
)
from coauthor.pipeline.plan import plan
from coauthor.pipeline.runner import Runner
from coauthor.pipeline.samples import add_examples
from coauthor.prompts import default_master
from coauthor.schemas import Task, Verdict
from coauthor.store import Store
from coauthor.testing import plan_reply, run_replies

AB_IDEA = "How many users does an A/B test of the checkout need, and for how many days?"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'db.sqlite'}")


def shipped(slug: str) -> Task:
    return next(e.task for e in examples() if e.slug == slug)


def team_task(store: Store, base: Task, *, title: str, verified: bool = True) -> int:
    steps = [s.model_copy(update={"verdict": Verdict(verified=verified)}) for s in base.steps]
    made = base.model_copy(
        update={"steps": steps, "plan": base.plan.model_copy(update={"title": title})}
    )
    return store.create_task(made).id


@pytest.mark.parametrize(
    ("idea", "expected"),
    [
        (AB_IDEA, "example ab-test-sample-size"),
        ("Weekly retention of users by signup cohort in a mobile app", "example cohort-retention"),
        (
            "Evaluate a movie recommender: precision and recall at k, NDCG of the ranking",
            "example recommender-ranking-metrics",
        ),
    ],
)
def test_retrieval_picks_the_similar_example(store: Store, idea: str, expected: str) -> None:
    chosen = choose(store, make_brief(idea), budget_tokens=600)
    assert chosen is not None and chosen.source.startswith(expected)


def test_a_verified_team_task_beats_a_shipped_example(store: Store) -> None:
    own = team_task(store, shipped("ab-test-sample-size"), title="Our checkout experiment")
    chosen = choose(store, make_brief(AB_IDEA), budget_tokens=600)
    assert chosen is not None and chosen.source == f"task {own}"
    assert chosen.title == "Our checkout experiment"


def test_unverified_tasks_and_added_examples_are_not_team_exemplars(store: Store) -> None:
    team_task(store, shipped("ab-test-sample-size"), title="Half done", verified=False)
    add_examples(store)
    chosen = choose(store, make_brief(AB_IDEA), budget_tokens=600)
    assert chosen is not None and chosen.source == "example ab-test-sample-size"


def test_a_pinned_task_wins(store: Store) -> None:
    pinned = team_task(store, shipped("cohort-retention-curve"), title="Pinned", verified=False)
    brief = make_brief(AB_IDEA, exemplar_task=pinned)
    chosen = choose(store, brief, budget_tokens=600)
    assert chosen is not None and chosen.source == f"task {pinned}"


def test_no_budget_no_exemplar(store: Store) -> None:
    assert choose(store, make_brief(AB_IDEA), budget_tokens=0) is None


def test_a_huge_exemplar_is_trimmed_to_the_budget(store: Store) -> None:
    base = shipped("ab-test-sample-size")
    huge = [
        s.model_copy(
            update={
                "story": "The shop grows. " * 600,
                "theory": "Power matters. " * 1200,
                "requirements": ["Handle every edge case carefully. " * 8] * 30,
                "solution": "x = 1  # a line of the solution\n" * 900,
                "tests": "def test_x():\n    assert True\n" * 900,
            }
        )
        for s in base.steps
    ]
    team_task(store, base.model_copy(update={"steps": huge}), title="Huge")
    for budget in (100, 600):
        chosen = choose(store, make_brief(AB_IDEA), budget_tokens=budget)
        assert chosen is not None and chosen.title == "Huge"
        step = chosen.step(1)
        assert step is not None
        prose = step.story + step.theory + "".join(step.requirements)
        assert approx_tokens(prose) <= budget
        assert approx_tokens(step.solution + step.tests) <= budget
        assert step.solution.endswith("# …") and step.tests
        lessons = "".join(f"{lesson.title}{lesson.detail}" for lesson in chosen.lessons)
        assert approx_tokens(lessons) <= budget


def test_an_exemplar_never_pushes_a_prompt_past_the_context(store: Store) -> None:
    exemplar = choose(store, make_brief(AB_IDEA), budget_tokens=600)
    assert isinstance(exemplar, Exemplar)
    brief = make_brief(AB_IDEA, steps=3)
    sizes = [
        sum(
            approx_tokens(m["content"])
            for m in Context(ScriptedModel(), "Be clear.", exemplar=e).messages(
                "plan.j2", brief=brief, exemplar=e
            )
        )
        for e in (None, exemplar)
    ]
    assert sizes[1] > sizes[0]
    between = REPLY_TOKENS + (sizes[0] + sizes[1]) // 2
    for context, shown in ((32_768, True), (between, False)):
        model = ScriptedModel([plan_reply(3)], capabilities=Capabilities(context_tokens=context))
        plan(Context(model, "Be clear.", exemplar=exemplar), brief)
        prompt = model.requests[0][-1]["content"]
        assert ("in this team's style" in prompt) is shown


def test_a_run_shows_the_exemplar_in_every_stage(store: Store) -> None:
    model = ScriptedModel(run_replies(2))
    run = store.create_run(make_brief(AB_IDEA, steps=2), model="scripted")
    Runner(store, model, master=default_master()).execute(run.id)
    model.assert_done()
    prompts = [request[-1]["content"] for request in model.requests]
    example = shipped("ab-test-sample-size")
    lessons, planned, draft, solution, cases, tests = prompts[:6]
    assert example.brief.lessons[0].title in lessons
    assert example.plan.steps[0].title in planned
    assert "Load the orders" not in planned
    assert example.steps[0].story[:60] in draft
    assert example.steps[0].solution[:60] in solution
    assert example.steps[0].solution[:60] in tests and example.steps[0].tests[:60] in tests
    assert "Write test cases for `mean_uplift`" in cases
    assert example.steps[1].story[:60] in prompts[7]  # step 2 shows the exemplar's step 2


def test_a_run_without_exemplars_shows_none(store: Store) -> None:
    model = ScriptedModel(run_replies(1))
    run = store.create_run(make_brief(AB_IDEA, steps=1), model="scripted")
    Runner(store, model, master=default_master(), exemplar_tokens=0).execute(run.id)
    assert not any("team's style" in r[-1]["content"] for r in model.requests)


def test_a_task_a_run_made_is_judged_without_reading_it_back(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runner hands its new task to the choice: an unverified one is no candidate, a
    verified one is, and neither is read from the store again."""
    model = ScriptedModel(run_replies(1))
    run = store.create_run(make_brief(AB_IDEA, steps=1), model="scripted")
    Runner(store, model, master=default_master(), exemplar_tokens=0).execute(run.id)
    own = team_task(store, shipped("ab-test-sample-size"), title="Our checkout experiment")
    remember_made(store, store.revision(own))

    def unread(*args: object, **kwargs: object) -> None:
        raise AssertionError("read a task back from the store")

    monkeypatch.setattr(store, "revision", unread)
    found = candidates(store)
    assert [c.source for c in found if c.team] == [f"task {own}"]
    chosen = choose(store, make_brief(AB_IDEA), budget_tokens=600)
    assert chosen is not None and chosen.source == f"task {own}"

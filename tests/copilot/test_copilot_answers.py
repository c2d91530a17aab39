"""Modules that answer without changing a task: guidelines, library, explain, review, new task."""

from __future__ import annotations

import pytest
from copilot_helpers import CAPABLE, SessionFactory, a_task, passing, with_verdicts

from coauthor.copilot import Intent, Reply, Request, Slots, proposal
from coauthor.copilot.conversation import other
from coauthor.copilot.explain import explain
from coauthor.copilot.guidelines import ask_guidelines, passages, relevant
from coauthor.copilot.library import ask_library
from coauthor.copilot.new_task import new_task
from coauthor.copilot.results import Finding, Findings, Matches, Proposal, Sections
from coauthor.copilot.review import ModelFinding, ModelReview, collected_tests, review
from coauthor.llm.base import ModelUnavailableError
from coauthor.llm.testing import ScriptedModel
from coauthor.prompts import default_master
from coauthor.schemas import Difficulty, Language, Step, Task, TaskType
from coauthor.store import Store


# -- ask_guidelines ------------------------------------------------------------------
def test_master_document_splits_into_passages_under_headings() -> None:
    found = passages("# Doc\nIntro line\ncontinues.\n\n## Rules\n- one\n- two\n")
    assert [(p.section, p.text) for p in found] == [
        ("Doc", "Intro line continues."),
        ("Rules", "one"),
        ("Rules", "two"),
    ]


@pytest.mark.parametrize(
    ("question", "section", "words"),
    [
        ("what does our master document say about hints?", "Style", "Hints guide"),
        ("Что в мастер-документе написано про подсказки?", "Style", "Hints guide"),
        ("what's our definition of done?", "Definition of done", "At least three tests"),
        ("do we allow external datasets in tasks?", "Definition of done", "network"),
        ("какие у нас принципы написания задач?", "Principles", "One step, one idea"),
    ],
)
def test_guideline_answers_quote_the_sections_used(
    session: SessionFactory, question: str, section: str, words: str
) -> None:
    reply = ask_guidelines(session(), Request.of(question))
    assert (
        reply.intent is Intent.ask_guidelines
        and isinstance(reply.result, Sections)
        and section in reply.result.sections
    )
    assert f"**{section}**" in reply.text and words in reply.text and "> " in reply.text


@pytest.mark.parametrize(
    "question", ["what's the weather in Moscow?", "who won the football match yesterday?"]
)
def test_nothing_relevant_means_no_invented_answer(session: SessionFactory, question: str) -> None:
    assert relevant(default_master(), question) == []
    reply = ask_guidelines(session(), Request.of(question))
    assert reply.text == "The master document does not cover this." and reply.result == Sections(
        sections=[]
    )


def test_a_capable_model_phrases_the_answer_from_the_quotes(session: SessionFactory) -> None:
    model = ScriptedModel(["Hints guide without giving the answer away."], capabilities=CAPABLE)
    s = session(model=model)
    reply = ask_guidelines(s, Request.of("what about hints?"))
    assert reply.text.startswith("Hints guide without") and "> Hints guide" in reply.text
    assert "> Hints guide" in model.requests[0][-1]["content"]


# -- ask_library ---------------------------------------------------------------------
def library(store: Store) -> dict[str, int]:
    def titled(title: str, domain: str, difficulty: str, kind: str, theory: str) -> Task:
        task = a_task(1, domain=domain)
        brief = task.brief.model_copy(
            update={"difficulty": Difficulty(difficulty), "task_type": TaskType(kind)}
        )
        step = task.steps[0].model_copy(update={"theory": theory})
        plan = task.plan.model_copy(update={"title": title})
        return task.model_copy(update={"brief": brief, "plan": plan, "steps": [step]})

    ids = {
        "churn": titled("Churn model for a bank", "fintech", "senior", "quest", "Churn, ROC AUC"),
        "ab": titled("Sample size for A/B tests", "e-commerce", "junior", "one-shot", "Power"),
        "ts": titled("Forecasting daily demand", "retail", "middle", "challenge", "Time series"),
    }
    found = {name: store.create_task(task).id for name, task in ids.items()}
    store.add_revision(
        found["ab"], with_verdicts(store.revision(found["ab"]).task, passing), source="verify"
    )
    return found


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("do we already have a task about A/B tests?", ["ab"]),
        ("find tasks in the fintech domain", ["churn"]),
        ("какие квесты есть в домене финтех?", ["churn"]),
        ("найди все задачи уровня senior", ["churn"]),
        ("list every one-shot task", ["ab"]),
        ("show me all unverified tasks", ["ts", "churn"]),
        ("which tasks cover time series forecasting?", ["ts"]),
    ],
)
def test_library_search_lists_matches_with_links(
    session: SessionFactory, store: Store, question: str, expected: list[str]
) -> None:
    ids = library(store)
    reply = ask_library(session(), Request.of(question))
    assert sorted(matched(reply)) == sorted(ids[name] for name in expected)
    first = ids[expected[0]]
    assert f"task {first}: " in reply.text
    assert any(link.startswith(f"task:{first}@") for link in reply.links)


def test_library_says_when_nothing_matches(session: SessionFactory, store: Store) -> None:
    assert "no tasks yet" in ask_library(session(), Request.of("tasks about graphs?")).text
    library(store)
    reply = ask_library(session(), Request.of("do we have a task about graph neural networks?"))
    assert reply.text == "No task in the library matches." and reply.links == ()


def test_similar_tasks_exclude_the_open_one(session: SessionFactory, store: Store) -> None:
    ids = library(store)
    s = session(task=a_task(1))
    reply = ask_library(s, Request.of("is there something similar to this task?"))
    assert s.task_id not in matched(reply) and ids["ab"] in matched(reply)


def test_recent_filter(session: SessionFactory, store: Store) -> None:
    ids = library(store)
    reply = ask_library(session(), Request.of("list the quests we wrote last week"))
    assert matched(reply) == [ids["churn"]]  # every task is minutes old; one is a quest


# -- explain -------------------------------------------------------------------------
def test_explain_answers_in_the_tasks_language_with_links_and_offers(
    session: SessionFactory,
) -> None:
    answer = "Мощность — вероятность найти эффект. [Wiki](https://ru.wikipedia.org/wiki/Power)."
    model = ScriptedModel([answer])
    s = session(model=model, task=a_task(2, language=Language.ru))
    reply = explain(s, Request.of("explain statistical power"))
    assert reply.text == answer and reply.links == ("https://ru.wikipedia.org/wiki/Power",)
    assert reply.suggestions == ("добавить это в теорию шага 1", "добавить это в теорию шага 2")
    assert "in Russian" in model.requests[0][-1]["content"]


def test_explain_without_a_task_uses_the_messages_language(session: SessionFactory) -> None:
    model = ScriptedModel(["Кросс-энтропия — это ..."])
    reply = explain(session(model=model), Request.of("объясни кросс-энтропию"))
    assert reply.suggestions == () and "in Russian" in model.requests[0][-1]["content"]
    named = session(model=ScriptedModel(["x"]), task=a_task(3))
    offer = explain(named, Request.of("explain it for step 2", Slots(step=2)))
    assert offer.suggestions == ("put this into the theory of step 2",)


# -- review --------------------------------------------------------------------------
def test_review_lists_concrete_findings_per_step(session: SessionFactory) -> None:
    task = a_task(2)
    weak = task.steps[1].model_copy(
        update={"links": [], "tests": "def test_one():\n    assert True\n", "flags": ["odd"]}
    )
    first = task.steps[0].model_copy(update={"verdict": passing.given})
    s = session(task=task.model_copy(update={"steps": [first, weak]}))
    reply = review(s, Request.of("review this task"))
    findings = {(f.step, f.text) for f in found(reply)}
    assert (2, "the theory has no link to a trustworthy source") in findings
    assert (2, "only 1 test(s); the definition of done asks for at least three") in findings
    assert (2, "the tests do not import from `solution`") in findings
    assert (2, "not verified since it last changed") in findings
    assert (2, "left for the author: odd") in findings
    assert not [f for f in found(reply) if f.step == 1]
    assert "Step 2:" in reply.text and "Step 1:" not in reply.text


def test_review_of_a_clean_task_and_the_model_pass(session: SessionFactory) -> None:
    task = with_verdicts(a_task(2), passing)
    review_reply = ModelReview(findings=[ModelFinding(step=2, text="Story repeats.")])
    model = ScriptedModel([review_reply], capabilities=CAPABLE)
    s = session(model=model, task=task)
    reply = review(s, Request.of("проведи ревью задачи перед релизом"))
    assert found(reply) == [Finding(step=2, text="Story repeats.", source="model")]
    assert "Шаг 2:" in reply.text and "(model)" in reply.text
    clean = review(session(task=task), Request.of("review"))
    assert "No findings" in clean.text


def test_test_count_counts_test_functions() -> None:
    assert (
        collected_tests("def test_a():\n    pass\n\nclass TestB:\n    def test_c(self): ...\n") == 2
    )
    assert collected_tests("def test_a(:\ndef test_b():") == 2


def test_review_finds_starters_that_are_the_solution_and_file_reads(
    session: SessionFactory,
) -> None:
    task = a_task(1)
    step: Step = task.steps[0]
    leaky = step.model_copy(
        update={"starter": step.solution, "tests": step.tests + "\nopen('data.csv')\n"}
    )
    s = session(task=task.model_copy(update={"steps": [leaky]}))
    texts = {f.text for f in found(review(s, Request.of("review")))}
    assert "the starter is the reference solution: it gives the answer away" in texts
    assert "the code reads files or the network; tests must create their own data" in texts


# -- new_task and other --------------------------------------------------------------
@pytest.mark.parametrize(
    ("message", "idea", "fields"),
    [
        (
            "Create a quest where students build a churn model for a telecom company",
            "Students build a churn model for a telecom company",
            {"domain": "telecom", "task_type": "quest", "language": "en"},
        ),
        (
            "let's start a challenge on time series anomaly detection, middle level",
            "Time series anomaly detection, middle level",
            {"difficulty": "middle", "task_type": "challenge"},
        ),
        (
            "Нужна новая задача про кросс-валидацию для стажёров",
            "Кросс-валидацию для стажёров",
            {"difficulty": "intern", "language": "ru"},
        ),
        (
            "generate a 4-step quest on credit scoring with gradient boosting",
            "Credit scoring with gradient boosting",
            {"steps": 4, "domain": "fintech"},
        ),
    ],
)
def test_new_task_proposes_a_brief(message: str, idea: str, fields: dict[str, object]) -> None:
    brief = proposal(message).model_dump(mode="json")
    assert brief["idea"] == idea
    assert {key: brief[key] for key in fields} == fields


def test_new_task_reply_carries_the_brief_and_starts_nothing(
    session: SessionFactory, store: Store
) -> None:
    reply = new_task(session(), Request.of("new one-shot task: implement precision@k"))
    assert reply.intent is Intent.new_task and reply.revision is None
    assert (
        isinstance(reply.result, Proposal)
        and reply.result.brief.task_type == "one-shot"
        and "Shall I generate" in reply.text
    )
    assert store.list_runs() == [] and store.list_tasks() == []


def test_other_is_one_polite_line_in_the_authors_language(session: SessionFactory) -> None:
    assert "Co-Author copilot" in other(session(), Request.of("tell me a joke")).text
    reply = other(session(), Request.of("Привет!"))
    assert reply.text.startswith("Я копилот") and "\n" not in reply.text


def test_a_failing_model_leaves_the_quotes_and_the_checks(session: SessionFactory) -> None:
    down = ModelUnavailableError("the server is down")
    s = session(model=ScriptedModel([down, down], capabilities=CAPABLE), task=a_task(1))
    assert ask_guidelines(s, Request.of("hints?")).text.startswith("From the master document")
    assert "not verified since it last changed" in review(s, Request.of("review")).text


def matched(reply: Reply) -> list[int]:
    assert isinstance(reply.result, Matches), reply.result
    return reply.result.tasks


def found(reply: Reply) -> list[Finding]:
    assert isinstance(reply.result, Findings), reply.result
    return reply.result.findings

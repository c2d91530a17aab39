"""The metric hierarchy on the fixture library (see conftest), every figure worked out by
hand here."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from coauthor.metrics.report import compute, reference_graph
from coauthor.metrics.text import (
    defined_terms,
    reading_ease,
    sentences,
    syllables,
    uses,
    well_formed_url,
)
from coauthor.schemas import Language, Link
from coauthor.schemas.metrics import BugStatus
from coauthor.settings import ModelPrice
from coauthor.store import PermissionDenied, Store

approx = pytest.approx


def test_cost(library: Store, prices: dict[str, ModelPrice]) -> None:
    cost = compute(library, prices).cost
    assert (cost.total.calls, cost.total.tokens_in, cost.total.tokens_out) == (3, 3100, 1550)
    assert cost.total.seconds == approx(3.5) and not cost.total.priced  # "local": no price
    mini = cost.by_model["gpt-4o-mini"]
    # (1000 x 0.15 + 500 x 0.6) + (2000 x 0.15 + 1000 x 0.6) = 1350 per million tokens
    assert mini.cost == approx(0.00135) and mini.priced
    assert set(cost.by_task) == {"task 1", "task 2"}
    assert set(cost.by_step) == {"task 1 step 1"}  # copilot's call is about no step
    assert cost.by_step["task 1 step 1"].tokens_in == 3000
    assert cost.by_stage["tests"].seconds == approx(1.0)
    # 2 November 2026 is the Monday of ISO week 45; the 10th falls in week 46
    assert {w: u.calls for w, u in cost.by_week.items()} == {"2026-W45": 2, "2026-W46": 1}


def test_authoring_effort(library: Store, prices: dict[str, ModelPrice]) -> None:
    effort = compute(library, prices).effort
    cart, churn = effort.tasks
    assert (cart.author, cart.compared_revision, cart.approved) == ("bob", 2, True)
    # "one two three four" -> "one two three five": 15 of 18 characters match on each
    # side, ratio 2 x 15 / 36 = 5/6; the other parts were not touched
    assert cart.kept == approx(
        {"story": 5 / 6, "theory": 1.0, "requirements": 1.0, "solution": 1.0, "tests": 1.0}
    )
    assert (cart.edits, cart.repair_rounds, cart.hours_to_approval) == (1, 0, 24.0)
    assert (churn.author, churn.approved, churn.edits, churn.repair_rounds) == ("ann", False, 0, 1)
    assert churn.hours_to_approval is None and set(churn.kept.values()) == {1.0}
    bob = effort.by_author["bob"]
    assert (bob.tasks, bob.approved, bob.mean_hours_to_approval) == (1, 1, 24.0)
    assert bob.mean_kept == approx((5 / 6 + 4) / 5)  # 29/30
    assert effort.by_author["ann"].mean_kept == 1.0
    later = compute(library, prices, since=datetime(2026, 11, 5, tzinfo=UTC)).effort
    assert [t.task_id for t in later.tasks] == [2]
    library.create_task(library.revision(1).task, source="import")  # task 3, by ann
    copied = compute(library, prices).effort
    assert (copied.tasks[2].generated, copied.tasks[2].kept) == (False, {})
    ann = copied.by_author["ann"]
    assert (ann.tasks, ann.mean_kept) == (2, 1.0)  # the import has no generated text


def test_correctness(library: Store, prices: dict[str, ModelPrice]) -> None:
    c = compute(library, prices).correctness
    assert (c.steps, c.verified) == (3, 2) and c.verified_share == approx(2 / 3)
    scores = c.mutation_scores
    assert (scores.count, scores.minimum, scores.median, scores.maximum) == (2, 0.5, 0.75, 1.0)
    assert c.mutation_buckets == {"<0.5": 0, "0.5-0.8": 1, ">=0.8": 1}
    assert c.tests_per_step == approx((2 + 2 + 4) / 3)
    assert (c.coverage.count, c.coverage.mean) == (2, 80.0)
    assert (c.weak_tests, c.repair_rounds, c.flags_open) == (1, 1, 1)


def test_text(library: Store, prices: dict[str, ModelPrice]) -> None:
    t = compute(library, prices).text
    # stories: "one two three five" (4 words), "alpha beta" (2), "gamma" (1)
    assert (t.story_words.minimum, t.story_words.median, t.story_words.maximum) == (1, 2, 4)
    assert t.story_words.mean == approx(7 / 3) and t.theory_words.mean == 9
    # story + theory, 3 sentences each; every word one syllable but alpha, beta, gamma (2):
    # 13 words 13 syllables; 11 words 13 syllables; 10 words 11 syllables
    expected = [
        206.835 - 1.015 * 13 / 3 - 84.6 * 13 / 13,
        206.835 - 1.015 * 11 / 3 - 84.6 * 13 / 11,
        206.835 - 1.015 * 10 / 3 - 84.6 * 11 / 10,
    ]
    assert t.readability["en"].mean == approx(sum(expected) / 3)
    assert t.readability["en"].minimum == approx(min(expected))
    assert t.links_per_step == 2.0 and t.well_formed_links == 0.5


def test_readability_formulas() -> None:
    # Мама мыла раму: 3 words, 6 syllables, 1 sentence (Oborneva)
    assert reading_ease("Мама мыла раму.", Language.ru) == approx(206.835 - 1.3 * 3 - 60.1 * 2)
    assert [syllables(w, Language.en) for w in ("five", "table", "three", "data")] == [1, 2, 1, 2]
    assert sentences("One. Two!\n\nThree") == 3 and reading_ease("123", Language.en) is None
    assert well_formed_url("https://docs.python.org/3/") and not well_formed_url("ftp://x.org")
    assert not well_formed_url("http://nohost")


def test_library(library: Store, prices: dict[str, ModelPrice]) -> None:
    lib = compute(library, prices).library
    assert lib.domains == {"analytics": 1, "e-commerce": 1} and lib.difficulties == {"junior": 2}
    assert lib.entropy == {"domains": 1.0, "difficulties": 0.0, "types": 0.0, "lessons": 0.0}
    assert lib.near_duplicates == [] and lib.references == []
    cart = library.revision(1).task.model_copy(deep=True)
    library.create_task(cart, source="duplicate")  # task 3: the same title, idea and domain
    churn = library.revision(2).task.model_copy(deep=True)
    churn.steps[1].theory = "Unlike the Cart totals task, this one plots."
    library.add_revision(2, churn, source="edit")
    lib = compute(library, prices).library
    assert [(d.first, d.second) for d in lib.near_duplicates] == [(1, 3)]
    assert lib.near_duplicates[0].similarity == approx(1.0)
    assert lib.references == [(2, 1), (2, 3)]  # both are titled "Cart totals"
    # three tasks, domains 2:1 -> -(2/3 log2 2/3 + 1/3 log2 1/3)
    assert lib.entropy["domains"] == approx(0.9182958)


def test_bugs(library: Store, prices: dict[str, ModelPrice]) -> None:
    rita = library.acting_as("rita")
    first = rita.file_bug(1, "Step 1 says four, the test wants five")
    rita.file_bug(1, "Typo in the theory")
    library.file_bug(2, "Link is broken")
    closed = library.acting_as("bob").close_bug(first.id)
    assert (closed.status, closed.closed_by) == (BugStatus.closed, "bob")
    assert [b.reporter for b in library.bugs(1)] == ["rita", "rita"]
    figures = compute(library, prices).bugs
    assert (figures.open, figures.closed) == (2, 1)
    assert figures.by_task == {"task 1": 1, "task 2": 1}
    assert figures.by_author == {"ann": 1, "bob": 1}
    assert figures.closed_by_task == {"task 1": 1} and figures.closed_by_author == {"bob": 1}
    with pytest.raises(PermissionDenied):
        library.acting_as("mallory").file_bug(1, "not a member")
    with pytest.raises(ValueError, match="needs some text"):
        library.file_bug(1, "  ")


def test_terms_defined_in_theory_and_used_in_requirements(
    library: Store, prices: dict[str, ModelPrice]
) -> None:
    assert compute(library, prices).text.terms_defined == 0  # no emphasis in the fixture
    churn = library.revision(2).task.model_copy(deep=True)
    churn.steps[0].theory = "A **churn rate** is the share lost; a _cohort_ is a group (`__x__`)."
    churn.steps[0].requirements = ["Return the Churn Rate of each month"]
    churn.steps[1].theory = "The __survival curve__ falls. Multiply a * b * c."
    library.add_revision(2, churn, source="edit")
    t = compute(library, prices).text
    # step 1 defines "churn rate" and "cohort" (code is no term), its requirements use the
    # first; step 2 defines "survival curve" (a * b * c is no emphasis), unused: 1 of 3
    assert {k: (v.defined, v.used) for k, v in t.terms.items()} == {
        "task 2 step 1": (["churn rate", "cohort"], ["churn rate"]),
        "task 2 step 2": (["survival curve"], []),
    }
    assert (t.terms_defined, t.terms_used) == (3, 1) and t.terms_used_share == approx(1 / 3)
    assert defined_terms("**a b c d e**, *one* and *One*") == ["one"]  # 5 words: no term
    assert uses("churn rate", "the churn, rate") and not uses("rate", "rates")


def test_cross_reference_graph(library: Store, prices: dict[str, ModelPrice]) -> None:
    churn = library.revision(2).task.model_copy(deep=True)
    churn.steps[0].links.append(Link(title="Cart totals, the warm-up", url="https://x.org/a"))
    library.add_revision(2, churn, source="edit")
    loyalty = library.revision(1).task.model_copy(deep=True)
    loyalty.plan.title = "Loyalty points"
    loyalty.brief.idea = "Reward repeat buyers"
    loyalty.steps[0].links = [
        Link(title="Before this", url="http://127.0.0.1:8501/editor?task=1"),
        Link(title="Nowhere", url="http://127.0.0.1:8501/editor?task=9"),  # no such task
    ]
    library.create_task(loyalty, source="generate")  # task 3
    lib = compute(library, prices).library
    # task 2 names "Cart totals" in a link's title; task 3 links to task 1 in the studio
    assert lib.references == [(2, 1), (3, 1)]
    assert lib.titles == {"1": "Cart totals", "2": "Churn curve", "3": "Loyalty points"}
    dot = reference_graph(lib)
    assert dot.startswith("digraph references {") and dot.endswith("}")
    assert 't3 [label="3 Loyalty points"];' in dot
    assert [line.strip() for line in dot.splitlines() if "->" in line] == ["t2 -> t1;", "t3 -> t1;"]

"""Mutant generation: each operator makes the change it names, mutants are valid, new and
distinct, and sampling is capped, deterministic and spread over operators."""

from __future__ import annotations

import ast

import pytest

from coauthor.mutation import generate, mutant_source
from coauthor.mutation.operators import OPERATORS

SOURCE = '''"""A module docstring is never mutated."""


def clamp_sum(values: list[int], limit: int = 10) -> int:
    """Sum the values that are not negative, capped at limit."""
    total = 0
    for value in values:
        if value < 0 or value is None:
            continue
        total += value * 2
    if not values:
        raise ValueError("no values at all")
    label = "sum"
    ok = True
    return min(total, limit) if ok and label else -total
'''


def changes(operator: str) -> list[str]:
    return [m.mutant.change for m in generate(SOURCE, 500) if m.mutant.operator == operator]


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        ("boundary", "`<` became `<=`"),
        ("comparison", "`<` became `>=`"),
        ("comparison", "`is` became `is not`"),
        ("arithmetic", "`*` became `/`"),
        ("arithmetic", "`+=` became `-=`"),
        ("arithmetic", "unary `-` removed before `total`"),
        ("boolean", "`or` became `and`"),
        ("boolean", "`and` became `or`"),
        ("boolean", "`True` became `False`"),
        ("boolean", "`not` removed before `values`"),
        ("constant", "`0` became `1`"),
        ("constant", "`2` became `3`"),
        ("constant", "`2` became `1`"),
        ("constant", '`"sum"` became `""`'),
        ("condition", "the condition `value < 0 or value is None` negated"),
        ("condition", "the condition `not values` removed (always true)"),
        ("statement", "`total += value * 2` removed"),
        ("statement", "`continue` removed"),
        ("statement", '`raise ValueError("no values at all")` removed'),
        (
            "statement",
            "`return min(total, limit) if ok and label else -total` became `return None`",
        ),
        ("arguments", "the arguments `total` and `limit` of `min(...)` swapped"),
    ],
)
def test_each_operator_makes_the_change_it_names(operator: str, expected: str) -> None:
    assert expected in changes(operator)


def test_the_mutant_source_holds_the_change_on_its_line_and_nothing_else() -> None:
    made = {m.mutant.change: m for m in generate(SOURCE, 500)}
    boundary = made["`<` became `<=`"]
    original, mutated = SOURCE.splitlines(), boundary.source.splitlines()
    differing = [n for n, (a, b) in enumerate(zip(original, mutated, strict=True), 1) if a != b]
    assert differing == [boundary.mutant.line] == [8]
    assert mutated[7] == "        if value <= 0 or value is None:"
    assert "-        if value < 0 or value is None:" in boundary.mutant.diff
    assert "+        if value <= 0 or value is None:" in boundary.mutant.diff


def test_docstrings_annotations_and_raise_messages_are_left_alone() -> None:
    every = generate(SOURCE, 500)
    texts = " ".join(m.mutant.change for m in every)
    assert "docstring" not in texts and "Sum the values" not in texts
    assert 'no values at all"` became' not in texts
    assert all("list[int]" in m.source for m in every)


def test_every_mutant_parses_differs_from_the_solution_and_from_the_others() -> None:
    every = generate(SOURCE, 500)
    original = ast.dump(ast.parse(SOURCE))
    dumps = [ast.dump(ast.parse(m.source)) for m in every]
    assert original not in dumps
    assert len(set(dumps)) == len(dumps)
    assert len({m.id for m in every}) == len(every)
    assert {m.mutant.operator for m in every} == set(OPERATORS)


def test_sampling_is_capped_deterministic_and_spread_over_operators_and_lines() -> None:
    first = generate(SOURCE, 16)
    again = generate(SOURCE, 16)
    assert len(first) == 16
    assert [m.id for m in first] == [m.id for m in again]
    assert [m.source for m in first] == [m.source for m in again]
    assert {m.mutant.operator for m in first} == set(OPERATORS)  # 2 per operator
    lines = {m.mutant.line for m in first}
    assert len(lines) >= 5
    assert generate(SOURCE, 0) == []


def test_ids_are_stable_when_unrelated_lines_move() -> None:
    moved = "import math\n\n" + SOURCE
    ids = {m.id: m.mutant.change for m in generate(SOURCE, 500)}
    moved_ids = {m.id: m.mutant.change for m in generate(moved, 500)}
    assert set(ids) <= set(moved_ids)
    assert all(moved_ids[i] == change for i, change in ids.items())


def test_mutant_source_finds_a_mutant_by_id() -> None:
    chosen = generate(SOURCE, 10)[3]
    assert mutant_source(SOURCE, chosen.id, 10) == chosen.source
    assert mutant_source(SOURCE, "no-such-id", 10) is None


def test_a_solution_that_does_not_parse_has_no_mutants() -> None:
    assert generate("def broken(:\n", 40) == []

from __future__ import annotations

import pytest

from coauthor.copilot.slots import extract, language
from coauthor.schemas import Language


@pytest.mark.parametrize(
    ("text", "step"),
    [
        ("make the story in step 2 shorter", 2),
        ("step #4: fix the requirements", 4),
        ("rewrite the second step's story", 2),
        ("the theory of step three", 3),
        ("3rd step needs work", 3),
        ("Сократи легенду во втором шаге", 2),
        ("проверь граничные случаи в тестах третьего шага", 3),
        ("нужны скрытые тесты для шага 4", 4),
        ("на 2 шаге поправь тесты", 2),
        ("2-й шаг слишком длинный", 2),
        ("в четвёртом шаге", 4),
        ("шестой шаг", 6),
    ],
)
def test_step_numbers_in_both_languages(text: str, step: int) -> None:
    assert extract(text).step == step


@pytest.mark.parametrize(
    "text",
    [
        "generate a 4-step quest on credit scoring",
        "хочу квест из 5 шагов про скоринг",
        "квест в 3 шага",
        "пятьдесят шагов",
        "a one-shot task",
    ],
)
def test_a_count_of_steps_is_not_a_step(text: str) -> None:
    assert extract(text).step is None


def test_last_step_resolves_only_with_a_task() -> None:
    assert extract("cover edge cases in the tests of the last step").step is None
    assert extract("cover edge cases in the tests of the last step").last_step
    assert extract("перепиши требования последнего шага", steps=5).step == 5


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("Сократи легенду во втором шаге", "story"),
        ("история первого шага", "story"),
        ("перепиши теорию в шаге 1", "theory"),
        ("добавь в шаг 2 ссылку на статью", "theory"),
        ("в третьем шаге требования к решению размытые", "requirements"),
        ("упрости шаблон кода", "starter"),
        ("the starter code for step 4", "starter"),
        ("эталонное решение", "solution"),
        ("change the reference solution in step 2", "solution"),
        ("rewrite the tests", "tests"),
        ("make step 3 harder", None),
    ],
)
def test_parts_and_their_synonyms(text: str, part: str | None) -> None:
    assert extract(text).part == part


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("export this task to Notion", "notion"),
        ("Выгрузи задачу в ноушен", "notion"),
        ("опубликуй в ноушене", "notion"),
        ("сделай ноутбук для otter-grader", "otter"),
        ("give me the otter notebook", "otter"),
        ("a jupyter notebook please", "otter"),
        ("I need an nbgrader version", "nbgrader"),
        ("сохрани задачу в json", "json"),
        ("экспортируй в маркдаун", "markdown"),
        ("export the task", None),
    ],
)
def test_export_formats(text: str, fmt: str | None) -> None:
    assert extract(text).format == fmt


def test_language_follows_the_letters_not_the_code_words() -> None:
    assert language("сделай ноутбук для otter-grader") is Language.ru
    assert language("Выгрузи в markdown") is Language.ru
    assert language("export as JSON please") is Language.en
    assert language("NDCG@k") is Language.en

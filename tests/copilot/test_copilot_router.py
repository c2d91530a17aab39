"""Router tests on messages the classifier did not train on.

Accuracy is cross-validated inside the test (fixed seed), so nothing here tunes
the classifier to a test set; slot rules are not trained, so they are scored on
the whole labelled development set.
"""

from __future__ import annotations

import pytest

from coauthor.copilot import (
    DecidedBy,
    Intent,
    IntentClassifier,
    Router,
    cross_validated,
    default_classifier,
    shipped_examples,
)
from coauthor.copilot.classifier import DEV_EXAMPLES, Example
from coauthor.copilot.evaluation import score, slots_match
from coauthor.copilot.router import RouteReply, parse_tags
from coauthor.llm.base import InvalidReplyError
from coauthor.llm.testing import ScriptedModel
from coauthor.schemas.calls import Usage


def dev_set() -> list[Example]:
    own = {e.text for e in shipped_examples(dev=False)}
    return [e for e in shipped_examples() if e.text not in own]


def test_shipped_data_has_every_intent_in_both_languages() -> None:
    own = shipped_examples(dev=False)
    assert len(dev_set()) == 100 and DEV_EXAMPLES.endswith(".jsonl")
    for intent in Intent:
        mine = [e for e in own if e.intent is intent]
        assert len(mine) >= 30, intent
        assert any(any("а" <= c <= "я" for c in e.text.lower()) for e in mine), intent


@pytest.mark.slow
def test_cross_validated_intent_accuracy_is_at_least_90_percent() -> None:
    pairs = cross_validated(shipped_examples(), folds=5, seed=0)
    accuracy = sum(want is got for want, got in pairs) / len(pairs)
    assert accuracy >= 0.9, f"cross-validated accuracy {accuracy:.1%}"


def test_slot_accuracy_on_the_dev_set_is_at_least_90_percent() -> None:
    scored = [m for e in dev_set() if (m := slots_match(e)) is not None]
    assert len(scored) >= 30
    assert sum(scored) / len(scored) >= 0.9


def test_held_out_messages_route_right() -> None:
    """Messages written for this test, in neither training file."""
    router = Router(default_classifier())
    cases = {
        "please shorten the story of step 3": Intent.edit_step,
        "добавь тест на пустую строку в шаг 2": Intent.add_tests,
        "export the quest as an nbgrader assignment": Intent.export,
        "что такое доверительный интервал?": Intent.explain,
        "do we have any tasks about pricing?": Intent.ask_library,
        "what does the master document say about units?": Intent.ask_guidelines,
        "привет, как дела?": Intent.other,
    }
    result = score(router, [Example(text, intent) for text, intent in cases.items()])
    assert result.accuracy >= 6 / 7, result.misses


def test_classifier_is_deterministic_and_ranks_every_intent() -> None:
    examples = shipped_examples(dev=False)
    first = IntentClassifier.fit(examples).ranking("make step 2 shorter")
    second = IntentClassifier.fit(examples).ranking("make step 2 shorter")
    assert first == second
    assert {intent for intent, _ in first} == set(Intent)
    assert sum(p for _, p in first) == pytest.approx(1.0)


def test_a_confident_classifier_decides_with_slots() -> None:
    decision = Router(default_classifier()).route("Сократи легенду во втором шаге")
    assert decision.intent is Intent.edit_step and decision.decided_by is DecidedBy.classifier
    assert decision.slots.step == 2 and decision.slots.part == "story"
    assert decision.language.value == "ru"


def unsure_router(model: ScriptedModel | None, *, structured: bool = True) -> Router:
    """A router whose classifier is never confident enough, so the model is asked."""
    ask = None if model is None else (lambda: model)
    return Router(default_classifier(), model=ask, structured=structured, threshold=1.01)


def test_an_unsure_classifier_hands_over_to_a_capable_model() -> None:
    model = ScriptedModel([RouteReply(intent="add_tests", step=4, confidence=0.9)])
    decision = unsure_router(model).route("the thing in step four needs more cases", steps=5)
    assert decision.intent is Intent.add_tests and decision.decided_by is DecidedBy.model
    assert decision.slots.step == 4
    model.assert_done()


def test_rule_slots_win_over_the_model() -> None:
    model = ScriptedModel([RouteReply(intent="edit_step", step=1, part="tests", confidence=0.8)])
    decision = unsure_router(model).route("rewrite the story in step 2", steps=3)
    assert (decision.slots.step, decision.slots.part) == (2, "story")


def test_without_structured_output_the_model_answers_in_tags() -> None:
    tags = "<intent>export</intent><step></step><part></part><format>json</format>"
    model = ScriptedModel([f"{tags}<confidence>0.8</confidence>"])
    decision = unsure_router(model, structured=False).route("ship it as data")
    assert decision.intent is Intent.export and decision.slots.format == "json"
    assert "<intent>" in model.requests[0][-1]["content"]


def test_a_model_that_fails_structured_output_falls_back_to_tags() -> None:
    refused = InvalidReplyError("no", last_reply="", usage=Usage())
    model = ScriptedModel([refused, "<intent>review</intent><confidence>0.9</confidence>"])
    decision = unsure_router(model).route("is it any good")
    assert decision.intent is Intent.review and decision.decided_by is DecidedBy.model


def test_when_both_are_unsure_nobody_decides() -> None:
    model = ScriptedModel([RouteReply(intent="unclear", confidence=0.9)])
    decision = unsure_router(model).route("hmm, step 2")
    assert decision.decided_by is DecidedBy.nobody and not decision.sure
    assert len(decision.candidates) == 3
    offline = unsure_router(None).route("hmm, step 2")
    assert offline.decided_by is DecidedBy.nobody


def test_parse_tags_rejects_unknown_intents() -> None:
    assert parse_tags("<intent>dance</intent>") is None
    parsed = parse_tags("<intent>verify</intent><step>13</step><confidence>x</confidence>")
    assert parsed is not None and parsed.step is None and parsed.confidence == 0.5

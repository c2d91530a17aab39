"""Scoring the router on labelled messages: shared by ``bench/router.py`` and the tests."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from coauthor.copilot.classifier import Example
from coauthor.copilot.intents import INTENT_SLOTS, DecidedBy, Intent
from coauthor.copilot.router import Router
from coauthor.copilot.slots import extract


def slots_match(example: Example) -> bool | None:
    """Whether the rules find exactly the labelled slots of the example's intent
    (a slot the label lacks must stay empty); None if the intent takes no slots."""
    wanted = INTENT_SLOTS.get(example.intent)
    if not wanted:
        return None
    labelled = {key: value for key, value in example.slots.items() if key in wanted}
    return extract(example.text).for_intent(example.intent) == labelled


@dataclass
class Score:
    """Results of routing labelled messages offline (classifier only)."""

    total: int = 0
    correct: int = 0
    decided: int = 0  # confident enough to act without asking
    decided_correct: int = 0
    per_intent: dict[Intent, list[int]] = field(default_factory=dict)  # [n, correct]
    slots_total: int = 0
    slots_correct: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    misses: list[tuple[str, Intent, Intent]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def slot_accuracy(self) -> float:
        return self.slots_correct / self.slots_total if self.slots_total else 1.0


def score(router: Router, examples: Sequence[Example]) -> Score:
    """Route every example; accuracy counts the classifier's top intent even when unsure."""
    result = Score()
    for example in examples:
        started = time.perf_counter()
        decision = router.route(example.text)
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        right = decision.intent is example.intent
        counts = result.per_intent.setdefault(example.intent, [0, 0])
        counts[0] += 1
        counts[1] += right
        result.total += 1
        result.correct += right
        if decision.decided_by is not DecidedBy.nobody:
            result.decided += 1
            result.decided_correct += right
        if not right:
            result.misses.append((example.text, example.intent, decision.intent))
        matched = slots_match(example)
        if matched is not None:
            result.slots_total += 1
            result.slots_correct += matched
    return result

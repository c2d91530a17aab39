"""The intent router: the offline classifier when it is confident, else a capable model,
else one clarifying question. Slots always come from the rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from pydantic import Field

from coauthor.copilot.classifier import IntentClassifier, default_classifier
from coauthor.copilot.intents import DecidedBy, Decision, Intent, Slots
from coauthor.copilot.slots import extract, language
from coauthor.export import ExportFormat, formats
from coauthor.llm.base import Model, ModelError
from coauthor.pipeline.parts import Part
from coauthor.prompts import render
from coauthor.schemas import MAX_STEPS, Strict
from coauthor.schemas.calls import Message

CLASSIFIER_THRESHOLD = 0.45  # below it the classifier's guess is wrong about half the time
MODEL_THRESHOLD = 0.5


class RouteReply(Strict):
    """What a capable model answers when asked where a message goes."""

    intent: Intent | Literal["unclear"]
    step: int | None = Field(default=None, ge=1, le=MAX_STEPS)
    part: Part | None = None
    format: ExportFormat | None = None
    confidence: float = Field(default=0.5, ge=0, le=1)


class Router:
    """Decides the intent of one message. ``model`` is asked only when the classifier is unsure."""

    def __init__(
        self,
        classifier: IntentClassifier | None = None,
        *,
        model: Callable[[], Model] | None = None,
        structured: bool = True,
        threshold: float = CLASSIFIER_THRESHOLD,
    ) -> None:
        self.classifier = classifier or default_classifier()
        self.model = model
        self.structured = structured
        self.threshold = threshold

    def route(self, message: str, *, steps: int | None = None, title: str = "") -> Decision:
        slots = extract(message, steps=steps)
        lang = language(message)
        ranking = self.classifier.ranking(message)
        top, confidence = ranking[0]
        candidates = ranking[:3]
        if confidence >= self.threshold:
            return Decision(top, confidence, DecidedBy.classifier, slots, lang, candidates)
        if self.model is not None:
            reply = self._ask_model(self.model(), message, steps=steps, title=title)
            if reply is not None and _sure(reply):
                merged = _merged(slots, reply, steps=steps)
                intent = Intent(reply.intent)
                return Decision(intent, reply.confidence, DecidedBy.model, merged, lang, candidates)
        return Decision(top, confidence, DecidedBy.nobody, slots, lang, candidates)

    def _ask_model(
        self, model: Model, message: str, *, steps: int | None, title: str
    ) -> RouteReply | None:
        if self.structured:
            values = {"message": message, "task_title": title, "steps": steps or 0}
            prompt: list[Message] = [
                {"role": "user", "content": render("copilot_route.j2", **values)}
            ]
            try:
                return model.generate(prompt, output=RouteReply, max_tokens=200)
            except ModelError:
                pass  # no structured output here: the tags below need none
        try:
            text = model.text(
                [{"role": "user", "content": render("copilot_route_xml.j2", message=message)}],
                max_tokens=200,
            )
        except ModelError:
            return None
        return parse_tags(text)


def parse_tags(text: str) -> RouteReply | None:
    """The XML-tag answer of a model without structured output, or None if it has no intent."""
    intent = _tag(text, "intent")
    if intent not in {*(i.value for i in Intent), "unclear"}:
        return None
    step, part, fmt = _tag(text, "step"), _tag(text, "part"), _tag(text, "format")
    try:
        confidence = min(max(float(_tag(text, "confidence")), 0.0), 1.0)
    except ValueError:
        confidence = 0.5
    values = {
        "intent": intent,
        "step": int(step) if step.isdigit() and 1 <= int(step) <= MAX_STEPS else None,
        "part": part if part in {p.value for p in Part} else None,
        "format": fmt if fmt in formats() else None,
        "confidence": confidence,
    }
    return RouteReply.model_validate(values)


def _tag(text: str, name: str) -> str:
    found = re.search(rf"<{name}>(.*?)</{name}>", text, re.S)
    return found.group(1).strip().lower() if found else ""


def _sure(reply: RouteReply) -> bool:
    return reply.intent != "unclear" and reply.confidence >= MODEL_THRESHOLD


def _merged(rules: Slots, reply: RouteReply, *, steps: int | None) -> Slots:
    """The rules' slots, with the model's filling what the rules did not find."""
    step = rules.step if rules.step is not None else reply.step
    if step is not None and steps is not None and step > steps:
        step = rules.step
    part = rules.part or (reply.part.value if reply.part else None)
    return Slots(
        step=step,
        part=None if rules.figure else part,
        format=rules.format or (reply.format.value if reply.format else None),
        last_step=rules.last_step,
        repair=rules.repair,
        figure=rules.figure,
    )

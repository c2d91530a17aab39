"""The ``explain`` intent: a short explanation with links, in the task's language,
with an offer to put it into a step's theory."""

from __future__ import annotations

import re

from coauthor.copilot.intents import Intent
from coauthor.copilot.phrases import say
from coauthor.copilot.results import Explanation
from coauthor.copilot.session import Reply, Request, Session
from coauthor.pipeline.context import LANGUAGE_NAMES
from coauthor.prompts import render

_URL = re.compile(r"https?://[^\s)\]>\"']+")
OFFERS = 4  # offer at most this many steps when the message names none


def explain(session: Session, request: Request) -> Reply:
    lang = request.language
    values: dict[str, object] = {"question": request.text, "sentences": 6, "task_title": ""}
    steps = 0
    if session.task_id is not None:
        task = session.head().task
        lang, steps = task.brief.language, len(task.steps)
        values.update(
            task_title=task.title, domain=task.brief.domain, difficulty=task.brief.difficulty
        )
    prompt = render("copilot_explain.j2", language=LANGUAGE_NAMES[lang], **values)
    text = session.llm().text([{"role": "user", "content": prompt}], max_tokens=500).strip()
    links = tuple(dict.fromkeys(url.rstrip(".,;") for url in _URL.findall(text)))
    offers = _offers(request, steps)
    return Reply(
        text,
        Intent.explain,
        links=links,
        suggestions=tuple(say("offer_theory", lang, step=n) for n in offers),
        result=Explanation(language=lang, offers=offers),
    )


def _offers(request: Request, steps: int) -> list[int]:
    """The steps whose theory the explanation could go into."""
    if not steps:
        return []
    named = request.slots.step
    return [named] if named and named <= steps else list(range(1, min(steps, OFFERS) + 1))

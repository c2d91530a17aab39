"""Replies that change nothing: ``other`` (what the copilot can do) and the one
clarifying question asked when neither the classifier nor a model is sure."""

from __future__ import annotations

from coauthor.copilot.intents import Decision, Intent
from coauthor.copilot.phrases import describe, say
from coauthor.copilot.results import Clarify
from coauthor.copilot.session import Reply, Request, Session


def other(session: Session, request: Request) -> Reply:
    return Reply(say("other", request.language), Intent.other)


def clarify(decision: Decision) -> Reply:
    """Ask which of the two likeliest intents the author means."""
    lang = decision.language
    choices = [intent for intent, _ in decision.candidates[:2]] or [decision.intent]
    if len(choices) == 1:
        choices.append(Intent.other if choices[0] is not Intent.other else Intent.explain)
    text = say("clarify", lang, first=describe(choices[0], lang), second=describe(choices[1], lang))
    return Reply(
        text,
        None,
        suggestions=tuple(describe(intent, lang) for intent in choices),
        result=Clarify(choices=choices),
    )

"""The copilot: one chat that routes an author's message to the module that does it.

A page or a command builds a ``Session`` and calls ``handle(session, message)``;
the ``Reply`` says what was done, which revision it made and what to open next.
"""

from coauthor.copilot.chat import MODULES, decide, handle
from coauthor.copilot.classifier import (
    Example,
    IntentClassifier,
    cross_validated,
    default_classifier,
    shipped_examples,
)
from coauthor.copilot.editing import put_into_theory
from coauthor.copilot.intents import DecidedBy, Decision, Intent, Slots
from coauthor.copilot.new_task import proposal
from coauthor.copilot.router import Router
from coauthor.copilot.session import CopilotError, Reply, Request, Session, open_session
from coauthor.copilot.slots import extract

__all__ = [
    "MODULES",
    "CopilotError",
    "DecidedBy",
    "Decision",
    "Example",
    "Intent",
    "IntentClassifier",
    "Reply",
    "Request",
    "Router",
    "Session",
    "Slots",
    "cross_validated",
    "decide",
    "default_classifier",
    "extract",
    "handle",
    "open_session",
    "proposal",
    "put_into_theory",
    "shipped_examples",
]

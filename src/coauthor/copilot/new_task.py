"""The ``new_task`` intent: a proposed brief from the message (idea, and the domain,
difficulty, type, language and step count where the message says them).

Starting the generation is the caller's job (the studio's button, the CLI's
"generate now?"), so an unclear message never starts a long run.
"""

from __future__ import annotations

import re

from coauthor.copilot.intents import Intent
from coauthor.copilot.phrases import say
from coauthor.copilot.results import Proposal
from coauthor.copilot.session import Reply, Request, Session
from coauthor.copilot.slots import DIFFICULTY_WORDS, DOMAIN_WORDS, TYPE_WORDS, normalized
from coauthor.pipeline.brief import make_brief
from coauthor.schemas import MAX_STEPS, TaskBrief

_STEPS = re.compile(r"\b(\d{1,2})[\s-]*(?:steps?\b|шаг)")
# How a request opens, before the idea itself ("I need a new task about ...").
_LEAD = re.compile(
    r"^(?:(?:please|can you|could you|let's|i'd like|i want|i need|we need|"
    r"давай(?:те)?|пожалуйста|хочу|нужн[ао]|можешь)\s+)*"
    r"(?:(?:create|generate|make|write|draft|build|start|compose|prepare|set up|put together|"
    r"do|come up with|созда[йт]\w*|сгенерируй|сделай|сделаем|напиши|придума\w*|подготовь|"
    r"запусти генерацию)\s+)?"
    r"(?:(?:me|us|a|an|the|new|fresh|one-shot|multi-step|\d+-step|новую|новая|новый|"
    r"новое|одношаговую)\s+)*"
    r"(?:task|quest|challenge|exercise|assignment|problem|задач\w*|квест\w*|челлендж\w*|"
    r"задани\w*|упражнени\w*)?"
    r"(?:\s+idea)?(?:\s+please)?\s*(?:about|on|where|for|про|по|на тему|о|об|где|:|-|—)?\s*",
    re.IGNORECASE,
)
_DOMAIN_PHRASE = re.compile(
    r",?\s*(?:\bin the [\w-]+ domain\b|\b[\w-]+ domain\b|\bв домене [\w-]+)", re.IGNORECASE
)
_COUNT_PHRASE = re.compile(
    r"(?:\b(?:in|of|with|из|в)\s+)?\b\d{1,2}[\s-]*(?:steps?\b|шаг[а-я]*)", re.IGNORECASE
)
_CONNECTOR = re.compile(r"^(?:about|on|where|про|по|о|об|где)\s+", re.IGNORECASE)


def proposal(text: str) -> TaskBrief:
    """The brief a message asks for; what it does not say keeps the defaults."""
    norm = normalized(text)
    steps = _STEPS.search(norm)
    return make_brief(
        idea(text),
        domain=_first(DOMAIN_WORDS, norm) or _explicit_domain(norm) or "e-commerce",
        difficulty=_first(DIFFICULTY_WORDS, norm) or "junior",
        task_type=_first(TYPE_WORDS, norm) or "quest",
        language=Request.of(text).language.value,
        steps=min(int(steps.group(1)), MAX_STEPS) if steps and int(steps.group(1)) else 3,
    )


def idea(text: str) -> str:
    """The message without the request around it; the whole message if nothing is left."""
    stripped = _COUNT_PHRASE.sub("", _LEAD.sub("", text.strip(), count=1))
    stripped = _DOMAIN_PHRASE.sub("", stripped)
    stripped = _CONNECTOR.sub("", stripped.strip(" .,:;!-—")).strip(" .,:;!-—")
    return stripped[:1].upper() + stripped[1:] if len(stripped) >= 8 else text.strip()


def new_task(session: Session, request: Request) -> Reply:
    brief = proposal(request.text)
    text = say(
        "proposal",
        request.language,
        idea=brief.idea,
        domain=brief.domain,
        difficulty=brief.difficulty.value,
        type=brief.task_type.value,
        language=brief.language.value,
        steps=brief.steps,
    )
    return Reply(text, Intent.new_task, result=Proposal(brief=brief))


def _first(table: dict[str, str], norm: str) -> str | None:
    hits = [(m.start(), key) for key, pattern in table.items() if (m := re.search(pattern, norm))]
    return min(hits)[1] if hits else None


def _explicit_domain(norm: str) -> str | None:
    found = re.search(r"\b(?:in the|в)\s+([\w-]{3,30})\s+(?:domain|домене)", norm)
    found = found or re.search(r"(?:domain|домен[а-я]*)[:\s]+([\w-]{3,30})", norm)
    return found.group(1) if found else None

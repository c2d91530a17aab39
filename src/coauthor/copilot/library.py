"""The ``ask_library`` intent: finds tasks by title, lessons, domain and text.

Filters the message names (difficulty, task type, domain, verified or not, made
recently) narrow the library first; what is left of the message is a TF-IDF
query over each task's head revision. "Similar to this task" searches with the
open task's own text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from coauthor.copilot.intents import Intent
from coauthor.copilot.phrases import say
from coauthor.copilot.results import Matches
from coauthor.copilot.retrieval import Index, content
from coauthor.copilot.session import Reply, Request, Session
from coauthor.copilot.slots import DIFFICULTY_WORDS, DOMAIN_WORDS, TYPE_WORDS, normalized
from coauthor.schemas import Task
from coauthor.store import TaskInfo

THRESHOLD = 0.1
LIMIT = 10

_UNVERIFIED = r"\bunverified|\bnot verified|\bunchecked|непровер|не провер|без провер"
_VERIFIED = r"\bverified|\bchecked|провер"
_RECENT = {
    1: r"\btoday|сегодня",
    7: r"\b(?:last|this|past) week|недел",
    31: r"\b(?:last|this|past) month|месяц",
}
_SIMILAR = r"\bsimilar|\blike this|похож|аналогичн"
_DOMAIN_WORD = r"\bdomains?\b|домен"
_FRAME = r"\bdomains?\b|домен[а-я]*|\blevel\b|уровн[а-я]*"


@dataclass(frozen=True)
class Match:
    info: TaskInfo
    task: Task
    score: float


def ask_library(session: Session, request: Request) -> Reply:
    lang = request.language
    tasks = session.store.list_tasks()
    if not tasks:
        return Reply(say("library_empty", lang), Intent.ask_library, result=Matches(tasks=[]))
    heads = {info.id: session.store.revision(info.id).task for info in tasks}
    matches = search(request.text, tasks, heads, current=session.task_id)
    if not matches:
        return Reply(say("library_none", lang), Intent.ask_library, result=Matches(tasks=[]))
    lines = [f"- task {m.info.id}: {m.info.title} ({_facts(m.info)})" for m in matches]
    links = tuple(f"task:{m.info.id}@{m.info.head_revision}" for m in matches)
    return Reply(
        "\n".join([say("library_found", lang), *lines]),
        Intent.ask_library,
        links=links,
        result=Matches(tasks=[m.info.id for m in matches]),
    )


def search(
    query: str, tasks: list[TaskInfo], heads: dict[int, Task], *, current: int | None = None
) -> list[Match]:
    """Tasks matching ``query``: filtered by what it names, then ranked by its other words."""
    norm = normalized(query)
    chosen = [info for info in tasks if _passes(info, heads[info.id], norm)]
    if current is not None and current in heads and re.search(_SIMILAR, norm):
        chosen = [info for info in chosen if info.id != current]
        norm = document(heads[current])
    rest = content(_without_filters(norm, [info.domain for info in tasks]))
    if not rest:
        newest = sorted(chosen, key=lambda info: info.updated_at, reverse=True)
        return [Match(info, heads[info.id], 1.0) for info in newest[:LIMIT]]
    index = Index([document(heads[info.id]) for info in chosen])
    hits = index.search(rest, limit=LIMIT, threshold=THRESHOLD)
    return [Match(chosen[i], heads[chosen[i].id], score) for i, score in hits]


def document(task: Task) -> str:
    """What a search sees of a task: title, lessons, domain, idea and every step's text."""
    parts = [task.title, task.title, task.brief.domain, task.brief.idea]
    parts += [f"{lesson.title} {lesson.detail}" for lesson in task.brief.lessons]
    for step in task.steps:
        parts += [step.title, step.goal, " ".join(step.lessons), step.story, step.theory]
    return "\n".join(parts)


def _passes(info: TaskInfo, task: Task, norm: str) -> bool:
    checks = [
        _named(DIFFICULTY_WORDS, norm, info.difficulty.value),
        _named(TYPE_WORDS, norm, info.task_type.value),
        _domain_ok(info.domain, norm),
        _verification_ok(task, norm),
        _recent_ok(info.updated_at, norm),
    ]
    return all(checks)


def _named(table: dict[str, str], norm: str, value: str) -> bool:
    """True if the message names no value of this kind, or names ``value``."""
    named = [key for key, pattern in table.items() if re.search(pattern, norm)]
    return not named or value in named


def _domain_ok(domain: str, norm: str) -> bool:
    if not re.search(_DOMAIN_WORD, norm):
        return True
    wanted = normalized(domain)
    alias = DOMAIN_WORDS.get(wanted)
    return wanted in norm or (alias is not None and re.search(alias, norm) is not None)


def _verification_ok(task: Task, norm: str) -> bool:
    verified = bool(task.steps) and all(s.verdict and s.verdict.verified for s in task.steps)
    if re.search(_UNVERIFIED, norm):
        return not verified
    if re.search(_VERIFIED, norm) and re.search(r"\bonly\b|\bshow\b|покажи|только", norm):
        return verified
    return True


def _recent_ok(updated: datetime, norm: str) -> bool:
    for days, pattern in _RECENT.items():
        if re.search(pattern, norm):
            stamp = updated if updated.tzinfo else updated.replace(tzinfo=UTC)
            return datetime.now(UTC) - stamp <= timedelta(days=days)
    return True


def _without_filters(norm: str, domains: list[str]) -> str:
    """What is left of the message once the filters it names are taken out."""
    patterns = [*DIFFICULTY_WORDS.values(), *TYPE_WORDS.values()]
    patterns += [_UNVERIFIED, _VERIFIED, *_RECENT.values(), _SIMILAR]
    if re.search(_DOMAIN_WORD, norm):  # a domain filter: its words are not search terms
        patterns += [*DOMAIN_WORDS.values(), *(re.escape(normalized(d)) for d in domains)]
    patterns.append(_FRAME)
    patterns += [r"\blatest\b|\brecent\w*|\bnewest\b|последн\w*|недавн\w*"]
    for pattern in patterns:
        norm = re.sub(rf"(?:{pattern})[\w-]*", " ", norm)
    return norm


def _facts(info: TaskInfo) -> str:
    return f"{info.domain}, {info.difficulty.value}, {info.task_type.value}, r{info.head_revision}"

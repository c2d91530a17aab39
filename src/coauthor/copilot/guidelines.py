"""The ``ask_guidelines`` intent: answers from the master document, quoting what it used.

The document is split into passages (a paragraph or a list item, with its section
heading); TF-IDF finds the passages that match the question. Nothing above the
threshold means the document does not cover it, and the reply says so rather
than invent an answer. A Russian question about an English document is bridged
by a small glossary of the document's own vocabulary (which also maps a few English
synonyms, such as "dataset", onto the words the document uses).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from coauthor.copilot.intents import Intent
from coauthor.copilot.phrases import say
from coauthor.copilot.results import Sections
from coauthor.copilot.retrieval import Index
from coauthor.copilot.session import Reply, Request, Session
from coauthor.copilot.slots import normalized
from coauthor.llm.base import ModelError
from coauthor.pipeline.context import LANGUAGE_NAMES
from coauthor.prompts import render

THRESHOLD = 0.12
RELATIVE = 0.6  # quote passages scoring at least this share of the best one
LIMIT = 6

# Stems (mostly Russian) of the master document's vocabulary, with the words it uses.
GLOSSARY: dict[str, str] = {
    "dataset": "data files",
    "external": "files network",
    "internet": "network",
    "download": "files network",
    "api key": "secrets",
    "hint": "hints",
    "подсказ": "hints",
    "принцип": "principles",
    "легенд": "story",
    "истори": "story",
    "сюжет": "story",
    "теори": "theory",
    "требован": "requirements",
    "стартер": "starter",
    "стартов": "starter",
    "шаблон": "starter",
    "заготов": "starter",
    "решени": "solution",
    "эталон": "reference solution",
    "тест": "tests",
    "стил": "style",
    "готовност": "definition of done",
    "критери": "definition of done",
    "шаг": "step",
    "ссылк": "link",
    "источник": "source",
    "данн": "data",
    "датасет": "data files",
    "файл": "files",
    "сет": "network",
    "интернет": "network",
    "секрет": "secrets",
    "ключ": "secrets",
    "сложност": "difficulty",
    "стажер": "intern",
    "джун": "junior",
    "сеньор": "senior",
    "анатоми": "anatomy",
    "структур": "anatomy",
    "библиотек": "libraries numpy pandas",
    "импорт": "imports",
    "сигнатур": "signatures",
    "докстринг": "docstrings",
    "аннотац": "type hints",
    "тип": "type hints",
    "пример": "example",
    "формул": "formula",
    "числ": "numbers",
    "единиц": "units",
    "имен": "names",
    "названи": "names",
    "предложени": "sentences",
    "залог": "voice",
    "длин": "long",
    "размер": "small",
    "минут": "minutes",
    "граничн": "edge cases",
    "ошибк": "errors",
    "исключени": "errors",
    "функци": "function",
    "студент": "student",
    "навык": "skill",
    "продукт": "product",
}


@dataclass(frozen=True)
class Passage:
    section: str
    text: str


def passages(master: str) -> list[Passage]:
    """Paragraphs and list items of the document, each under its nearest heading."""
    found: list[Passage] = []
    section, lines = "", list[str]()
    for line in [*master.splitlines(), "# "]:
        heading = re.match(r"#{1,6}\s+(.*)", line)
        if heading or line.lstrip().startswith(("- ", "* ")) or not line.strip():
            text = " ".join(lines).strip()
            if text:
                found.append(Passage(section, text))
            lines = []
        if heading:
            section = heading.group(1).strip()
        elif line.strip():
            lines.append(re.sub(r"^\s*[-*]\s+", "", line).strip())
    return found


def expanded(question: str) -> str:
    """The question with English equivalents of the Russian terms it uses."""
    norm = normalized(question)
    extra = [english for stem, english in GLOSSARY.items() if re.search(rf"\b{stem}", norm)]
    return " ".join([question, *extra])


def relevant(master: str, question: str) -> list[tuple[Passage, float]]:
    """The passages that answer ``question``, best first; empty if none scores enough."""
    found = passages(master)
    index = Index([f"{p.section}. {p.text}" for p in found])
    hits = index.search(expanded(question), limit=LIMIT, threshold=THRESHOLD)
    if not hits:
        return []
    best = hits[0][1]
    return [(found[i], score) for i, score in hits if score >= RELATIVE * best]


def quoted(hits: list[tuple[Passage, float]]) -> str:
    """Quotes grouped under their section, in the document's order of sections."""
    sections: dict[str, list[str]] = {}
    for passage, _ in hits:
        sections.setdefault(passage.section, []).append(passage.text)
    blocks = []
    for section, texts in sections.items():
        quotes = "\n".join(f"> {text}" for text in texts)
        blocks.append(f"**{section or 'Master document'}**\n{quotes}")
    return "\n\n".join(blocks)


def ask_guidelines(session: Session, request: Request) -> Reply:
    lang = request.language
    hits = relevant(session.master, request.text)
    if not hits:
        return Reply(
            say("guidelines_none", lang), Intent.ask_guidelines, result=Sections(sections=[])
        )
    quotes = quoted(hits)
    text = f"{say('guidelines_found', lang)}\n\n{quotes}"
    if session.capable:
        text = _phrased(session, request, quotes) or text
    sections = list(dict.fromkeys(p.section for p, _ in hits))
    return Reply(text, Intent.ask_guidelines, result=Sections(sections=sections))


def _phrased(session: Session, request: Request, quotes: str) -> str | None:
    """A capable model's answer from the quotes, followed by them; None if the model fails
    (the quotes alone are still an answer)."""
    prompt = render(
        "copilot_guidelines.j2",
        question=request.text,
        quotes=quotes,
        language=LANGUAGE_NAMES[request.language],
    )
    try:
        answer = session.llm().text([{"role": "user", "content": prompt}], max_tokens=300)
    except ModelError:
        return None
    return f"{answer.strip()}\n\n{quotes}"

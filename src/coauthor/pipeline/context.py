"""What every stage needs besides its own inputs: the model, the master document and
the exemplar that shows the team's style."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from coauthor.llm.base import Model
from coauthor.pipeline.exemplars import Exemplar, approx_tokens
from coauthor.prompts import master_document, render
from coauthor.schemas import Language
from coauthor.schemas.calls import Message
from coauthor.settings import Settings
from coauthor.store import Store

MASTER = "master"

LANGUAGE_NAMES = {Language.en: "English", Language.ru: "Russian"}

REPLY_TOKENS = 2500
"""Room kept for the reply (the largest a stage asks for) when deciding whether an
exemplar fits in the context."""


@dataclass(frozen=True)
class Context:
    model: Model
    master: str
    language: Language = Language.en
    exemplar: Exemplar | None = None

    def messages(self, template: str, **values: Any) -> list[Message]:
        """A system message with the master document, then the stage's prompt.

        A template that shows an exemplar gets ``exemplar`` (None when there is none);
        an exemplar that would push the prompt and the reply past the model's context
        is left out."""
        values.setdefault("exemplar", None)
        messages = self._messages(template, values)
        if values["exemplar"] is not None and not self.fits(messages):
            messages = self._messages(template, {**values, "exemplar": None})
        return messages

    def fits(self, messages: list[Message]) -> bool:
        used = sum(approx_tokens(m["content"]) for m in messages)
        return used + REPLY_TOKENS <= self.model.capabilities.context_tokens

    def _messages(self, template: str, values: dict[str, Any]) -> list[Message]:
        system = _system(self.master, LANGUAGE_NAMES[self.language])
        return [
            {"role": "system", "content": system},
            {"role": "user", "content": render(template, **values)},
        ]


@functools.lru_cache(maxsize=8)
def _system(master: str, language: str) -> str:
    """The system message, rendered once per master document and language (every call of
    a run sends the same one)."""
    return render("system.j2", master=master, language=language)


def master_text(store: Store, settings: Settings) -> str:
    """The master document in force: the latest version edited in the studio, else the
    file named by ``COAUTHOR_MASTER_DOCUMENT``, else the shipped default."""
    edited = store.document(MASTER)
    return edited.text if edited is not None else master_document(settings.master_document)

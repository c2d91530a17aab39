"""What every stage needs besides its own inputs: the model and the master document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coauthor.llm.base import Model
from coauthor.prompts import master_document, render
from coauthor.schemas import Language
from coauthor.schemas.calls import Message
from coauthor.settings import Settings
from coauthor.store import Store

MASTER = "master"

LANGUAGE_NAMES = {Language.en: "English", Language.ru: "Russian"}


@dataclass(frozen=True)
class Context:
    model: Model
    master: str
    language: Language = Language.en

    def messages(self, template: str, **values: Any) -> list[Message]:
        """A system message with the master document, then the stage's prompt."""
        system = render("system.j2", master=self.master, language=LANGUAGE_NAMES[self.language])
        return [
            {"role": "system", "content": system},
            {"role": "user", "content": render(template, **values)},
        ]


def master_text(store: Store, settings: Settings) -> str:
    """The master document in force: the latest version edited in the studio, else the
    file named by ``COAUTHOR_MASTER_DOCUMENT``, else the shipped default."""
    edited = store.document(MASTER)
    return edited.text if edited is not None else master_document(settings.master_document)

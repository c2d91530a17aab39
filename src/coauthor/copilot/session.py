"""What every copilot module gets (a Session) and gives back (a Reply)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coauthor.copilot.intents import Decision, Intent, Slots
from coauthor.copilot.router import Router
from coauthor.copilot.slots import language
from coauthor.llm.base import CallRecord, Model
from coauthor.prompts import default_master
from coauthor.schemas import Language, Task
from coauthor.store import RevisionInfo, Store

Verifier = Callable[[Task, int], Task]
"""Verifies step N (1-based) of a task and returns the task with that step's verdict set;
one that repairs a failing step returns the repaired step. The checking system
(``coauthor.pipeline.verify``) plugs in here; tests pass a fake."""

ModelSource = Model | Callable[[], Model]


class CopilotError(Exception):
    """A request the copilot cannot act on; the message is shown to the author."""


@dataclass
class Session:
    """One author's chat: the store, the model, the master document and the open task.

    ``model`` may be a factory, so a message that needs no model (a guideline
    question, an export) never starts the embedded server. ``capable`` says the
    model can route messages and write answers; the embedded 135M model cannot.
    """

    store: Store
    model: ModelSource | None = None
    master: str = field(default_factory=default_master)
    task_id: int | None = None
    capable: bool = False
    structured: bool = True
    verify: Verifier | None = None
    out_dir: Path = Path("exports")
    router: Router | None = None  # None: the shared classifier, backed by a capable model
    _model: Model | None = field(default=None, init=False, repr=False)

    def llm(self) -> Model:
        """The model, built on first use; its calls go to the logbook as stage ``copilot``."""
        if self._model is None:
            if self.model is None:
                raise CopilotError("no model is configured for this session")
            self._model = self.model if isinstance(self.model, Model) else self.model()
        if self._model.recorder is None:
            self._model.recorder = self._record
        return self._model

    def close(self) -> None:
        """Release the model if this session built it (a factory's server process)."""
        if self._model is not None and not isinstance(self.model, Model):
            self._model.close()
        self._model = None

    def _record(self, record: CallRecord) -> None:
        self.store.log_call(record, stage="copilot:model", task_id=self.task_id)

    def head(self) -> RevisionInfo:
        """The open task's latest revision."""
        if self.task_id is None:
            raise CopilotError("no task is open")
        return self.store.revision(self.task_id)


@dataclass(frozen=True)
class Request:
    """One routed message: its text, the slots in it and its language."""

    text: str
    slots: Slots = field(default_factory=Slots)
    language: Language = Language.en

    @classmethod
    def of(cls, text: str, slots: Slots | None = None) -> Request:
        return cls(text, slots or Slots(), language(text))


@dataclass(frozen=True)
class Reply:
    """What the copilot answers. ``revision`` is set when a new revision was saved;
    ``links`` are ``task:ID@REV``, ``file:PATH`` or URLs for the UI to open."""

    text: str
    intent: Intent | None
    revision: int | None = None
    links: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)
    decision: Decision | None = None

    @property
    def changed(self) -> bool:
        return self.revision is not None

    def summary(self) -> dict[str, Any]:
        """The part of a reply that the logbook and the chat history keep."""
        return {
            "intent": None if self.intent is None else self.intent.value,
            "revision": self.revision,
            "links": list(self.links),
            "text": self.text[:500],
        }

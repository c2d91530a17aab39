"""What every copilot module gets (a Session) and gives back (a Reply), and the one
place a session is built for the CLI chat and the studio page alike."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from coauthor.copilot.intents import Decision, Intent, Slots
from coauthor.copilot.results import Checks, Edited, Failed, Result
from coauthor.copilot.router import Router
from coauthor.copilot.slots import language
from coauthor.llm.base import Model
from coauthor.pipeline.checking import Judge
from coauthor.pipeline.context import master_text
from coauthor.pipeline.verify import Checker
from coauthor.prompts import default_master
from coauthor.schemas import Language
from coauthor.schemas.calls import CallRecord
from coauthor.settings import Settings
from coauthor.store import RevisionInfo, Store

ModelSource = Model | Callable[[], Model]
JudgeSource = Judge | Callable[[], Judge]


class CopilotError(Exception):
    """A request the copilot cannot act on; the message is shown to the author."""


@dataclass
class Session:
    """One author's chat: the store, the model, the master document and the open task.

    ``model`` and ``checker`` may be factories, so a message that needs neither (a
    guideline question, an export) never starts the embedded server or a sandbox.
    Whether the model may route messages and write free answers is its declared
    capability (``Capabilities.routing``); the embedded 135M model may not.
    """

    store: Store
    model: ModelSource | None = None
    master: str = field(default_factory=default_master)
    task_id: int | None = None
    checker: JudgeSource | None = None
    repair_rounds: int = 0
    out_dir: Path = Path("exports")
    router: Router | None = None  # None: the shared classifier, backed by a capable model
    _model: Model | None = field(default=None, init=False, repr=False)
    _built: Model | None = field(default=None, init=False, repr=False)
    _judge: Judge | None = field(default=None, init=False, repr=False)

    def llm(self) -> Model:
        """The model, built on first use; its calls go to the logbook as stage ``copilot``."""
        if self._model is None:
            if self.model is None:
                raise CopilotError("no model is configured for this session")
            self._built = self.model if isinstance(self.model, Model) else self.model()
            self._model = self._built.hooked(record=self._record)
        return self._model

    @property
    def capable(self) -> bool:
        return self.model is not None and self.llm().capabilities.routing

    @property
    def structured(self) -> bool:
        return self.model is not None and self.llm().capabilities.structured_output

    def judge(self) -> Judge | None:
        """The checking system, built on first use; None when the session has none."""
        if self._judge is None and self.checker is not None:
            self._judge = self.checker if isinstance(self.checker, Judge) else self.checker()
        return self._judge

    def close(self) -> None:
        """Release the model if this session built it (a factory's server process)."""
        if self._built is not None and not isinstance(self.model, Model):
            self._built.close()
        self._model = self._built = None

    def _record(self, record: CallRecord) -> None:
        self.store.log_call(record, stage="copilot:model", task_id=self.task_id)

    def head(self) -> RevisionInfo:
        """The open task's latest revision."""
        if self.task_id is None:
            raise CopilotError("no task is open")
        return self.store.revision(self.task_id)


def open_session(
    store: Store,
    settings: Settings,
    *,
    model: ModelSource | None,
    task_id: int | None = None,
    out_dir: Path = Path("exports"),
) -> Session:
    """The copilot session the CLI chat and the studio's Copilot page both use."""
    return Session(
        store,
        model=model,
        master=master_text(store, settings),
        task_id=task_id,
        checker=lambda: Checker.from_settings(settings),
        repair_rounds=settings.repair_rounds,
        out_dir=out_dir,
    )


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
    ``links`` are ``task:ID@REV``, ``file:PATH`` or URLs for the UI to open; ``result``
    is what the module found or did, typed."""

    text: str
    intent: Intent | None
    revision: int | None = None
    links: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()
    result: Result | None = None
    decision: Decision | None = None

    @property
    def changed(self) -> bool:
        return self.revision is not None

    @property
    def failed(self) -> bool:
        return isinstance(self.result, Failed)

    @property
    def verified_steps(self) -> dict[int, bool]:
        """Whether each step this reply checked is verified; empty when it checked none."""
        if isinstance(self.result, Checks):
            return dict(self.result.verified)
        if isinstance(self.result, Edited) and self.result.verified is not None:
            return {self.result.step: self.result.verified}
        return {}

    def summary(self) -> dict[str, object]:
        """The part of a reply that the logbook and the chat history keep."""
        return {
            "intent": None if self.intent is None else self.intent.value,
            "revision": self.revision,
            "links": list(self.links),
            "text": self.text[:500],
        }

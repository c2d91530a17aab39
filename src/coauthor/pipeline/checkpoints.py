"""A run's saved stages, each a model validated when it is read back.

Stages: ``lessons``, ``plan``, then per step ``step:N``, ``verify:N`` and ``summary:N``.
A checkpoint written by another version of Co-Author either validates or the run
stops with a message that says it cannot be resumed.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, Field, ValidationError

from coauthor.schemas import Lesson, Strict
from coauthor.store import JsonObject, Store

M = TypeVar("M", bound=BaseModel)


class LessonsDone(Strict):
    lessons: list[Lesson]


class SummaryDone(Strict):
    text: str = Field(max_length=20_000)


class CheckpointError(Exception):
    """A saved stage cannot be read by this version: the run cannot be resumed."""


class Checkpoints:
    """The finished stages of one run, read once when the run starts or resumes."""

    def __init__(self, store: Store, run_id: int) -> None:
        self.store = store
        self.run_id = run_id
        self.saved: dict[str, JsonObject] = store.checkpoints(run_id)

    def __len__(self) -> int:
        return len(self.saved)

    def get(self, stage: str, kind: type[M]) -> M | None:
        """The saved output of ``stage``, or None when it has not finished."""
        data = self.saved.get(stage)
        if data is None:
            return None
        try:
            return kind.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or stage
            raise CheckpointError(
                f"run {self.run_id} cannot be resumed: its saved stage {stage!r} was written "
                f"by another version of Co-Author ({where}: {first['msg']}); start a new run"
            ) from None

    def save(self, stage: str, value: BaseModel) -> None:
        data = value.model_dump(mode="json")
        self.store.save_checkpoint(self.run_id, stage, data)
        self.saved[stage] = data

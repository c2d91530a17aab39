"""What the logbook and the metrics report: records for the CLI's ``--json``, the studio's
pages and dashboards. Every figure is computed from the store (coauthor.metrics)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelPrice(_Strict):
    """What a model costs, in money units (e.g. USD) per million tokens."""

    input: float = Field(ge=0)
    output: float = Field(ge=0)


class LogKind(StrEnum):
    call = "call"  # one model request
    revision = "revision"  # a new version of a task: generated, edited, repaired, verified...
    review = "review"  # a move of the review workflow
    run = "run"  # a generation run: started, failed, cancelled, done


class LogItem(_Strict):
    """One line of the logbook: a model call or a decision the store recorded."""

    kind: LogKind
    at: datetime
    task_id: int | None = None
    run_id: int | None = None
    user: str | None = None
    stage: str = Field(description="The pipeline stage, the revision's source, the review move")
    model: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    latency_ms: int = 0
    cost: float | None = Field(default=None, description="None: no price known for the model")
    error: str | None = None
    detail: str = Field(default="", description="Why: the note, the instruction, the move")


class LogTotals(_Strict):
    """Model calls summed over a group of logbook lines."""

    calls: int = 0
    errors: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    latency_ms: int = 0
    cost: float = 0.0
    priced: bool = Field(default=True, description="False: some call's model has no price")
    decisions: int = 0


class Logbook(_Strict):
    items: list[LogItem] = Field(default_factory=list)
    total: LogTotals = Field(default_factory=LogTotals)
    by_task: dict[str, LogTotals] = Field(default_factory=dict)
    by_run: dict[str, LogTotals] = Field(default_factory=dict)
    by_user: dict[str, LogTotals] = Field(default_factory=dict)
    by_stage: dict[str, LogTotals] = Field(default_factory=dict)
    by_day: dict[str, LogTotals] = Field(default_factory=dict)

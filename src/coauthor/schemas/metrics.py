"""What the logbook and the metrics report: records for the CLI's ``--json``, the studio's
pages and dashboards. Every figure is computed from the store (coauthor.metrics)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from coauthor.schemas.results import StudentsMetrics


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


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


# -- the metric hierarchy -------------------------------------------------------------------
class Usage(_Strict):
    """Model use summed over some calls."""

    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    seconds: float = 0.0
    cost: float = 0.0
    priced: bool = Field(default=True, description="False: some call's model has no price")


class CostMetrics(_Strict):
    total: Usage = Field(default_factory=Usage)
    by_model: dict[str, Usage] = Field(default_factory=dict)
    by_task: dict[str, Usage] = Field(default_factory=dict)
    by_step: dict[str, Usage] = Field(
        default_factory=dict, description="'task 1 step 2'; calls not tied to a step are left out"
    )
    by_stage: dict[str, Usage] = Field(default_factory=dict)
    by_week: dict[str, Usage] = Field(default_factory=dict, description="ISO week: 2026-W45")


class TaskEffort(_Strict):
    task_id: int
    title: str
    author: str | None = Field(description="Who made the first revision")
    compared_revision: int = Field(description="The approved revision, else the head")
    approved: bool
    generated: bool = Field(
        default=True, description="Whether a model wrote revision 1 (not an import or a copy)"
    )
    kept: dict[str, float] = Field(
        default_factory=dict,
        description="Per part, the mean diff ratio (difflib) between the first generated "
        "text and the compared revision's, over the generated steps (a removed step: 0); "
        "empty where revision 1 was not generated",
    )
    edits: int = Field(description="Revisions after the first that a person made (edit, ...)")
    repair_rounds: int = Field(description="Repair revisions plus rounds the verdicts report")
    hours_to_approval: float | None = None


class AuthorEffort(_Strict):
    tasks: int
    approved: int
    mean_kept: float | None = Field(description="Mean over the author's tasks and parts")
    mean_hours_to_approval: float | None = None


class EffortMetrics(_Strict):
    tasks: list[TaskEffort] = Field(default_factory=list)
    by_author: dict[str, AuthorEffort] = Field(default_factory=dict)


class Distribution(_Strict):
    count: int = 0
    minimum: float | None = None
    median: float | None = None
    mean: float | None = None
    maximum: float | None = None


class CorrectnessMetrics(_Strict):
    steps: int = 0
    verified: int = 0
    verified_share: float | None = None
    mutation_scores: Distribution = Field(default_factory=Distribution)
    mutation_buckets: dict[str, int] = Field(
        default_factory=dict, description="Steps per score band: <0.5, 0.5-0.8, >=0.8"
    )
    tests_per_step: float | None = None
    coverage: Distribution = Field(default_factory=Distribution)
    weak_tests: int = 0
    repair_rounds: int = 0
    flags_open: int = 0


class StepTerms(_Strict):
    """The terms a step's theory defines (emphasised) and those its requirements use."""

    defined: list[str] = Field(default_factory=list)
    used: list[str] = Field(default_factory=list, description="Defined and used in requirements")


class TextMetrics(_Strict):
    story_words: Distribution = Field(default_factory=Distribution)
    theory_words: Distribution = Field(default_factory=Distribution)
    readability: dict[str, Distribution] = Field(
        default_factory=dict,
        description="Per language, reading ease of story and theory (higher: easier): "
        "Flesch for English, Oborneva's adaptation for Russian",
    )
    links_per_step: float | None = None
    well_formed_links: float | None = Field(default=None, description="Share of http(s) URLs")
    terms_defined: int = Field(default=0, description="Terms the theory defines, over steps")
    terms_used: int = Field(default=0, description="Of those, the ones the requirements use")
    terms_used_share: float | None = None
    terms: dict[str, StepTerms] = Field(
        default_factory=dict, description="'task 1 step 2': steps whose theory defines terms"
    )


class NearDuplicate(_Strict):
    first: int
    second: int
    similarity: float


class LibraryMetrics(_Strict):
    tasks: int = 0
    domains: dict[str, int] = Field(default_factory=dict)
    difficulties: dict[str, int] = Field(default_factory=dict)
    types: dict[str, int] = Field(default_factory=dict)
    lessons: dict[str, int] = Field(default_factory=dict)
    entropy: dict[str, float] = Field(
        default_factory=dict, description="Shannon entropy in bits of each distribution"
    )
    near_duplicates: list[NearDuplicate] = Field(default_factory=list)
    references: list[tuple[int, int]] = Field(
        default_factory=list,
        description="(task, task it refers to): its text or a link's title names the other's "
        "title, or a link opens the other in the studio (?task=ID)",
    )
    titles: dict[str, str] = Field(
        default_factory=dict, description="Title of each task in references, by id"
    )


class BugStatus(StrEnum):
    open = "open"
    closed = "closed"


class Bug(_Strict):
    id: int
    task_id: int
    text: str
    status: BugStatus
    reporter: str | None
    created_at: datetime
    closed_by: str | None = None
    closed_at: datetime | None = None


class BugMetrics(_Strict):
    open: int = 0
    closed: int = 0
    by_task: dict[str, int] = Field(default_factory=dict, description="Open bugs per task")
    by_author: dict[str, int] = Field(
        default_factory=dict, description="Open bugs against the tasks each author made"
    )
    closed_by_task: dict[str, int] = Field(default_factory=dict)
    closed_by_author: dict[str, int] = Field(default_factory=dict)


class Metrics(_Strict):
    since: datetime | None = None
    cost: CostMetrics = Field(default_factory=CostMetrics)
    effort: EffortMetrics = Field(default_factory=EffortMetrics)
    correctness: CorrectnessMetrics = Field(default_factory=CorrectnessMetrics)
    text: TextMetrics = Field(default_factory=TextMetrics)
    library: LibraryMetrics = Field(default_factory=LibraryMetrics)
    bugs: BugMetrics = Field(default_factory=BugMetrics)
    students: StudentsMetrics = Field(default_factory=StudentsMetrics)

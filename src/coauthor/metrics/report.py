"""The metric hierarchy, computed from the store: cost, authoring effort, correctness, text,
library, bugs and students (pass-through from imported grader results).

``since`` limits what flows (model calls, tasks created, bugs filed); correctness, text and
the library describe the library as it stands (each task's approved revision, else its head).
"""

from __future__ import annotations

import contextlib
import json
import math
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from difflib import SequenceMatcher
from urllib.parse import parse_qs, urlparse

from coauthor.metrics.logbook import call_cost, model_calls
from coauthor.metrics.text import defined_terms, reading_ease, uses, well_formed_url, words
from coauthor.schemas import Step, Task
from coauthor.schemas.metrics import (
    AuthorEffort,
    Bug,
    BugMetrics,
    BugStatus,
    CorrectnessMetrics,
    CostMetrics,
    Distribution,
    EffortMetrics,
    LibraryMetrics,
    Metrics,
    NearDuplicate,
    StepTerms,
    TaskEffort,
    TextMetrics,
    Usage,
)
from coauthor.schemas.results import StudentsMetrics
from coauthor.schemas.team import ReviewStatus
from coauthor.settings import ModelPrice
from coauthor.store import Store
from coauthor.store.records import LogEntry, RevisionInfo, TaskInfo

PARTS = ("story", "theory", "requirements", "solution", "tests")
PERSON_SOURCES = frozenset({"edit", "copilot", "figures"})
"""Revision sources that are a person's change (not generation, checking or import)."""
GENERATED = frozenset({"generate"})
"""Sources of a revision 1 that a model wrote (not "import", "duplicate", "example")."""
NEAR_DUPLICATE = 0.5
"""Similarity (the copilot's library search) from which two tasks count as near-duplicates."""
MIN_TITLE = 4
"""A title shorter than this is not looked for in other tasks' text."""


def compute(
    store: Store, prices: Mapping[str, ModelPrice], *, since: datetime | None = None
) -> Metrics:
    tasks = sorted(store.list_tasks(), key=lambda t: t.id)
    history = {t.id: store.revisions(t.id) for t in tasks}
    states = store.review_states([t.id for t in tasks])
    compared = {t.id: _compared(history[t.id], states[t.id].approved_revision) for t in tasks}
    created = [t for t in tasks if since is None or history[t.id][0].created_at >= since]
    calls = [e for e in model_calls(store) if since is None or e.created_at >= since]
    authors = {t.id: history[t.id][0].actor for t in tasks}
    return Metrics(
        since=since,
        cost=cost(calls, prices),
        effort=effort(store, created, history, compared),
        correctness=correctness(c.task for c in compared.values()),
        text=text({i: c.task for i, c in compared.items()}),
        library=library(tasks, {i: c.task for i, c in compared.items()}),
        bugs=bugs(store, authors, since),
        students=students(store, {i: c.task for i, c in compared.items()}),
    )


def _compared(revisions: Sequence[RevisionInfo], approved: int | None) -> RevisionInfo:
    for revision in revisions:
        if revision.number == approved:
            return revision
    return revisions[-1]


# -- cost -------------------------------------------------------------------------------------
def usage(calls: Iterable[LogEntry], prices: Mapping[str, ModelPrice]) -> Usage:
    total = Usage()
    for call in calls:
        total.calls += 1
        total.tokens_in += call.tokens_in
        total.tokens_out += call.tokens_out
        total.seconds += call.latency_ms / 1000
        money = call_cost(call.model, call.tokens_in, call.tokens_out, prices)
        if money is None:
            total.priced = False
        else:
            total.cost += money
    return total


def _by(
    calls: Sequence[LogEntry],
    key: Callable[[LogEntry], str | None],
    prices: Mapping[str, ModelPrice],
) -> dict[str, Usage]:
    groups: dict[str, list[LogEntry]] = {}
    for call in calls:
        name = key(call)
        if name is not None:
            groups.setdefault(name, []).append(call)
    return {name: usage(group, prices) for name, group in sorted(groups.items())}


def step_of(stage: str) -> int | None:
    """``draft:2`` -> 2; a stage not about one step -> None."""
    _, _, tail = stage.partition(":")
    return int(tail) if tail.isdigit() else None


def cost(calls: Sequence[LogEntry], prices: Mapping[str, ModelPrice]) -> CostMetrics:
    def step_key(call: LogEntry) -> str | None:
        step = step_of(call.stage)
        if call.task_id is None or step is None:
            return None
        return f"task {call.task_id} step {step}"

    def week(call: LogEntry) -> str:
        year, number, _ = call.created_at.isocalendar()
        return f"{year}-W{number:02d}"

    return CostMetrics(
        total=usage(calls, prices),
        by_model=_by(calls, lambda c: c.model, prices),
        by_task=_by(calls, lambda c: None if c.task_id is None else f"task {c.task_id}", prices),
        by_step=_by(calls, step_key, prices),
        by_stage=_by(calls, lambda c: c.stage.split(":", 1)[0], prices),
        by_week=_by(calls, week, prices),
    )


# -- authoring effort -------------------------------------------------------------------------
def part_text(step: Step, part: str) -> str:
    if part == "requirements":
        return "\n".join(step.requirements)
    value = getattr(step, part)
    return value if isinstance(value, str) else ""


def kept(first: Task, final: Task) -> dict[str, float]:
    """Per part, the mean difflib ratio of each generated step's text against the same step
    of ``final`` (0 for a step that was removed); parts the model left empty are skipped."""
    shares: dict[str, float] = {}
    for part in PARTS:
        ratios = []
        for index, step in enumerate(first.steps):
            generated = part_text(step, part)
            if not generated:
                continue
            now = part_text(final.steps[index], part) if index < len(final.steps) else ""
            ratios.append(SequenceMatcher(None, generated, now, autojunk=False).ratio())
        if ratios:
            shares[part] = statistics.fmean(ratios)
    return shares


def effort(
    store: Store,
    tasks: Sequence[TaskInfo],
    history: Mapping[int, Sequence[RevisionInfo]],
    compared: Mapping[int, RevisionInfo],
) -> EffortMetrics:
    rows: list[TaskEffort] = []
    for info in tasks:
        revisions = history[info.id]
        first, final = revisions[0], compared[info.id]
        approvals = [
            e.created_at for e in store.review_events(info.id) if e.after is ReviewStatus.approved
        ]
        hours = (approvals[0] - first.created_at).total_seconds() / 3600 if approvals else None
        rounds = sum(s.verdict.repair_rounds for s in first.task.steps if s.verdict is not None)
        rows.append(
            TaskEffort(
                task_id=info.id,
                title=info.title,
                author=first.actor,
                compared_revision=final.number,
                approved=bool(approvals),
                generated=first.source in GENERATED,
                kept=kept(first.task, final.task) if first.source in GENERATED else {},
                edits=sum(1 for r in revisions[1:] if r.source in PERSON_SOURCES),
                repair_rounds=rounds + sum(1 for r in revisions[1:] if r.source == "repair"),
                hours_to_approval=hours,
            )
        )
    return EffortMetrics(tasks=rows, by_author=by_author(rows))


def by_author(rows: Sequence[TaskEffort]) -> dict[str, AuthorEffort]:
    groups: dict[str, list[TaskEffort]] = {}
    for row in rows:
        groups.setdefault(row.author or "-", []).append(row)
    result = {}
    for name, group in sorted(groups.items()):
        shares = [share for row in group for share in row.kept.values()]
        hours = [row.hours_to_approval for row in group if row.hours_to_approval is not None]
        result[name] = AuthorEffort(
            tasks=len(group),
            approved=sum(1 for row in group if row.approved),
            mean_kept=statistics.fmean(shares) if shares else None,
            mean_hours_to_approval=statistics.fmean(hours) if hours else None,
        )
    return result


# -- correctness and text ---------------------------------------------------------------------
def distribution(values: Sequence[float]) -> Distribution:
    if not values:
        return Distribution()
    return Distribution(
        count=len(values),
        minimum=min(values),
        median=statistics.median(values),
        mean=statistics.fmean(values),
        maximum=max(values),
    )


def correctness(tasks: Iterable[Task]) -> CorrectnessMetrics:
    steps = [step for task in tasks for step in task.steps]
    verdicts = [s.verdict for s in steps if s.verdict is not None]
    scores = [
        v.mutation.score
        for v in verdicts
        if v.mutation is not None and v.mutation.score is not None
    ]
    verified = sum(1 for v in verdicts if v.verified)
    return CorrectnessMetrics(
        steps=len(steps),
        verified=verified,
        verified_share=verified / len(steps) if steps else None,
        mutation_scores=distribution(scores),
        mutation_buckets={
            "<0.5": sum(1 for s in scores if s < 0.5),
            "0.5-0.8": sum(1 for s in scores if 0.5 <= s < 0.8),
            ">=0.8": sum(1 for s in scores if s >= 0.8),
        },
        tests_per_step=sum(v.tests for v in verdicts) / len(steps) if steps else None,
        coverage=distribution([v.coverage for v in verdicts if v.coverage is not None]),
        weak_tests=sum(len(v.weak_tests) for v in verdicts),
        repair_rounds=sum(v.repair_rounds for v in verdicts),
        flags_open=sum(len(s.flags) for s in steps),
    )


def text(tasks: Mapping[int, Task]) -> TextMetrics:
    stories: list[float] = []
    theories: list[float] = []
    ease: dict[str, list[float]] = {}
    links = 0
    good = 0
    steps = 0
    terms: dict[str, StepTerms] = {}
    for task_id, task in sorted(tasks.items()):
        for number, step in enumerate(task.steps, 1):
            steps += 1
            defined = defined_terms(step.theory)
            if defined:
                asked = "\n".join(step.requirements)
                used = [term for term in defined if uses(term, asked)]
                terms[f"task {task_id} step {number}"] = StepTerms(defined=defined, used=used)
            stories.append(len(words(step.story)))
            theories.append(len(words(step.theory)))
            score = reading_ease(f"{step.story}\n\n{step.theory}", task.brief.language)
            if score is not None:
                ease.setdefault(task.brief.language.value, []).append(score)
            links += len(step.links)
            good += sum(1 for link in step.links if well_formed_url(link.url))
    defined_count = sum(len(t.defined) for t in terms.values())
    used_count = sum(len(t.used) for t in terms.values())
    return TextMetrics(
        story_words=distribution(stories),
        theory_words=distribution(theories),
        readability={lang: distribution(values) for lang, values in sorted(ease.items())},
        links_per_step=links / steps if steps else None,
        well_formed_links=good / links if links else None,
        terms_defined=defined_count,
        terms_used=used_count,
        terms_used_share=used_count / defined_count if defined_count else None,
        terms=terms,
    )


# -- library ----------------------------------------------------------------------------------
def entropy(counts: Counter[str]) -> float:
    """Shannon entropy in bits."""
    total = sum(counts.values())
    return -sum(n / total * math.log2(n / total) for n in counts.values() if n) if total else 0.0


def task_text(task: Task) -> str:
    parts = [task.summary]
    for step in task.steps:
        parts += [step.story, step.theory, *step.requirements, *(link.title for link in step.links)]
    return "\n".join(parts)


def linked_tasks(task: Task) -> set[int]:
    """Tasks a step's link opens in the studio: a URL with ``task=ID`` in its query."""
    found = set()
    for step in task.steps:
        for link in step.links:
            with contextlib.suppress(ValueError):
                for value in parse_qs(urlparse(link.url).query).get("task", []):
                    if value.isdigit():
                        found.add(int(value))
    return found


def library(infos: Sequence[TaskInfo], tasks: Mapping[int, Task]) -> LibraryMetrics:
    counts = {
        "domains": Counter(t.domain for t in infos),
        "difficulties": Counter(t.difficulty.value for t in infos),
        "types": Counter(t.task_type.value for t in infos),
        "lessons": Counter(lesson.title for t in infos for lesson in tasks[t.id].brief.lessons),
    }
    found = references(infos, tasks)
    return LibraryMetrics(
        tasks=len(infos),
        domains=dict(sorted(counts["domains"].items())),
        difficulties=dict(sorted(counts["difficulties"].items())),
        types=dict(sorted(counts["types"].items())),
        lessons=dict(sorted(counts["lessons"].items())),
        entropy={name: entropy(counter) for name, counter in counts.items()},
        near_duplicates=near_duplicates(infos, tasks),
        references=found,
        titles={str(t.id): t.title for t in infos if any(t.id in pair for pair in found)},
    )


def near_duplicates(infos: Sequence[TaskInfo], tasks: Mapping[int, Task]) -> list[NearDuplicate]:
    """Pairs of tasks whose title, idea and domain score at least NEAR_DUPLICATE by the
    similarity the copilot's library search uses."""
    if len(infos) < 2:
        return []
    from coauthor.pipeline.similarity import Index  # imports scikit-learn: only when needed

    documents = [f"{t.title}\n{tasks[t.id].brief.idea}\n{tasks[t.id].brief.domain}" for t in infos]
    index = Index(documents)
    pairs = []
    for i, document in enumerate(documents):
        for j, score in enumerate(index.scores(document)):
            if j > i and score >= NEAR_DUPLICATE:
                pairs.append(NearDuplicate(first=infos[i].id, second=infos[j].id, similarity=score))
    return pairs


def references(infos: Sequence[TaskInfo], tasks: Mapping[int, Task]) -> list[tuple[int, int]]:
    """(task, other task) where the task's text or a link's title names the other task's
    title, or one of its links opens the other task in the studio."""
    found = []
    for info in infos:
        body = task_text(tasks[info.id]).casefold()
        linked = linked_tasks(tasks[info.id])
        for other in infos:
            title = other.title.strip().casefold()
            named = len(title) >= MIN_TITLE and title in body
            if other.id != info.id and (named or other.id in linked):
                found.append((info.id, other.id))
    return found


def reference_graph(lib: LibraryMetrics) -> str:
    """The cross-references as Graphviz DOT: a node per task that refers or is referred to,
    an arrow from the task to the one it refers to."""
    lines = ["digraph references {", "  rankdir=LR;", '  node [shape=box, fontname="sans"];']
    for task_id, title in lib.titles.items():
        lines.append(f"  t{task_id} [label={json.dumps(f'{task_id} {title}')}];")
    lines += [f"  t{a} -> t{b};" for a, b in lib.references]
    lines.append("}")
    return "\n".join(lines)


# -- bugs -------------------------------------------------------------------------------------
def bugs(store: Store, authors: Mapping[int, str | None], since: datetime | None) -> BugMetrics:
    filed = [b for b in store.bugs() if since is None or b.created_at >= since]
    open_bugs = [b for b in filed if b.status is BugStatus.open]
    closed = [b for b in filed if b.status is not BugStatus.open]

    def per_task(found: list[Bug]) -> dict[str, int]:
        return dict(sorted(Counter(f"task {b.task_id}" for b in found).items()))

    def per_author(found: list[Bug]) -> dict[str, int]:
        return dict(sorted(Counter(authors.get(b.task_id) or "-" for b in found).items()))

    return BugMetrics(
        open=len(open_bugs),
        closed=len(closed),
        by_task=per_task(open_bugs),
        by_author=per_author(open_bugs),
        closed_by_task=per_task(closed),
        closed_by_author=per_author(closed),
    )


# -- students ---------------------------------------------------------------------------------
def students(store: Store, shown: Mapping[int, Task]) -> StudentsMetrics:
    """Pass-through per task and step from the imported results, the steps titled as in
    the compared revision (deleted tasks are left out)."""
    tasks = [
        store.pass_through(task_id, shown[task_id])
        for task_id in store.tasks_with_results()
        if task_id in shown
    ]
    total = sum(t.students for t in tasks)
    passed = sum(t.passed_all for t in tasks)
    return StudentsMetrics(
        tasks=tasks, students=total, pass_through=passed / total if total else None
    )

"""The logbook: every model call and every decision the store recorded, filtered and summed.

Decisions are read from what the store already keeps: revisions (generated, edited,
repaired, regenerated with the author's instruction, verified: the revision's source and
note), review moves (who moved the task, from where to where, why) and runs (started,
failed with their error). Every text shown passes through ``redact`` again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from coauthor.schemas.metrics import Logbook, LogItem, LogKind, LogTotals
from coauthor.settings import ModelPrice
from coauthor.store import Store
from coauthor.store.records import LogEntry
from coauthor.store.redact import redact

NO_TASK = "-"


@dataclass(frozen=True)
class LogFilter:
    """Which logbook lines to keep; None: any. ``stage`` matches the stage or its family
    ("draft" keeps "draft:2")."""

    task_id: int | None = None
    run_id: int | None = None
    user: str | None = None
    since: datetime | None = None
    stage: str | None = None

    def keeps(self, item: LogItem) -> bool:
        if self.task_id is not None and item.task_id != self.task_id:
            return False
        if self.run_id is not None and item.run_id != self.run_id:
            return False
        if self.user is not None and item.user != self.user:
            return False
        if self.since is not None and item.at < self.since:
            return False
        return self.stage is None or (
            item.stage == self.stage or item.stage.startswith(f"{self.stage}:")
        )


def price_of(model: str, prices: Mapping[str, ModelPrice]) -> ModelPrice | None:
    """The price for ``model``: by its full name (``openai:gpt-4o-mini``) or the name the
    backend reports (``gpt-4o-mini``)."""
    if model in prices:
        return prices[model]
    bare = model.split(":", 1)[-1].split("@", 1)[0]
    return prices.get(bare)


def call_cost(
    model: str, tokens_in: int, tokens_out: int, prices: Mapping[str, ModelPrice]
) -> float | None:
    price = price_of(model, prices)
    if price is None:
        return None
    return (tokens_in * price.input + tokens_out * price.output) / 1_000_000


def model_calls(store: Store) -> list[LogEntry]:
    """The logged calls, oldest first; a run's call made before its task existed (the plan,
    the steps) is the task's once the run made it."""
    made = {run.id: run.task_id for run in store.list_runs() if run.task_id is not None}
    return [
        replace(entry, task_id=made[entry.run_id])
        if entry.task_id is None and entry.run_id in made
        else entry
        for entry in store.logbook()
    ]


def log_items(store: Store, prices: Mapping[str, ModelPrice]) -> list[LogItem]:
    """Every logbook line in the store, oldest first."""
    items = [
        LogItem(
            kind=LogKind.call,
            at=entry.created_at,
            task_id=entry.task_id,
            run_id=entry.run_id,
            user=entry.actor,
            stage=entry.stage,
            model=entry.model,
            tokens_in=entry.tokens_in,
            tokens_out=entry.tokens_out,
            latency_ms=entry.latency_ms,
            cost=call_cost(entry.model, entry.tokens_in, entry.tokens_out, prices),
            error=None if entry.error is None else redact(entry.error),
            detail=redact(router_decision(entry.reply)),
        )
        for entry in model_calls(store)
    ]
    for run in store.list_runs():
        items.append(
            LogItem(
                kind=LogKind.run,
                at=run.created_at,
                task_id=run.task_id,
                run_id=run.id,
                user=run.actor,
                stage=run.status,
                model=run.model,
                error=None if run.error is None else redact(run.error),
                detail=redact(run.brief.idea[:200]),
            )
        )
    for task in store.list_tasks(include_deleted=True):
        marked: set[tuple[int, str]] = set()
        for revision in store.revisions(task.id):
            steps = revision.task.steps
            marks = {
                (number, mark.mutant_id): mark.by
                for number, step in enumerate(steps, 1)
                for mark in step.equivalent_mutants
            }
            checked = [s for s in steps if s.verdict is not None]
            verified = sum(1 for s in checked if s.verdict is not None and s.verdict.verified)
            note = revision.note
            if checked:
                note = f"{note} ({verified}/{len(steps)} steps verified)".strip()
            new = sorted(set(marks) - marked)
            if new:
                said = ", ".join(
                    f"step {n} mutant {m}" + (f" by {marks[n, m]}" if marks[n, m] else "")
                    for n, m in new
                )
                note = f"{note}; marked equivalent: {said}".lstrip("; ")
            marked = set(marks)
            items.append(
                LogItem(
                    kind=LogKind.revision,
                    at=revision.created_at,
                    task_id=task.id,
                    user=revision.actor,
                    stage=revision.source,
                    detail=redact(f"revision {revision.number}: {note}".rstrip(": ")),
                )
            )
        for event in store.review_events(task.id):
            why = f": {event.note}" if event.note else ""
            items.append(
                LogItem(
                    kind=LogKind.review,
                    at=event.created_at,
                    task_id=task.id,
                    user=event.actor,
                    stage=event.move.value,
                    detail=redact(f"{event.before.value} -> {event.after.value}{why}"),
                )
            )
    return sorted(items, key=lambda item: item.at)


def router_decision(reply: str) -> str:
    """The copilot's routing, as its logbook row keeps it: intent, confidence, who decided."""
    if not reply.startswith("{"):
        return ""
    try:
        outcome = json.loads(reply)
    except ValueError:
        return ""
    if not isinstance(outcome, dict) or "intent" not in outcome:
        return ""
    return (
        f"intent {outcome['intent']} (confidence {outcome.get('confidence', '?')}, "
        f"decided by {outcome.get('decided_by', '?')})"
    )


def totals(items: Iterable[LogItem]) -> LogTotals:
    total = LogTotals()
    for item in items:
        if item.kind is not LogKind.call:
            total.decisions += 1
            continue
        total.calls += 1
        total.errors += item.error is not None
        total.tokens_in += item.tokens_in
        total.tokens_out += item.tokens_out
        total.latency_ms += item.latency_ms
        if item.cost is None:
            total.priced = False
        else:
            total.cost += item.cost
    return total


def grouped(items: list[LogItem], key: Callable[[LogItem], str]) -> dict[str, LogTotals]:
    groups: dict[str, list[LogItem]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return {name: totals(group) for name, group in sorted(groups.items())}


def stage_family(stage: str) -> str:
    """``draft:2`` -> ``draft``."""
    return stage.split(":", 1)[0]


def logbook(
    store: Store, prices: Mapping[str, ModelPrice], where: LogFilter | None = None
) -> Logbook:
    """The filtered logbook with its totals per task, run, user, stage (family) and day."""
    where = where or LogFilter()
    items = [item for item in log_items(store, prices) if where.keeps(item)]
    return Logbook(
        items=items,
        total=totals(items),
        by_task=grouped(items, lambda i: NO_TASK if i.task_id is None else str(i.task_id)),
        by_run=grouped([i for i in items if i.run_id is not None], lambda i: str(i.run_id)),
        by_user=grouped(items, lambda i: i.user or NO_TASK),
        by_stage=grouped(
            [i for i in items if i.kind is LogKind.call], lambda i: stage_family(i.stage)
        ),
        by_day=grouped(items, lambda i: i.at.date().isoformat()),
    )

"""The logbook and the metrics from the command line: ``log``, ``metrics``, ``bug``, ``bugs``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from coauthor.cli.app import InputError, JsonFlag, app, emit, errors, open_store, settings
from coauthor.metrics.logbook import LogFilter, logbook
from coauthor.schemas.metrics import LogTotals

SinceOption = Annotated[
    str | None, typer.Option("--since", help="Only from this date on (YYYY-MM-DD, UTC).")
]
out = Console()


def parse_since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"--since: {value!r} is not a date like 2026-11-30") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def money(total: LogTotals) -> str:
    text = f"{total.cost:.4f}"
    return text if total.priced else f"{text}+?" if total.cost else "?"


def totals_table(title: str, groups: dict[str, LogTotals]) -> Table:
    table = Table(title=title, title_justify="left")
    for name in (title.split()[-1], "calls", "errors", "tokens in", "tokens out", "time s"):
        table.add_column(name, justify="left" if name == title.split()[-1] else "right")
    table.add_column("cost", justify="right")
    table.add_column("decisions", justify="right")
    for name, total in groups.items():
        table.add_row(
            name,
            str(total.calls),
            str(total.errors),
            str(total.tokens_in),
            str(total.tokens_out),
            f"{total.latency_ms / 1000:.1f}",
            money(total),
            str(total.decisions),
        )
    return table


@app.command("log")
def log_command(
    task: Annotated[int | None, typer.Option("--task", help="Only this task.")] = None,
    run: Annotated[int | None, typer.Option("--run", help="Only this run.")] = None,
    user: Annotated[str | None, typer.Option("--user", help="Only this user's.")] = None,
    since: SinceOption = None,
    stage: Annotated[
        str | None, typer.Option("--stage", help="Only this stage (draft keeps draft:2).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Every model call and decision (revisions, review moves, runs), with totals per task,
    run, user and stage. Costs come from COAUTHOR_PRICES; '?' where a model has no price."""
    with errors():
        config = settings()
        where = LogFilter(
            task_id=task, run_id=run, user=user, since=parse_since(since), stage=stage
        )
        with open_store(config.database_url) as store:
            book = logbook(store, config.prices, where)
        if as_json:
            emit({"status": "ok", **book.model_dump(mode="json")})
            return
        lines = Table(title="Logbook", title_justify="left")
        for name in ("when", "kind", "task", "run", "user", "stage", "model", "tokens", "ms"):
            lines.add_column(name)
        lines.add_column("cost", justify="right")
        lines.add_column("error / detail")
        for item in book.items:
            lines.add_row(
                item.at.strftime("%Y-%m-%d %H:%M"),
                item.kind.value,
                "" if item.task_id is None else str(item.task_id),
                "" if item.run_id is None else str(item.run_id),
                item.user or "",
                item.stage,
                item.model,
                f"{item.tokens_in}/{item.tokens_out}" if item.kind.value == "call" else "",
                str(item.latency_ms) if item.kind.value == "call" else "",
                "" if item.cost is None else f"{item.cost:.4f}",
                item.error if item.error is not None else item.detail,
            )
        out.print(lines)
        for title, groups in (
            ("Per task", book.by_task),
            ("Per run", book.by_run),
            ("Per user", book.by_user),
            ("Per stage", book.by_stage),
        ):
            if groups:
                out.print(totals_table(title, groups))
        out.print(totals_table("Total all", {"all": book.total}))

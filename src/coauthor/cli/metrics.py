"""The logbook and the metrics from the command line: ``log``, ``metrics``, ``bug``, ``bugs``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from coauthor.cli.app import InputError, JsonFlag, app, emit, errors, open_store, settings
from coauthor.metrics.logbook import LogFilter, logbook
from coauthor.metrics.report import PARTS, compute
from coauthor.schemas.metrics import LogTotals, Metrics, Usage

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
            ("Per day", book.by_day),
        ):
            if groups:
                out.print(totals_table(title, groups))
        out.print(totals_table("Total all", {"all": book.total}))


def _table(title: str, columns: list[str], rows: list[list[str]]) -> Table:
    table = Table(title=title, title_justify="left")
    for index, name in enumerate(columns):
        table.add_column(name, justify="left" if index == 0 else "right")
    for row in rows:
        table.add_row(*row)
    return table


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _usage_rows(groups: dict[str, Usage]) -> list[list[str]]:
    return [
        [
            name,
            str(u.calls),
            str(u.tokens_in),
            str(u.tokens_out),
            f"{u.seconds:.1f}",
            f"{u.cost:.4f}" if u.priced else (f"{u.cost:.4f}+?" if u.cost else "?"),
        ]
        for name, u in groups.items()
    ]


def print_metrics(m: Metrics) -> None:
    usage_columns = ["", "calls", "tokens in", "tokens out", "model s", "cost"]
    for title, groups in (
        ("Cost by model", m.cost.by_model),
        ("Cost by task", m.cost.by_task),
        ("Cost by step", m.cost.by_step),
        ("Cost by stage", m.cost.by_stage),
        ("Cost by week", m.cost.by_week),
    ):
        if groups:
            out.print(_table(title, usage_columns, _usage_rows(groups)))
    out.print(
        _table(
            "Authoring effort per task (share of generated text kept)",
            [
                "task",
                "author",
                "story",
                "theory",
                "reqs",
                "solution",
                "tests",
                "edits",
                "repairs",
                "hours to approval",
            ],
            [
                [
                    f"{t.task_id} {t.title}",
                    t.author or "-",
                    *[_num(t.kept.get(part)) for part in PARTS],
                    str(t.edits),
                    str(t.repair_rounds),
                    _num(t.hours_to_approval, 1),
                ]
                for t in m.effort.tasks
            ],
        )
    )
    out.print(
        _table(
            "Authoring effort per author",
            ["author", "tasks", "approved", "mean kept", "mean hours to approval"],
            [
                [
                    name,
                    str(a.tasks),
                    str(a.approved),
                    _num(a.mean_kept),
                    _num(a.mean_hours_to_approval, 1),
                ]
                for name, a in m.effort.by_author.items()
            ],
        )
    )
    c = m.correctness
    out.print(
        _table(
            "Correctness",
            ["figure", "value"],
            [
                ["steps verified", f"{c.verified}/{c.steps}"],
                ["mutation score median", _num(c.mutation_scores.median)],
                [
                    "mutation scores <0.5 / 0.5-0.8 / >=0.8",
                    " / ".join(str(n) for n in c.mutation_buckets.values()),
                ],
                ["tests per step", _num(c.tests_per_step, 1)],
                ["coverage mean %", _num(c.coverage.mean, 1)],
                ["weak tests", str(c.weak_tests)],
                ["repair rounds", str(c.repair_rounds)],
                ["flags open", str(c.flags_open)],
            ],
        )
    )
    t = m.text
    out.print(
        _table(
            "Text",
            ["figure", "value"],
            [
                ["story words (mean)", _num(t.story_words.mean, 1)],
                ["theory words (mean)", _num(t.theory_words.mean, 1)],
                *[
                    [f"reading ease {lang} (mean)", _num(d.mean, 1)]
                    for lang, d in t.readability.items()
                ],
                ["links per step", _num(t.links_per_step, 1)],
                ["well-formed links", _num(t.well_formed_links)],
                ["terms defined in theory", str(t.terms_defined)],
                [
                    "of them used in requirements",
                    f"{t.terms_used} ({_num(t.terms_used_share)})",
                ],
            ],
        )
    )
    if t.terms:
        out.print(
            _table(
                "Terms per step (theory defines: bold or italic)",
                ["step", "defined", "used in requirements"],
                [[k, ", ".join(v.defined), ", ".join(v.used) or "-"] for k, v in t.terms.items()],
            )
        )
    lib = m.library
    out.print(
        _table(
            "Library",
            ["figure", "value"],
            [
                ["tasks", str(lib.tasks)],
                *[
                    [name, ", ".join(f"{k}: {v}" for k, v in counts.items()) or "-"]
                    for name, counts in (
                        ("domains", lib.domains),
                        ("difficulties", lib.difficulties),
                        ("types", lib.types),
                        ("lessons", lib.lessons),
                    )
                ],
                *[
                    [f"entropy of {name} (bits)", _num(value)]
                    for name, value in lib.entropy.items()
                ],
                [
                    "near-duplicates",
                    ", ".join(
                        f"{d.first}~{d.second} ({d.similarity:.2f})" for d in lib.near_duplicates
                    )
                    or "-",
                ],
                [
                    "cross-references",
                    ", ".join(
                        f"{a} {lib.titles[str(a)]} -> {b} {lib.titles[str(b)]}"
                        for a, b in lib.references
                    )
                    or "-",
                ],
            ],
        )
    )
    out.print(
        _table(
            "Bugs",
            ["figure", "value"],
            [
                ["open / closed", f"{m.bugs.open} / {m.bugs.closed}"],
                *[
                    [name, ", ".join(f"{k}: {v}" for k, v in counts.items()) or "-"]
                    for name, counts in (
                        ("open per task", m.bugs.by_task),
                        ("closed per task", m.bugs.closed_by_task),
                        ("open per author", m.bugs.by_author),
                        ("closed per author", m.bugs.closed_by_author),
                    )
                ],
            ],
        )
    )


def print_students(m: Metrics) -> None:
    students = m.students
    rows = []
    for task in students.tasks:
        hardest = task.hardest()
        worst = f"step {hardest[0].step} ({_share(hardest[0].pass_through)})" if hardest else "-"
        drop = f"step {task.largest_drop}" if task.largest_drop else "-"
        per_step = ", ".join(f"{s.step}: {_share(s.pass_through)}" for s in task.steps if s.graded)
        rows.append(
            [
                f"{task.task_id} {task.title}",
                str(task.students),
                _share(task.pass_through),
                per_step or "-",
                worst,
                drop,
            ]
        )
    if not rows:
        rows.append(["no results imported (coauthor results import)", "", "", "", "", ""])
    columns = ["task", "students", "passed all", "pass-through per step", "hardest", "drop-out"]
    out.print(_table("Students", columns, rows))


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


@app.command("metrics")
def metrics_command(since: SinceOption = None, as_json: JsonFlag = False) -> None:
    """The metric hierarchy: cost, effort, correctness, text, library, bugs, students.
    --since limits what flows (calls, tasks created, bugs); the rest is the library now."""
    with errors():
        config = settings()
        with open_store(config.database_url) as store:
            figures = compute(store, config.prices, since=parse_since(since))
        if as_json:
            emit({"status": "ok", **figures.model_dump(mode="json")})
            return
        print_metrics(figures)
        print_students(figures)


@app.command("bug")
def bug_command(
    task: Annotated[int, typer.Argument(help="Task id (see coauthor list).")],
    text: Annotated[str, typer.Argument(help="What is wrong.")],
    as_json: JsonFlag = False,
) -> None:
    """File a bug against a task."""
    with errors(), open_store(settings().database_url) as store:
        bug = store.file_bug(task, text)
        if as_json:
            emit({"status": "ok", "bug": bug.model_dump(mode="json")})
            return
        typer.echo(f"bug {bug.id} filed against task {task}")


@app.command("bug-close")
def bug_close_command(
    bug_id: Annotated[int, typer.Argument(help="Bug id (see coauthor bugs).")],
    reopen: Annotated[bool, typer.Option("--reopen", help="Open it again.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Close a bug (or reopen it)."""
    with errors(), open_store(settings().database_url) as store:
        bug = store.close_bug(bug_id, closed=not reopen)
        if as_json:
            emit({"status": "ok", "bug": bug.model_dump(mode="json")})
            return
        typer.echo(f"bug {bug.id} {bug.status.value}")


@app.command("bugs")
def bugs_command(
    task: Annotated[int | None, typer.Option("--task", help="Only this task's.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The bug list: open and closed, oldest first."""
    with errors(), open_store(settings().database_url) as store:
        found = store.bugs(task)
        if as_json:
            emit({"status": "ok", "bugs": [b.model_dump(mode="json") for b in found]})
            return
        out.print(
            _table(
                "Bugs",
                ["id", "task", "status", "by", "filed", "text"],
                [
                    [
                        str(b.id),
                        str(b.task_id),
                        b.status.value,
                        b.reporter or "-",
                        b.created_at.strftime("%Y-%m-%d"),
                        b.text,
                    ]
                    for b in found
                ],
            )
        )

"""What a model's drafts are worth: each idea runs through the whole pipeline (lessons,
plan, steps, verification, repair) on one model, in a temporary SQLite store, and every
step is measured.

    .venv/bin/python bench/quality.py bench/ideas.jsonl [--model SPEC] [--limit N]
        [--steps N] [--rounds N | --no-repair] [--held-out | --shipped] [--json]

Per step: the solution parses; the tests parse and define at least 3 ``test_``
functions; every name the tests import from ``solution`` is defined there (importable);
the solution passes its own tests before any repair and after; the starter fails every
test; verified; the mutation score (``verdict.mutation.score``, when the checker ran
mutation analysis); repair rounds used; test cases the tests were written from and how many
of them the reference solution meets (``cases agree``, from the verdict's disagreements).
Per idea: steps generated, tokens, wall time.

Each line of IDEAS.jsonl: ``idea``, ``domain``, ``difficulty``, ``type``, ``steps``,
``language``, ``held_out`` (true for ideas the prompts and settings were not tuned
on; they are also totalled on their own) and optionally ``lessons`` (a list of
``{"title", "detail"}``: given, as an author may give them, so the run skips the
lessons stage).
"""

from __future__ import annotations

import argparse
import ast
import json
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import cast

from rich.console import Console
from rich.table import Table

from coauthor.llm.registry import model_from_string
from coauthor.pipeline.brief import make_brief
from coauthor.pipeline.checkpoints import Checkpoints
from coauthor.pipeline.context import master_text
from coauthor.pipeline.events import Events
from coauthor.pipeline.runner import RunFailedError, Runner, start_run
from coauthor.pipeline.verify import Checker
from coauthor.schemas import Lesson, Step, Verdict
from coauthor.schemas.runs import RunOptions
from coauthor.settings import Settings
from coauthor.store import Store

MIN_TESTS = 3


@dataclass
class StepFigures:
    solution_parses: bool
    tests_parse_3: bool
    importable: bool
    passes_before: bool
    passes_after: bool
    starter_fails: bool
    verified: bool
    mutation: float | None
    rounds: int
    cases: int = 0
    """Test cases the tests were written from (function-style steps)."""
    cases_agree: int = 0
    """Of those, the ones whose expectation the reference solution meets (dual execution)."""


@dataclass
class IdeaFigures:
    idea: str
    held_out: bool
    steps_asked: int
    steps: list[StepFigures] = field(default_factory=list)
    tokens: int = 0
    wall_s: float = 0.0
    error: str = ""


class FirstVerdicts(Events):
    """Keeps the first verdict of each step: the one before any repair round."""

    def __init__(self) -> None:
        super().__init__()
        self.step = 0
        self.first: dict[int, Verdict] = {}

    def stage_started(self, stage: str, *, step: int | None = None, total: int = 0) -> None:
        if stage == "verify" and step is not None:
            self.step = step
        where = f" {step}" if step is not None else ""
        print(f"  {time.strftime('%H:%M:%S')} {stage}{where}", file=sys.stderr, flush=True)


class Recording:
    """The sandbox checker, recording the first verdict it gives for each step."""

    def __init__(self, checker: Checker, events: FirstVerdicts) -> None:
        self.checker = checker
        self.events = events

    def verdict(self, step: Step) -> Verdict:
        got = self.checker.verdict(step)
        self.events.first.setdefault(self.events.step, got)
        return got


def parses(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError):
        return None


def test_count(tree: ast.Module) -> int:
    return sum(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_")
        for node in ast.walk(tree)
    )


def defined(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def importable(solution: ast.Module | None, tests: ast.Module | None) -> bool:
    """The tests import the solution, and every name they take from it is defined there."""
    if solution is None or tests is None:
        return False
    wanted: set[str] = set()
    imports = False
    for node in ast.walk(tests):
        if isinstance(node, ast.ImportFrom) and node.module == "solution":
            imports = True
            wanted |= {a.name for a in node.names if a.name != "*"}
        elif isinstance(node, ast.Import) and any(a.name == "solution" for a in node.names):
            imports = True
    return imports and wanted <= defined(solution)


def passes(verdict: Verdict | None) -> bool:
    return (
        verdict is not None
        and verdict.tests > 0
        and all(got == "passed" for got in verdict.solution_outcomes.values())
    )


def figures(step: Step, first: Verdict | None) -> StepFigures:
    verdict = step.verdict
    solution, tests = parses(step.solution), parses(step.tests)
    starter = verdict.starter_outcomes if verdict is not None else {}
    return StepFigures(
        solution_parses=solution is not None,
        tests_parse_3=tests is not None and test_count(tests) >= MIN_TESTS,
        importable=importable(solution, tests),
        passes_before=passes(first),
        passes_after=passes(verdict),
        starter_fails=bool(starter) and all(got != "passed" for got in starter.values()),
        verified=verdict is not None and verdict.verified,
        mutation=verdict.mutation.score if verdict and verdict.mutation else None,
        rounds=verdict.repair_rounds if verdict is not None else 0,
        cases=len(step.cases),
        cases_agree=len(step.cases) - len(verdict.disagreements) if verdict else 0,
    )


def run_idea(
    row: dict[str, object], *, spec: str, config: Settings, steps: int | None
) -> IdeaFigures:
    asked = int(steps or row.get("steps") or 2)  # type: ignore[call-overload]
    result = IdeaFigures(str(row["idea"]), bool(row.get("held_out")), asked)
    brief = make_brief(
        str(row["idea"]),
        domain=str(row.get("domain", "e-commerce")),
        difficulty=str(row.get("difficulty", "junior")),
        task_type=str(row.get("type", "quest")),
        language=str(row.get("language", "en")),
        steps=asked,
    )
    if row.get("lessons"):  # given, as an author may: the run skips the lessons stage
        brief = brief.model_copy(
            update={
                "lessons": [Lesson.model_validate(x) for x in cast(list[object], row["lessons"])]
            }
        )
    model = model_from_string(spec, config)
    events = FirstVerdicts()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder, Store(f"sqlite:///{folder}/bench.db") as store:
        run = start_run(store, brief, model=spec, options=RunOptions(verify=True))
        runner = Runner(
            store,
            model,
            master=master_text(store, config),
            events=events,
            checker=Recording(Checker.from_settings(config), events),
            repair_rounds=config.repair_rounds,
            exemplar_tokens=config.exemplar_tokens,
        )
        try:
            made = runner.execute(run.id).revision.task.steps
        except RunFailedError as exc:
            result.error = str(exc)[:200]
            done = Checkpoints(store, run.id)
            drafts = (done.get(f"step:{n}", Step) for n in range(1, asked + 1))
            made = [s for s in drafts if s is not None]
        finally:
            model.close()
        result.steps = [figures(s, events.first.get(n)) for n, s in enumerate(made, 1)]
    result.wall_s = time.monotonic() - started
    result.tokens = model.usage.prompt_tokens + model.usage.completion_tokens
    return result


COLUMNS = (
    ("solution_parses", "solution parses"),
    ("tests_parse_3", "tests parse, ≥3"),
    ("importable", "importable"),
    ("passes_before", "passes, before repair"),
    ("passes_after", "passes, after repair"),
    ("starter_fails", "starter fails"),
    ("verified", "verified"),
)


def row_cells(steps: list[StepFigures], asked: int) -> list[str]:
    cells = [f"{len(steps)}/{asked}"]
    cells += [f"{sum(getattr(s, key) for s in steps)}/{asked}" for key, _ in COLUMNS]
    scores = [s.mutation for s in steps if s.mutation is not None]
    cells.append(f"{statistics.median(scores):.2f}" if scores else "—")
    cells.append(str(sum(s.rounds for s in steps)))
    cases = sum(s.cases for s in steps)
    cells.append(f"{sum(s.cases_agree for s in steps)}/{cases}" if cases else "—")
    return cells


def table(results: list[IdeaFigures], title: str) -> Table:
    shown = Table(title=title)
    shown.add_column("idea", max_width=48)
    headers = ("steps", *(h for _, h in COLUMNS), "median mutation", "rounds", "cases agree")
    for header in headers:
        shown.add_column(header, justify="right")
    shown.add_column("tokens", justify="right")
    shown.add_column("wall s", justify="right")
    for part, label in ((False, "shipped"), (True, "held out")):
        group = [r for r in results if r.held_out is part]
        for r in group:
            idea = r.idea[:44] + ("…" if len(r.idea) > 44 else "")
            if r.error:
                idea += f" (failed: {r.error[:80]})"
            shown.add_row(
                idea, *row_cells(r.steps, r.steps_asked), str(r.tokens), f"{r.wall_s:.0f}"
            )
        if group:
            all_steps = [s for r in group for s in r.steps]
            shown.add_row(
                f"[bold]total, {label}[/]",
                *row_cells(all_steps, sum(r.steps_asked for r in group)),
                str(sum(r.tokens for r in group)),
                f"{sum(r.wall_s for r in group):.0f}",
                end_section=True,
            )
    return shown


def markdown(results: list[IdeaFigures]) -> str:
    """The same figures as a Markdown table (for the README)."""
    headers = ["idea", "steps", *(h for _, h in COLUMNS), "mutation", "rounds", "cases agree"]
    headers += ["tokens", "s"]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for part, label in ((False, "shipped"), (True, "held out")):
        group = [r for r in results if r.held_out is part]
        for r in group:
            idea = r.idea[:40] + ("…" if len(r.idea) > 40 else "")
            cells = row_cells(r.steps, r.steps_asked)
            lines.append(
                f"| {idea} | " + " | ".join([*cells, str(r.tokens), f"{r.wall_s:.0f}"]) + " |"
            )
        if group:
            cells = row_cells(
                [s for r in group for s in r.steps], sum(r.steps_asked for r in group)
            )
            tokens, wall = sum(r.tokens for r in group), sum(r.wall_s for r in group)
            lines.append(
                f"| **total, {label}** | " + " | ".join([*cells, str(tokens), f"{wall:.0f}"]) + " |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ideas", type=Path)
    parser.add_argument("--model", default=None, help="model spec (default: COAUTHOR_MODEL)")
    parser.add_argument("--limit", type=int, default=None, help="first N ideas of each group")
    parser.add_argument("--steps", type=int, default=None, help="steps per idea (default: file)")
    parser.add_argument(
        "--rounds", type=int, default=None, help="repair rounds (default: settings)"
    )
    parser.add_argument("--no-repair", action="store_true", help="same as --rounds 0")
    parser.add_argument("--held-out", action="store_true", help="only the held-out ideas")
    parser.add_argument("--shipped", action="store_true", help="only the shipped ideas")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--markdown", action="store_true", help="a Markdown table on stdout")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in args.ideas.read_text().splitlines() if line.strip()]
    if args.held_out:
        rows = [r for r in rows if r.get("held_out")]
    if args.shipped:
        rows = [r for r in rows if not r.get("held_out")]
    shipped = [r for r in rows if not r.get("held_out")][: args.limit]
    held = [r for r in rows if r.get("held_out")][: args.limit]
    # alternate the groups, so a run stopped early still has figures for both
    rows = [r for pair in zip_longest(shipped, held) for r in pair if r is not None]
    config = Settings()
    rounds = 0 if args.no_repair else args.rounds
    if rounds is not None:
        config = config.model_copy(update={"repair_rounds": rounds})
    spec = args.model or config.model
    err = Console(stderr=True)
    results = []
    for number, row in enumerate(rows, 1):
        err.print(f"[{number}/{len(rows)}] {row['idea'][:70]}", highlight=False)
        results.append(run_idea(row, spec=spec, config=config, steps=args.steps))
        print(json.dumps(asdict(results[-1])), file=sys.stderr, flush=True)  # partial figures
    if args.json:
        print(
            json.dumps(
                {
                    "model": spec,
                    "repair_rounds": config.repair_rounds,
                    "ideas": [asdict(r) for r in results],
                },
                indent=1,
            )
        )
    elif args.markdown:
        print(markdown(results))
    else:
        title = f"{spec}, repair rounds {config.repair_rounds}"
        Console(width=200).print(table(results, title))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The embedded model's sampling penalties, measured on the code-writing stages only.

    .venv/bin/python bench/sampling.py bench/ideas.jsonl --part tuning \
        [--grid 1.0:0,1.1:0,1.2:0,1.3:0,1.0:0.3,...] [--limit N] [--out ROWS.jsonl]
    .venv/bin/python bench/sampling.py --report ROWS.jsonl [ROWS.jsonl ...]

For each idea (``--part tuning``: the shipped ones, ``held_out: false``; ``--part
held-out``: the others) the plan and step 1's prose draft are written once, at the old
default setting (repeat penalty 1.1, frequency penalty 0), and kept in a cache beside
``--out``. Then, for every ``repeat:frequency`` pair of the grid, the step's code stages
run as the pipeline runs them (the same prompts, exemplar, re-asks and repeat removal):
the solution (``solution.j2``), then the tests (cases, then ``tests.j2``). One model
server serves the whole grid (the penalties are per request), and settings are the inner
loop, so the solution prompt is evaluated once per step. Sampling is the backend's:
temperature and seed from the settings (0 and 42: greedy, deterministic).

One JSON row per (idea, setting) is appended to ``--out`` as it is measured: solution
parses; repeated top-level definitions the pipeline removed (solution and tests, each
flagged on the step); re-asks; tests parse and define at least 3 ``test_`` functions;
the solution is importable by its tests; completion tokens; code lines; seconds.
``--report`` totals the rows per setting and names the best by :func:`best`.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

from coauthor.examples import examples
from coauthor.llm.local import LocalModel
from coauthor.pipeline.brief import make_brief
from coauthor.pipeline.context import Context, master_text
from coauthor.pipeline.exemplars import (
    Exemplar,
    candidates,
    choose,
    trimmed,
)
from coauthor.pipeline.exemplars import (
    best as best_candidate,
)
from coauthor.pipeline.plan import plan
from coauthor.pipeline.step import _tests
from coauthor.schemas import Lesson, Plan, StepDraft, TaskBrief
from coauthor.settings import Settings
from coauthor.store import Store
from quality import MIN_TESTS, importable, parses, test_count

OLD_DEFAULT = (1.1, 0.0)
"""llama.cpp's own defaults, the settings' defaults before this measurement."""
GRID = "1.0:0,1.1:0,1.2:0,1.3:0,1.0:0.3,1.1:0.3,1.2:0.3,1.3:0.3"


@dataclass
class Row:
    idea: str
    held_out: bool
    repeat: float
    frequency: float
    solution_parses: bool
    repeats_removed: int
    reasks: int
    tests_parse_3: bool | None
    """None where only the solution stage ran (``--stages solution``)."""
    importable: bool | None
    tokens: int
    lines: int
    seconds: float


def parse_grid(text: str) -> list[tuple[float, float]]:
    """``"1.0:0,1.1:0.3"`` -> [(1.0, 0.0), (1.1, 0.3)]."""
    pairs = []
    for item in text.split(","):
        repeat, _, frequency = item.strip().partition(":")
        pairs.append((float(repeat), float(frequency or 0)))
    return pairs


def totals(rows: list[Row]) -> dict[tuple[float, float], dict[str, float]]:
    """Per setting: steps, and the sum of each figure over them."""
    out: dict[tuple[float, float], dict[str, float]] = {}
    for row in rows:
        into = out.setdefault((row.repeat, row.frequency), {"steps": 0, "tested": 0})
        into["steps"] += 1
        into["tested"] += row.tests_parse_3 is not None
        for key in (
            "solution_parses",
            "tests_parse_3",
            "importable",
            "repeats_removed",
            "reasks",
            "tokens",
            "lines",
            "seconds",
        ):
            into[key] = into.get(key, 0) + float(getattr(row, key) or 0)
    return out


def best(summed: dict[tuple[float, float], dict[str, float]]) -> tuple[float, float]:
    """The setting with the most structural successes (solution parses + tests parse
    with >= 3 tests + importable); ties go to fewer re-asks, then fewer repeated
    definitions removed, then fewer tokens, then the old default."""

    def key(setting: tuple[float, float]) -> tuple[float, ...]:
        t = summed[setting]
        good = t["solution_parses"] + t["tests_parse_3"] + t["importable"]
        return (-good, t["reasks"], t["repeats_removed"], t["tokens"], setting != OLD_DEFAULT)

    return min(summed, key=key)


def markdown(summed: dict[tuple[float, float], dict[str, float]]) -> str:
    headers = [
        "repeat penalty",
        "frequency penalty",
        "solution parses",
        "tests parse, ≥3",
        "importable",
        "repeated definitions removed",
        "re-asks",
        "completion tokens",
        "solution lines, mean",
        "s",
    ]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for (repeat, frequency), t in sorted(summed.items()):
        n, tested = int(t["steps"]), int(t["tested"])
        cells = [
            f"{repeat:g}",
            f"{frequency:g}",
            f"{int(t['solution_parses'])}/{n}",
            *(f"{int(t[k])}/{tested}" if tested else "—" for k in ("tests_parse_3", "importable")),
            *(str(int(t[k])) for k in ("repeats_removed", "reasks", "tokens")),
            f"{t['lines'] / n:.0f}",
            f"{t['seconds']:.0f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _brief(row: dict[str, Any]) -> TaskBrief:
    brief = make_brief(
        str(row["idea"]),
        domain=str(row.get("domain", "e-commerce")),
        difficulty=str(row.get("difficulty", "junior")),
        task_type=str(row.get("type", "quest")),
        language=str(row.get("language", "en")),
        steps=int(row.get("steps") or 2),
    )
    lessons = [Lesson.model_validate(x) for x in cast(list[object], row.get("lessons") or [])]
    return brief.model_copy(update={"lessons": lessons}) if lessons else brief


def _set(model: LocalModel, setting: tuple[float, float]) -> None:
    model.repeat_penalty, model.frequency_penalty = setting


def _drafts(
    ctx: Context, brief: TaskBrief, cache: Path, model: LocalModel
) -> tuple[Plan, StepDraft]:
    """The plan and step 1's prose draft, written once at the old default and cached."""
    known: dict[str, Any] = json.loads(cache.read_text()) if cache.exists() else {}
    if brief.idea not in known:
        _set(model, OLD_DEFAULT)
        the_plan = plan(ctx, brief)
        values = {"brief": brief, "plan": the_plan, "outline": the_plan.steps[0], "number": 1}
        draft = ctx.model.generate(
            ctx.messages("step.j2", summary="", exemplar=ctx.exemplar, **values),
            output=StepDraft,
            max_tokens=1400,
        )
        known[brief.idea] = {"plan": the_plan.model_dump(), "draft": draft.model_dump()}
        cache.write_text(json.dumps(known, ensure_ascii=False, indent=1))
    got = known[brief.idea]
    return Plan.model_validate(got["plan"]), StepDraft.model_validate(got["draft"])


def measure(
    ctx: Context,
    model: LocalModel,
    brief: TaskBrief,
    the_plan: Plan,
    draft: StepDraft,
    setting: tuple[float, float],
    held_out: bool,
    *,
    tests: bool = True,
    number: int = 1,
) -> Row:
    """Step 1's code stages at ``setting``, as :func:`coauthor.pipeline.step.step` runs them."""
    _set(model, setting)
    values: dict[str, Any] = {
        "brief": brief,
        "plan": the_plan,
        "outline": the_plan.steps[number - 1],
        "number": number,
        "exemplar": ctx.exemplar,
    }
    started, spent = time.monotonic(), model.usage.completion_tokens
    solution = ctx.model.code(ctx.messages("solution.j2", draft=draft, **values))
    made = _tests(ctx, solution, draft=draft, values=values)[0] if tests else None
    solved = parses(solution.code)
    tested = parses(made.code) if made is not None else None
    return Row(
        idea=f"{brief.idea[:60]} #{number}",
        held_out=held_out,
        repeat=setting[0],
        frequency=setting[1],
        solution_parses=solved is not None,
        repeats_removed=len(solution.notes) + (len(made.notes) if made else 0),
        reasks=solution.attempts - 1 + (max(made.attempts - 1, 0) if made else 0),
        tests_parse_3=None
        if made is None
        else tested is not None and test_count(tested) >= MIN_TESTS,
        importable=None if made is None else importable(solved, tested),
        tokens=model.usage.completion_tokens - spent,
        lines=len(solution.code.splitlines()),
        seconds=round(time.monotonic() - started, 1),
    )


EXAMPLE_PARTS = {"tuning": ("ab-test-sample-size", "cohort-retention-curve")}
"""With ``--source examples``: the shipped examples the grid is chosen on; the others
(credit-expected-loss-cutoff, recommender-ranking-metrics) are held out."""


def example_steps(part: str) -> list[tuple[TaskBrief, Plan, int, StepDraft]]:
    """Every step of the shipped examples of ``part``: its brief, plan, number and prose
    (the draft the code stages start from), so no plan or draft has to be generated."""
    tuning = EXAMPLE_PARTS["tuning"]
    found = []
    for example in examples():
        if (example.slug in tuning) is not (part == "tuning"):
            continue
        task = example.task
        for number, made in enumerate(task.steps, 1):
            draft = StepDraft.model_construct(  # an edited example may exceed the limits
                story=made.story,
                theory=made.theory,
                links=made.links,
                requirements=made.requirements,
            )
            found.append((number, task.brief, task.plan, draft))
    # step 1 of every example first, then step 2, ...: a run stopped early covers them all
    found.sort(key=lambda item: item[0])
    return [(brief, plan, number, draft) for number, brief, plan, draft in found]


def other_exemplar(store: Store, brief: TaskBrief, budget: int) -> Exemplar | None:
    """The exemplar the pipeline would choose, the idea's own example left out (it holds
    the very solution asked for)."""
    found = best_candidate([c for c in candidates(store) if c.task.brief.idea != brief.idea], brief)
    return None if found is None or budget <= 0 else trimmed(found, budget)


def measured(path: Path) -> set[tuple[str, float, float]]:
    """(idea, repeat, frequency) of the rows already in ``path``: a rerun skips them."""
    lines = path.read_text().splitlines() if path.exists() else []
    rows = [json.loads(line) for line in lines if line.strip()]
    return {(r["idea"], r["repeat"], r["frequency"]) for r in rows}


def sweep_examples(args: argparse.Namespace) -> None:
    grid = parse_grid(args.grid)
    done = measured(args.out)
    config = Settings()
    model = LocalModel(None, config)
    try:
        with tempfile.TemporaryDirectory() as folder, Store(f"sqlite:///{folder}/b.db") as store:
            master = master_text(store, config)
            for brief, the_plan, number, draft in example_steps(args.part)[args.skip :][
                : args.limit
            ]:
                exemplar = other_exemplar(store, brief, config.exemplar_tokens)
                ctx = Context(model, master, brief.language, exemplar)
                print(f"{time.strftime('%H:%M:%S')} {brief.idea[:50]} {number}", file=sys.stderr)
                label = f"{brief.idea[:60]} #{number}"
                for setting in grid:
                    if (label, *setting) in done:
                        continue
                    got = measure(
                        ctx,
                        model,
                        brief,
                        the_plan,
                        draft,
                        setting,
                        args.part != "tuning",
                        tests=args.stages == "all",
                        number=number,
                    )
                    print(json.dumps(asdict(got), ensure_ascii=False), file=sys.stderr)
                    with args.out.open("a") as out:
                        out.write(json.dumps(asdict(got), ensure_ascii=False) + "\n")
    finally:
        model.close()


def sweep(args: argparse.Namespace) -> None:
    if args.source == "examples":
        sweep_examples(args)
        return
    rows = [json.loads(line) for line in args.ideas.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if bool(r.get("held_out")) is (args.part == "held-out")]
    grid = parse_grid(args.grid)
    config = Settings()
    model = LocalModel(None, config)
    cache = args.out.with_suffix(".drafts.json")
    try:
        with tempfile.TemporaryDirectory() as folder, Store(f"sqlite:///{folder}/b.db") as store:
            master = master_text(store, config)
            for row in rows[args.skip :][: args.limit]:
                brief = _brief(row)
                exemplar = choose(store, brief, budget_tokens=config.exemplar_tokens)
                ctx = Context(model, master, brief.language, exemplar)
                print(f"{time.strftime('%H:%M:%S')} {brief.idea[:60]}", file=sys.stderr)
                the_plan, draft = _drafts(ctx, brief, cache, model)
                for setting in grid:
                    got = measure(
                        ctx,
                        model,
                        brief,
                        the_plan,
                        draft,
                        setting,
                        args.part != "tuning",
                        tests=args.stages == "all",
                    )
                    print(json.dumps(asdict(got), ensure_ascii=False), file=sys.stderr)
                    with args.out.open("a") as out:
                        out.write(json.dumps(asdict(got), ensure_ascii=False) + "\n")
    finally:
        model.close()


def report(paths: list[Path]) -> None:
    rows = [Row(**json.loads(line)) for p in paths for line in p.read_text().splitlines() if line]
    for part in (False, True):
        group = [r for r in rows if r.held_out is part]
        if group:
            summed = totals(group)
            print(f"\n{'held out' if part else 'tuning'}: {len({r.idea for r in group})} steps")
            print(markdown(summed))
            print(f"best: repeat {best(summed)[0]:g}, frequency {best(summed)[1]:g}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ideas", type=Path, nargs="?")
    parser.add_argument(
        "--source",
        choices=("ideas", "examples"),
        default="ideas",
        help="examples: the shipped examples' steps as drafts (no plan or draft generated)",
    )
    parser.add_argument("--part", choices=("tuning", "held-out"), default="tuning")
    parser.add_argument("--grid", default=GRID, help="repeat:frequency pairs")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--skip", type=int, default=0, help="leave out the first N ideas")
    parser.add_argument("--stages", choices=("all", "solution"), default="all")
    parser.add_argument("--out", type=Path, default=Path("sampling.jsonl"))
    parser.add_argument("--report", type=Path, nargs="+", default=None)
    args = parser.parse_args(argv)
    if args.report:
        report(args.report)
    else:
        sweep(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

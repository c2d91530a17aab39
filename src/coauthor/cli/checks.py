"""``coauthor verify``: run the checking system on a stored task."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from coauthor.cli.app import (
    InputError,
    JsonFlag,
    ModelOption,
    app,
    emit,
    err,
    errors,
    open_store,
    settings,
)
from coauthor.figures import figure_states
from coauthor.llm.registry import model_from_string
from coauthor.pipeline.context import Context, master_text
from coauthor.pipeline.equivalents import mark_equivalent, unmark_equivalent
from coauthor.pipeline.recheck import recheck
from coauthor.pipeline.verify import Checker
from coauthor.sandbox.boundary import Mode
from coauthor.schemas import Step, Verdict
from coauthor.schemas.mutation import MutationReport
from coauthor.store import RevisionInfo

MODES: dict[str, Mode] = {
    "auto": "auto",
    "isolated": "process-isolated",
    "in-process": "in-process, tamper-evident",
}


def verdict_fields(number: int, step: Step) -> dict[str, object]:
    """A step's verdict as the JSON commands print it (``None`` fields: not verified yet)."""
    verdict = step.verdict
    fields: dict[str, object] = {
        "number": number,
        "title": step.title,
        "flags": step.flags,
        "figures": [
            {"name": f.name, "kind": f.kind, "state": f.state, "detail": f.detail}
            for f in figure_states(step)
        ],
    }
    if verdict is None:
        return {**fields, "verified": None}
    survivors = [m.id for m in verdict.mutation.survivors] if verdict.mutation else []
    return {
        **fields,
        **verdict.model_dump(mode="json"),
        "failing_tests": verdict.failing_tests,
        "mutation_score": verdict.mutation.score if verdict.mutation else None,
        "survivors": survivors,
        "equivalent_mutants": [m.model_dump(mode="json") for m in step.equivalent_mutants],
    }


def verdict_line(number: int, verdict: Verdict | None) -> str:
    if verdict is None:
        return f"step {number}: not verified yet"
    coverage = "n/a" if verdict.coverage is None else f"{verdict.coverage:.0f}%"
    head = "verified" if verdict.verified else "NOT verified"
    line = (
        f"step {number}: {head} — {verdict.tests} tests, coverage {coverage}, "
        f"isolation {verdict.isolation}, {verdict.duration_s:.1f} s"
    )
    if verdict.checking_mode:
        line += f", {verdict.checking_mode}"
    if verdict.mutation is not None:
        line += f"\n    {mutation_summary(verdict.mutation)}"
    details = verdict.problems + verdict.warnings
    details += [f"case and solution disagree: {d.line}" for d in verdict.disagreements]
    return line + "".join(f"\n    - {detail}" for detail in details)


def mutation_summary(report: MutationReport) -> str:
    """``mutation score 0.73 (threshold 0.80): 8 killed, 3 survived, ...``."""
    if report.score is None:
        return f"mutation score: none ({report.skipped or 'no mutant counts'})"
    counts = (
        f"{report.killed} killed, {report.survived} survived, {report.timed_out} timed out, "
        f"{report.equivalent} equivalent of {report.generated}"
    )
    below = "" if report.score >= report.threshold else ", below the threshold"
    return f"mutation score {report.score:.2f} (threshold {report.threshold:.2f}{below}): {counts}"


def survivor_lines(report: MutationReport | None) -> str:
    """Each surviving mutant: id, line, the change in words, and its diff, indented."""
    if report is None:
        return ""
    chunks = []
    for mutant in report.survivors:
        chunks.append(f"    survivor {mutant.id}, line {mutant.line}: {mutant.change}")
        chunks += [f"        {line}" for line in mutant.diff.splitlines()]
    return "\n".join(chunks)


@app.command()
def verify(
    task_id: Annotated[int, typer.Argument(help="Task id.")],
    step: Annotated[int | None, typer.Option(help="Only this step (1-based).")] = None,
    repair: Annotated[
        bool, typer.Option("--repair", help="Send failing steps to the model for repair rounds.")
    ] = False,
    model: ModelOption = None,
    mode: Annotated[
        str,
        typer.Option(
            "--mode",
            help="auto (decided per step), isolated (the solution in its own process) "
            "or in-process (tamper-evident).",
        ),
    ] = "auto",
    mutants: Annotated[
        int | None,
        typer.Option(
            "--mutants", min=0, max=200, help="Mutants per step for this check (default: setting)."
        ),
    ] = None,
    no_mutation: Annotated[
        bool, typer.Option("--no-mutation", help="No mutation analysis in this check.")
    ] = False,
    equivalent: Annotated[
        str | None,
        typer.Option(
            "--equivalent",
            metavar="MUTANT_ID",
            help="Mark this surviving mutant of --step as equivalent (with --note); "
            "saved as a new revision, left out of the score from then on.",
        ),
    ] = None,
    unmark: Annotated[
        str | None,
        typer.Option(
            "--unmark-equivalent",
            metavar="MUTANT_ID",
            help="Drop the equivalent mark on this mutant of --step; saved as a new "
            "revision, the mutant counts as a survivor again.",
        ),
    ] = None,
    note: Annotated[
        str, typer.Option("--note", help="Why the mutant behaves exactly like the solution.")
    ] = "",
    as_json: JsonFlag = False,
) -> None:
    """Verify a task's steps in the sandbox: the solution passes, the starter fails, and
    the tests kill enough mutants of the solution."""
    with errors():
        config = settings()
        if mode not in MODES:
            raise InputError(f"unknown --mode {mode!r}; use one of: {', '.join(MODES)}")
        if no_mutation:
            config = config.model_copy(update={"mutants": 0})
        elif mutants is not None:
            config = config.model_copy(update={"mutants": mutants})
        with open_store(config.database_url) as store:
            steps = None if step is None else [step]
            if equivalent is not None and unmark is not None:
                raise InputError("give --equivalent or --unmark-equivalent, not both")
            if unmark is not None:
                if step is None:
                    raise InputError(
                        "--unmark-equivalent needs --step N: the step the mutant is of"
                    )
                saved = unmark_equivalent(store, task_id, step, unmark)
                print_verdicts(saved, steps=steps, as_json=as_json)
                return
            if equivalent is not None:
                if step is None:
                    raise InputError("--equivalent needs --step N: the step the mutant is of")
                saved = mark_equivalent(store, task_id, step, equivalent, note=note)
                print_verdicts(saved, steps=steps, as_json=as_json)
                return
            checker = replace(Checker.from_settings(config), mode=MODES[mode])
            if not repair:
                saved = recheck(store, task_id, checker=checker, steps=steps)
            else:
                llm = model_from_string(model or config.model, config)
                head = store.revision(task_id)
                master = master_text(store, config)
                ctx = Context(llm, master, head.task.brief.language)
                try:
                    saved = recheck(
                        store,
                        task_id,
                        checker=checker,
                        steps=steps,
                        ctx=ctx,
                        rounds=config.repair_rounds,
                    )
                finally:
                    llm.close()
        print_verdicts(saved, steps=steps, as_json=as_json)
        if not all_verified(saved, steps):
            raise typer.Exit(1)


def all_verified(saved: RevisionInfo, steps: list[int] | None) -> bool:
    numbers = steps or range(1, len(saved.task.steps) + 1)
    return all((v := saved.task.steps[n - 1].verdict) and v.verified for n in numbers)


def print_verdicts(saved: RevisionInfo, *, steps: list[int] | None, as_json: bool) -> None:
    numbers = steps or list(range(1, len(saved.task.steps) + 1))
    chosen = [(n, saved.task.steps[n - 1]) for n in numbers]
    if as_json:
        emit(
            {
                "task_id": saved.task_id,
                "run_id": None,
                "status": "verified" if all_verified(saved, steps) else "failed",
                "revision": saved.number,
                "steps": [verdict_fields(n, s) for n, s in chosen],
            }
        )
        return
    for number, item in chosen:
        typer.echo(verdict_line(number, item.verdict))
        if item.verdict is not None and (survivors := survivor_lines(item.verdict.mutation)):
            typer.echo(survivors)
        for figure in figure_states(item):
            typer.echo(f"    {figure.line()}")
    err.print(f"saved as revision {saved.number} of task {saved.task_id}", highlight=False)

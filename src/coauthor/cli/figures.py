"""``coauthor figures render``: draw a task's figures again in the current house style."""

from __future__ import annotations

from typing import Annotated

import typer

from coauthor.cli.app import JsonFlag, app, emit, err, errors, settings
from coauthor.pipeline.figures import FigureDrawer, rerender_task
from coauthor.store import Store

figures_app = typer.Typer(
    no_args_is_help=True, help="Charts and diagrams of a task, drawn in the house style."
)
app.add_typer(figures_app, name="figures")


@figures_app.command("render")
def render(
    task_id: Annotated[int, typer.Argument(help="Task id.")],
    as_json: JsonFlag = False,
) -> None:
    """Re-render every chart and diagram of the task in the current house style, saved as a
    new revision (nothing is saved when no figure changed)."""
    with errors():
        config = settings()
        with Store(config.database_url) as store:
            drawer = FigureDrawer.for_store(store, config)
            done = rerender_task(store, task_id, drawer)
        failed = [state for _, state in done.states if state.state != "rendered"]
        if as_json:
            emit(
                {
                    "task_id": task_id,
                    "run_id": None,
                    "status": "failed" if failed else "rendered",
                    "revision": done.revision,
                    "figures": [
                        {
                            "step": n,
                            "name": s.name,
                            "kind": s.kind,
                            "state": s.state,
                            "detail": s.detail,
                        }
                        for n, s in done.states
                    ],
                }
            )
        else:
            for number, state in done.states:
                typer.echo(f"step {number}: {state.line()}")
            if not done.states:
                err.print(f"task {task_id} has no figures", highlight=False)
            elif done.revision is None:
                err.print(
                    "nothing changed: every figure is already drawn in this style", highlight=False
                )
            else:
                err.print(f"saved as revision {done.revision} of task {task_id}", highlight=False)
        if failed:
            raise typer.Exit(1)

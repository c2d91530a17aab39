"""``coauthor worker``: executes queued runs (the studio's, a batch's)."""

from __future__ import annotations

from typing import Annotated

import typer

from coauthor.cli.app import app, errors, fail, settings
from coauthor.queue.local import QueueServerError


@app.command()
def worker(
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Runs executed at once by this worker.")
    ] = 1,
    name: Annotated[str | None, typer.Option(help="Name shown in the Queue view.")] = None,
) -> None:
    """Execute queued runs until stopped (Ctrl+C finishes the running ones first)."""
    from coauthor.queue.worker import serve

    with errors():
        try:
            serve(settings(), concurrency=concurrency, name=name)
        except QueueServerError as exc:
            fail(str(exc), 1)

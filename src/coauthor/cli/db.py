"""``coauthor db upgrade``: apply the database migrations and say what changed."""

from __future__ import annotations

import typer

from coauthor.cli.app import JsonFlag, app, emit, errors, settings, shown_database
from coauthor.store import upgrade_database

db = typer.Typer(no_args_is_help=True, help="The database: its schema migrations.")
app.add_typer(db, name="db")


@db.command()
def upgrade(as_json: JsonFlag = False) -> None:
    """Apply pending migrations; print the schema revision before and after.

    The database is the one in COAUTHOR_DATABASE_URL. One written by a newer Co-Author is
    refused and left alone."""
    with errors():
        before, after = upgrade_database(settings().database_url)
    if as_json:
        emit({"status": "ok", "before": before, "after": after})
        return
    where = shown_database()
    if before == after:
        typer.echo(f"{where}: already at revision {after}, the latest")
    else:
        typer.echo(f"{where}: upgraded from revision {before or '(empty)'} to {after}")

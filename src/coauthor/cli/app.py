"""The ``coauthor`` Typer app and what every command shares: settings, errors, JSON.

Exit codes: 0 done, 1 a fault (model, store, disk), 2 bad input.
With ``--json`` a command prints one JSON object on stdout and nothing else;
progress and notes go to stderr.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import sqlalchemy as sa
import typer
from alembic.util.exc import CommandError
from pydantic import ValidationError
from rich.console import Console

from coauthor.export import ExportError
from coauthor.llm.base import ModelError
from coauthor.pipeline.brief import BriefError
from coauthor.pipeline.claims import RunBusyError
from coauthor.pipeline.runner import RunFailedError
from coauthor.prompts import MasterDocumentError
from coauthor.settings import Settings
from coauthor.store import NotFoundError, PermissionDenied, Store, TeamError
from coauthor.store.team import local_user

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Co-Author: turn a task idea into a verified multi-step programming task.",
)
err = Console(stderr=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
ModelOption = Annotated[
    str | None,
    typer.Option("--model", help="local, local:PATH.gguf, openai:NAME, openai:NAME@URL"),
]


class InputError(Exception):
    """Bad input from the user: exit code 2."""


def fail(message: str, code: int) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def errors() -> Iterator[None]:
    """Turn every expected failure into one line on stderr and an exit code."""
    try:
        yield
    except (InputError, BriefError, MasterDocumentError, ExportError, NotFoundError) as exc:
        fail(str(exc), 2)
    except PermissionDenied as exc:
        fail(f"permission denied: {exc}", 2)
    except TeamError as exc:
        fail(str(exc), 2)
    except RunBusyError as exc:
        fail(str(exc), 1)
    except ValueError as exc:  # a malformed model spec, an invalid setting
        fail(str(exc).splitlines()[0], 2)
    except RunFailedError as exc:
        fail(
            f"run {exc.run_id} failed at {exc}; fix the cause, then: coauthor resume {exc.run_id}",
            1,
        )
    except ModelError as exc:
        fail(str(exc), 1)
    except sa.exc.ArgumentError as exc:
        fail(f"invalid COAUTHOR_DATABASE_URL: {exc}", 2)
    except (sa.exc.SQLAlchemyError, CommandError) as exc:
        fail(database_problem(exc), 1)
    except OSError as exc:
        fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), 1)


ELSEWHERE = "or point COAUTHOR_DATABASE_URL at another database"
UNCHANGED = "(the file was not changed)"
DATABASE_PROBLEMS = (
    ("file is not a database", f"is not an SQLite database: move it away, {ELSEWHERE} {UNCHANGED}"),
    (
        "malformed",
        f"is damaged (truncated or corrupt): restore it from a backup, {ELSEWHERE} {UNCHANGED}",
    ),
    (
        "readonly",
        f"cannot be written (a read-only file or folder): make both writable, {ELSEWHERE}",
    ),
    (
        "unable to open database file",
        f"cannot be opened (a missing or read-only folder): make the folder writable, {ELSEWHERE}",
    ),
    ("database is locked", "is locked by another process: try again when it has finished"),
    (
        "can't locate revision",
        f"was written by a newer Co-Author (its schema is unknown here): upgrade Co-Author, "
        f"{ELSEWHERE} {UNCHANGED}",
    ),
)


def database_problem(exc: Exception) -> str:
    """One line for a database fault: what is wrong and what to do."""
    cause = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
    detail = " ".join(str(cause).split())
    where = f"the database {shown_database()}"
    if any(needle in detail.lower() for needle in DISK_PROBLEMS):
        return f"{where} {disk_problem()}"
    for needle, meaning in DATABASE_PROBLEMS:
        if needle in detail.lower():
            return f"{where} {meaning}"
    return f"{where} failed: {detail[:300]}; check it, {ELSEWHERE}"


DISK_PROBLEMS = ("database or disk is full", "disk i/o error")
"""SQLite's words for a write the disk refused (a full disk gives either)."""
FULL_BELOW_BYTES = 1 << 20


def disk_problem() -> str:
    """What a refused write means: a full disk (its free space says so) or a failing one."""
    folder = database_folder()
    free = None
    if folder is not None:
        try:
            free = shutil.disk_usage(folder).free
        except OSError:
            free = None
    if free is not None and free < FULL_BELOW_BYTES:
        return (
            f"cannot be written: the disk holding it is full ({free:,} bytes free): "
            f"free some space and try again, {ELSEWHERE}"
        )
    return f"cannot be written: the disk reported an I/O error: check the disk, {ELSEWHERE}"


def database_folder() -> Path | None:
    """The folder of the configured SQLite database (None for a server database)."""
    try:
        url = sa.make_url(Settings().database_url)
    except (ValidationError, sa.exc.ArgumentError):
        return None
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).expanduser().resolve().parent


def shown_database() -> str:
    """The configured database, as a path for SQLite and without a password otherwise."""
    try:
        url = sa.make_url(Settings().database_url)
    except (ValidationError, sa.exc.ArgumentError):
        return "(COAUTHOR_DATABASE_URL)"
    if url.get_backend_name() == "sqlite" and url.database:
        return url.database
    return url.render_as_string(hide_password=True)


def settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = f"COAUTHOR_{first['loc'][0]!s}".upper()
        raise InputError(f"invalid {name}: {first['msg']}") from None


def open_store(url: str) -> Store:
    """The Store acting as ``local_user()``. On a team database (one with users) a name that
    is not a member is refused here, before anything is read or written."""
    store = Store(url, user=local_user())
    try:
        store.role()
    except BaseException:
        store.close()
        raise
    return store


def emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")

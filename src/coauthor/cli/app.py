"""The ``coauthor`` Typer app and what every command shares: settings, errors, JSON.

Exit codes: 0 done, 1 a fault (model, store, disk), 2 bad input.
With ``--json`` a command prints one JSON object on stdout and nothing else;
progress and notes go to stderr.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from coauthor.export import ExportError
from coauthor.llm.base import ModelError
from coauthor.pipeline.brief import BriefError
from coauthor.pipeline.runner import RunFailedError
from coauthor.prompts import MasterDocumentError
from coauthor.settings import Settings
from coauthor.store import NotFoundError

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
    except ValueError as exc:  # a malformed model spec, an invalid setting
        fail(str(exc).splitlines()[0], 2)
    except RunFailedError as exc:
        fail(
            f"run {exc.run_id} failed at {exc}; fix the cause, then: coauthor resume {exc.run_id}",
            1,
        )
    except ModelError as exc:
        fail(str(exc), 1)
    except OSError as exc:
        fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), 1)


def settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = f"COAUTHOR_{first['loc'][0]!s}".upper()
        raise InputError(f"invalid {name}: {first['msg']}") from None


def emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")

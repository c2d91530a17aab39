"""The ``coauthor`` command line: a thin shell over the core, like the studio."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer
from rich.text import Text
from typer._click.exceptions import (  # Typer's own Click: its errors are not ``click``'s
    BadParameter,
    ClickException,
    MissingParameter,
    NoArgsIsHelpError,
    UsageError,
)

from coauthor.cli import (
    batch,
    chat,
    checks,
    db,
    figures,
    io,
    library,
    metrics,
    queue,
    results,
    samples,
    studio,
    tasks,
    team,
)
from coauthor.cli.app import app, err


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; a usage error is one line with a hint and exit code 2,
    not a usage box."""
    args = sys.argv[1:] if argv is None else argv
    command = typer.main.get_command(app)
    try:
        code = command.main(args, prog_name="coauthor", standalone_mode=False)
    except NoArgsIsHelpError as exc:
        exc.show()
        code = exc.exit_code
    except UsageError as exc:
        err.print(Text.assemble(("error:", "bold red"), " ", usage_line(exc, args)), soft_wrap=True)
        code = exc.exit_code
    except ClickException as exc:
        exc.show()
        code = exc.exit_code
    except typer.Abort:
        err.print("aborted")
        code = 1
    sys.exit(code if isinstance(code, int) else 0)


def usage_line(exc: UsageError, args: Sequence[str]) -> str:
    """``--steps: 'abc' is not a valid integer; see coauthor new --help``."""
    where = exc.ctx.command_path if exc.ctx is not None else "coauthor"
    param = exc.param if isinstance(exc, BadParameter) else None
    if param is None or isinstance(exc, MissingParameter):
        text = exc.format_message()
    else:
        name = param.opts[0].upper() if param.param_type_name == "argument" else param.opts[0]
        text = f"{name}: {_problem(exc.message, _given(args, param.opts))}"
    text = " ".join(text.split()).rstrip(".")
    if not text[1:2].isupper():  # "No such option" reads as a sentence; "TASK_ID" stays
        text = f"{text[:1].lower()}{text[1:]}"
    return f"{text}; see {where} --help"


def _problem(message: str, value: str | None) -> str:
    """Pydantic's "Input should be a valid integer, unable to parse ..." said of the value."""
    should = message.removeprefix("Input should be ")
    if should == message:
        return message
    subject = "the value" if value is None else repr(value)
    if should.startswith("a valid "):
        return f"{subject} is not {should.split(',')[0]}"
    return f"{subject} should be {should}"


def _given(args: Sequence[str], opts: Sequence[str]) -> str | None:
    """The value typed after an option (``--steps abc`` or ``--steps=abc``)."""
    for index, arg in enumerate(args):
        name, equals, value = arg.partition("=")
        if name in opts:
            if equals:
                return value
            return args[index + 1] if index + 1 < len(args) else None
    return None


__all__ = [
    "app",
    "batch",
    "chat",
    "checks",
    "db",
    "figures",
    "io",
    "library",
    "main",
    "metrics",
    "queue",
    "results",
    "samples",
    "studio",
    "tasks",
    "team",
]

"""The ``coauthor`` command line: a thin shell over the core, like the studio."""

from coauthor.cli import chat, checks, io, tasks
from coauthor.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "chat", "checks", "io", "main", "tasks"]

"""Bad command lines, generated: every one is refused with one line, exit code 2, and
nothing written (the database is not even created)."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coauthor.cli import app, main

SUBCOMMANDS: dict[str, typer.core.TyperCommand] = typer.main.get_command(app).commands  # type: ignore[attr-defined]
COMMANDS = sorted(SUBCOMMANDS)
INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")
UNDECODABLE = os.fsdecode(b"caf\xe9")  # an argument in Latin-1 on a UTF-8 system

junk = st.one_of(
    st.text(st.characters(blacklist_characters="\x00"), min_size=1, max_size=30),
    st.just(UNDECODABLE),
).filter(lambda value: not value.startswith("-"))
"""An argument as a user might mistype it (an option-looking one is a case of its own)."""
not_an_integer = junk.filter(lambda value: not INTEGER.match(value))


def options_of(command: str) -> set[str]:
    names: set[str] = {"--help"}
    for parameter in SUBCOMMANDS[command].params:
        names.update(getattr(parameter, "opts", []))
        names.update(getattr(parameter, "secondary_opts", []))
    return names


@st.composite
def unknown_option(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from(["new", "show", "list", "export", "resume", "batch", "log"]))
    word = draw(st.from_regex(r"--[a-z][a-z-]{0,15}", fullmatch=True))
    if word in options_of(command):
        word += "-nosuch"
    prefix = {"new": ["an idea"], "show": ["1"], "export": ["1"], "resume": ["1"]}
    return [command, *prefix.get(command, []), word]


@st.composite
def bad_new(draw: st.DrawFn) -> list[str]:
    option = draw(st.sampled_from(["--steps", "--difficulty", "--lang", "--type", "--like"]))
    if option == "--steps":
        value = draw(
            st.one_of(
                not_an_integer,
                st.integers().filter(lambda n: not 1 <= n <= 12).map(str),
            )
        )
    elif option == "--like":
        value = draw(not_an_integer)
    else:
        allowed = {
            "--difficulty": {"intern", "junior", "middle", "senior"},
            "--lang": {"en", "ru"},
            "--type": {"one-shot", "challenge", "quest"},
        }[option]
        value = draw(junk.filter(lambda v: v.strip().lower() not in allowed))
    idea = draw(junk)
    return ["new", idea, option, value]


@st.composite
def bad_id(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from(["show", "resume", "export", "verify", "bug"]))
    return [command, draw(not_an_integer)]


unknown_command = st.from_regex(r"[a-z][a-z-]{0,12}", fullmatch=True).filter(
    lambda word: word not in COMMANDS
)

bad_command_lines = st.one_of(
    unknown_option(),
    bad_new(),
    bad_id(),
    unknown_command.map(lambda word: [word]),
    st.tuples(not_an_integer).map(lambda v: ["export", "1", "--format", v[0], "--out", "x"]),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(argv=bad_command_lines)
def test_a_bad_command_line_is_one_line_exit_2_and_writes_nothing(
    argv: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = Path(tempfile.gettempdir()) / f"coauthor-never-{os.getpid()}"
    monkeypatch.setenv("COAUTHOR_DATABASE_URL", f"sqlite:///{folder / 'never.db'}")
    monkeypatch.setenv("COAUTHOR_QUEUE_URL", "postgresql://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("COAUTHOR_MODEL", "openai:m@http://127.0.0.1:9/v1")
    monkeypatch.chdir(tempfile.gettempdir())
    with pytest.raises(SystemExit) as exit_code:
        main(argv)
    captured = capsys.readouterr()
    assert exit_code.value.code == 2, (argv, captured.err)
    assert captured.out == ""
    assert captured.err.startswith("error: ") and captured.err.count("\n") == 1, captured.err
    assert not folder.exists(), f"{argv} created {folder}"

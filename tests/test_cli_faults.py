"""The command line under faults: a damaged database and bad arguments are one line."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import coauthor
from coauthor.cli import main
from coauthor.pipeline.brief import make_brief
from coauthor.store import Store

SOURCES = str(Path(coauthor.__file__).resolve().parent.parent)
NOBODY = 65534


def coauthor_cli(
    database: Path, *args: str, as_nobody: bool = False
) -> subprocess.CompletedProcess[str]:
    """The real entry point in a fresh process, as a user would run it."""
    command = [sys.executable, "-c", "from coauthor.cli import main; main()", *args]
    if as_nobody:
        command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]
    env = {
        **os.environ,
        "PYTHONPATH": SOURCES,
        "COAUTHOR_DATABASE_URL": f"sqlite:///{database}",
        "HOME": str(database.parent),
    }
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def assert_one_line_fault(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: the database ")
    for word in words:
        assert word in result.stderr


@pytest.fixture
def folder() -> Iterator[Path]:
    """A folder every user can reach (pytest's tmp_path is private to its owner)."""
    path = Path(tempfile.mkdtemp(prefix="coauthor-faults-"))
    path.chmod(0o755)
    yield path
    path.chmod(0o755)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def database(folder: Path) -> Path:
    path = folder / "coauthor.db"
    Store(f"sqlite:///{path}").close()
    return path


def test_a_file_that_is_not_a_database(folder: Path) -> None:
    path = folder / "notes.db"
    path.write_bytes(b"these are my notes, not a database\n" * 10)
    before = path.read_bytes()
    assert_one_line_fault(coauthor_cli(path, "list"), "not an SQLite database", str(path))
    assert path.read_bytes() == before


def test_a_truncated_database(database: Path) -> None:
    database.write_bytes(database.read_bytes()[:5000])
    before = database.read_bytes()
    assert_one_line_fault(coauthor_cli(database, "list"), "damaged", "backup")
    assert database.read_bytes() == before


def test_a_database_from_a_newer_version(database: Path) -> None:
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    connection.close()
    before = database.read_bytes()
    assert_one_line_fault(coauthor_cli(database, "show", "1"), "newer Co-Author", "upgrade")
    assert database.read_bytes() == before


def _nobody_can_run_coauthor() -> bool:
    """Whether the unprivileged user can start this interpreter and import the sources (a
    checkout inside a private folder, e.g. one made by ``mktemp -d``, cannot be reached)."""
    command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    command += [sys.executable, "-c", "import coauthor"]
    env = {**os.environ, "PYTHONPATH": SOURCES}
    return subprocess.run(command, env=env, capture_output=True, timeout=60).returncode == 0


def _read_only(path: Path) -> bool:
    """Make ``path`` read-only for whoever runs the CLI; False when that cannot be done."""
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            return False
        if not _nobody_can_run_coauthor():
            pytest.skip("the unprivileged user cannot reach this checkout or its interpreter")
        for item in (path, *path.iterdir()) if path.is_dir() else (path,):
            os.chown(item, NOBODY, NOBODY)
    path.chmod(0o555 if path.is_dir() else 0o444)
    return True


@pytest.mark.parametrize("what", ["folder", "file"])
def test_a_read_only_database(database: Path, what: str) -> None:
    target = database.parent if what == "folder" else database
    if what == "file" and os.geteuid() == 0:
        os.chown(database.parent, NOBODY, NOBODY)  # the folder stays writable for the user
    if not _read_only(target):
        pytest.skip("running as root without setpriv: nothing is read-only")
    before = database.read_bytes()
    args = ("new", "idea", "--model", "openai:m@http://127.0.0.1:9/v1")  # never reached
    result = coauthor_cli(database, *args, as_nobody=os.geteuid() == 0)
    assert_one_line_fault(result, "cannot be written", "writable")
    assert database.read_bytes() == before


def test_a_missing_database_in_a_read_only_folder(folder: Path) -> None:
    if not _read_only(folder):
        pytest.skip("running as root without setpriv: nothing is read-only")
    path = folder / "new.db"
    assert_one_line_fault(coauthor_cli(path, "list", as_nobody=os.geteuid() == 0), str(path))
    assert not path.exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["new", "idea", "--steps", "abc"],
            "error: --steps: 'abc' is not a valid integer; see coauthor new --help",
        ),
        (["new", "idea", "--bogus"], "error: no such option: --bogus; see coauthor new --help"),
        (["new"], "error: missing argument 'idea'; see coauthor new --help"),
        (["nosuch"], "error: no such command 'nosuch'; see coauthor --help"),
        (["show", "one"], "error: TASK_ID: the value is not a valid integer; see coauthor show"),
    ],
)
def test_a_usage_error_is_one_line_and_exit_2(
    args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(args)
    captured = capsys.readouterr()
    assert info.value.code == 2
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith(expected)


def test_help_still_works(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["new", "--help"])
    assert info.value.code == 0
    assert "--steps" in capsys.readouterr().out


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A 1 MiB tmpfs of its own (as root), so that filling it fills nothing else."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small filesystem needs root and mount(8)")
    path = Path(tempfile.mkdtemp(prefix="coauthor-disk-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        path.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], capture_output=True)
        shutil.rmtree(path, ignore_errors=True)


def _tables(database: Path) -> dict[str, int]:
    """Each table's row count, and the result of SQLite's own check."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        names = [
            name
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        counts = {n: connection.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    connection.close()
    return counts


def test_a_database_on_a_full_disk(small_disk: Path) -> None:
    database = small_disk / "coauthor.db"
    Store(f"sqlite:///{database}").close()
    rows = _tables(database)
    filler = small_disk / "filler"
    with filler.open("wb", buffering=0) as out, pytest.raises(OSError, match="No space left"):
        while True:
            out.write(b"\0" * 4096)
    before = database.read_bytes()
    args = ("new", "idea", "--model", "openai:m@http://127.0.0.1:9/v1")  # never reached
    assert_one_line_fault(coauthor_cli(database, *args), "disk holding it is full", "free some")
    assert database.read_bytes() == before
    filler.unlink()
    assert _tables(database) == rows  # intact, and nothing half-written
    with Store(f"sqlite:///{database}") as store:  # and writable again once there is space
        store.create_run(make_brief("idea"), model="scripted")
    assert _tables(database)["runs"] == rows["runs"] + 1


def test_a_database_on_a_read_only_filesystem(small_disk: Path) -> None:
    database = small_disk / "coauthor.db"
    Store(f"sqlite:///{database}").close()
    rows = _tables(database)
    remounted = subprocess.run(
        ["mount", "-o", "remount,ro", str(small_disk)], capture_output=True, text=True
    )
    if remounted.returncode != 0:
        pytest.skip(f"cannot make the tmpfs read-only: {remounted.stderr.strip()}")
    before = database.read_bytes()
    args = ("new", "idea", "--model", "openai:m@http://127.0.0.1:9/v1")  # never reached
    result = coauthor_cli(database, *args)
    assert_one_line_fault(result, "read-only", str(database))
    assert database.read_bytes() == before
    assert _tables(database) == rows


def test_a_disk_error_with_space_left_is_not_called_a_full_disk(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlalchemy as sa

    from coauthor.cli.app import database_problem

    monkeypatch.setenv("COAUTHOR_DATABASE_URL", f"sqlite:///{folder / 'c.db'}")
    fault = sa.exc.OperationalError("INSERT", {}, sqlite3.OperationalError("disk I/O error"))
    said = database_problem(fault)
    assert said.startswith(f"the database {folder / 'c.db'} cannot be written")
    assert "I/O error: check the disk" in said and "full" not in said

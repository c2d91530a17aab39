"""``coauthor db upgrade`` on both databases."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from coauthor.cli import app
from coauthor.store import latest_revision
from coauthor.store.engine import make_engine, upgrade


def db_upgrade(url: str, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    monkeypatch.setenv("COAUTHOR_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["db", "upgrade", *args])
    return result.exit_code, result.stdout, result.stderr


def at_revision(url: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine, revision)
    finally:
        engine.dispose()


def test_db_upgrade_prints_the_revision_before_and_after(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at_revision(database_url, "0002")
    code, out, err = db_upgrade(database_url, monkeypatch)
    assert code == 0, err
    assert out.strip().endswith(f"upgraded from revision 0002 to {latest_revision()}")
    code, out, err = db_upgrade(database_url, monkeypatch, "--json")
    assert code == 0, err
    latest = latest_revision()
    assert json.loads(out) == {"status": "ok", "before": latest, "after": latest}


def test_db_upgrade_refuses_a_database_newer_than_the_code(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at_revision(database_url, "head")
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
        code, out, err = db_upgrade(database_url, monkeypatch)
        with engine.connect() as connection:
            version = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            assert version.scalar() == "0099"
    finally:
        engine.dispose()
    assert (code, out) == (1, "")
    assert len(err.strip().splitlines()) == 1
    assert "written by a newer Co-Author" in " ".join(err.split())

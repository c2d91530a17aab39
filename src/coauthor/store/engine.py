"""Engine setup and programmatic migrations."""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.pool import StaticPool

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_POOL_SIZE = 10


def dump_json(value: object) -> str:
    """JSON both databases accept: PostgreSQL refuses NaN and infinities, so they are
    written as null (as pydantic writes them)."""
    try:
        return json.dumps(value, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(value), allow_nan=False)


def _finite(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def make_engine(url: str) -> sa.Engine:
    """An engine for ``url``; SQLite gets its folder, foreign keys, WAL and a busy timeout.
    JSON is written by ``dump_json`` on every database."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # a server may restart under a long-lived studio: test pooled connections first
        return sa.create_engine(url, json_serializer=dump_json, pool_pre_ping=True)
    database = parsed.database or ""
    in_memory = database in ("", ":memory:") or parsed.query.get("mode") == "memory"
    if in_memory:
        # one shared connection, so every session sees the same in-memory database
        engine = sa.create_engine(
            url,
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
            json_serializer=dump_json,
        )
    else:
        if not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # A worker's runs each hold a connection for their writes (Store.holding), up to
        # 64 at once: a SQLite connection is only an open file, so the pool keeps a few
        # more than the default and never makes a thread wait for one.
        engine = sa.create_engine(
            url, json_serializer=dump_json, pool_size=SQLITE_POOL_SIZE, max_overflow=-1
        )

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            # WAL with synchronous=NORMAL: a commit survives a killed process (the
            # write-ahead log is in the OS's hands) and only an OS crash or power loss
            # can lose the last commits; it saves an fsync per commit, the biggest
            # cost of a run's stage on a busy disk (bench/overhead.py).
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    return config


def upgrade(engine: sa.Engine, target: str = "head") -> None:
    """Bring the schema to migration ``target``, by default the latest (a no-op when it is
    there already); alembic's CommandError when the database's revision is unknown here."""
    config = _config()
    with _ALEMBIC, engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, target)


_ALEMBIC = threading.Lock()
"""Alembic's command context is process-global: two threads opening a store at once (a
worker running several jobs) broke each other's upgrade with ``KeyError: 'script'``."""


def current_revision(engine: sa.Engine) -> str | None:
    """The migration the database is at; None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def latest_revision() -> str:
    """The newest migration this code knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def upgrade_database(url: str) -> tuple[str | None, str | None]:
    """Apply the pending migrations to the database at ``url``: its revision before, after."""
    engine = make_engine(url)
    try:
        before = current_revision(engine)
        upgrade(engine)
        return before, current_revision(engine)
    finally:
        engine.dispose()

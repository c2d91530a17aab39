"""Every store test runs on SQLite and on a real PostgreSQL server started here; each test
gets its own database (on PostgreSQL, its own schema). Without server binaries the
PostgreSQL half is skipped, and the run says so at the end."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from pg_cluster import Cluster, NoServerError, new_cluster

from coauthor.store import Store

DATABASES = ("sqlite", "postgresql")
_SKIPPED = pytest.StashKey[str]()
_names = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    try:
        cluster = new_cluster()
    except NoServerError as exc:
        request.config.stash[_SKIPPED] = str(exc)
        pytest.skip(f"PostgreSQL half skipped: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: an SQLite file, or a new schema on the test cluster."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'nested' / 'folder' / 'coauthor.db'}"
        return
    cluster: Cluster = request.getfixturevalue("postgres_cluster")
    name = f"test_{next(_names)}"
    yield cluster.create_schema(name)
    cluster.drop_schema(name)


@pytest.fixture
def stored_bytes(database_url: str, request: pytest.FixtureRequest) -> Callable[[], bytes]:
    """What the database keeps on disk, as raw bytes (after a checkpoint on PostgreSQL)."""
    url = sa.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        folder = Path(url.database or "").parent
        return lambda: b"".join(p.read_bytes() for p in folder.iterdir() if p.is_file())
    cluster: Cluster = request.getfixturevalue("postgres_cluster")
    return cluster.database_bytes


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    with Store(database_url) as opened:
        yield opened


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    reason = terminalreporter.config.stash.get(_SKIPPED, None)
    if reason is not None:
        terminalreporter.write_sep("!", f"store tests did NOT run on PostgreSQL: {reason}")

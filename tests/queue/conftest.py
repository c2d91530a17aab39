from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "store"))

from pg_cluster import Cluster, NoServerError, new_cluster


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    try:
        made = new_cluster()
    except NoServerError as exc:
        pytest.skip(f"no PostgreSQL server for the queue: {exc}")
    try:
        yield made
    finally:
        made.stop()


@pytest.fixture
def queue_url(cluster: Cluster, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, empty queue database for one test."""
    name = f"q_{abs(hash(request.node.nodeid)) % 10**10}"
    cluster.admin(f'DROP DATABASE IF EXISTS "{name}"')
    cluster.admin(f'CREATE DATABASE "{name}"')
    yield cluster.url(name)
    cluster.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

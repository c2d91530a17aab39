"""The single-machine default: a private PostgreSQL cluster for the queue, created and
started on first use, found running by the next caller, stopped on request."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest

from coauthor.queue.local import QueueServerError, local_queue_url, server_bin, stop_local


def test_the_private_queue_server_starts_once_and_answers_on_its_socket_only() -> None:
    try:
        server_bin()
    except QueueServerError as exc:
        pytest.skip(str(exc))
    folder = Path(tempfile.mkdtemp(prefix="coauthor-queue-test-"))
    os.chmod(folder, 0o755)  # the server's own user (as root: postgres) must reach it
    cluster = folder / "queue"
    try:
        url = local_queue_url(cluster)
        assert url.endswith(f"?host={cluster / 'run'}")
        pid = (cluster / "data" / "postmaster.pid").read_text().split()[0]
        assert local_queue_url(cluster) == url  # found running: not started twice
        assert (cluster / "data" / "postmaster.pid").read_text().split()[0] == pid
        with psycopg.connect(url) as connection:
            row = connection.execute("SHOW listen_addresses").fetchone()
        assert row is not None and row[0] == ""  # no TCP port at all
        stop_local(cluster)
        assert not (cluster / "data" / "postmaster.pid").exists()
    finally:
        stop_local(cluster)
        shutil.rmtree(folder, ignore_errors=True)

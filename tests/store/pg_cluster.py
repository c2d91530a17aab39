"""A throw-away PostgreSQL cluster for the store tests: Debian's ``initdb`` and ``pg_ctl``
in a temporary folder, on a free loopback port, run as an unprivileged user."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from coauthor.queue import local

SERVER_OPTIONS = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c shared_buffers=16MB -c max_connections=100"
)


INITDB_OPTIONS = ("-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
ADMIN_OPTIONS = {"options": "-c lock_timeout=10s"}
"""A test that left a transaction open fails its teardown instead of hanging it."""


class NoServerError(Exception):
    """No PostgreSQL server binaries on this machine."""


@dataclass
class Cluster:
    bin: Path
    base: Path
    port: int
    user: str | None
    """The system user the server runs as; None: the current user."""

    @property
    def data(self) -> Path:
        return self.base / "data"

    def url(self, database: str = "postgres", schema: str | None = None) -> str:
        """A URL as the superuser; with ``schema``, its tables live in that schema."""
        url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"
        return url if schema is None else f"{url}?options=-csearch_path%3D{schema}"

    def run(self, tool: str, *args: str) -> None:
        prefix = [] if self.user is None else as_user(self.user)
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        subprocess.run(
            [*prefix, str(self.bin / tool), *args],
            check=True,
            capture_output=True,
            text=True,
            env=env,
            cwd=self.base,
        )

    def start(self) -> None:
        self.run("initdb", "-D", str(self.data), *INITDB_OPTIONS)
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.base} {SERVER_OPTIONS}"
        log = str(self.base / "server.log")
        self.run("pg_ctl", "-D", str(self.data), "-l", log, "-w", "-o", options, "start")

    def stop(self) -> None:
        try:
            self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def create_schema(self, name: str) -> str:
        """A URL whose tables go to a new, empty schema ``name`` (faster than a database)."""
        self.admin(f'CREATE SCHEMA "{name}"')
        return self.url(schema=name)

    def drop_schema(self, name: str) -> None:
        self.admin(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')

    def database_bytes(self) -> bytes:
        """Every file of the database on disk, after a checkpoint wrote them out."""
        self.admin("CHECKPOINT")
        oid = self.admin("SELECT oid FROM pg_database WHERE datname = current_database()")
        folder = self.data / "base" / str(oid)
        return b"".join(p.read_bytes() for p in folder.iterdir() if p.is_file())

    def admin(self, statement: str) -> object:
        """Run one statement on the maintenance database; the first value it returns."""
        engine = sa.create_engine(
            self.url(),
            isolation_level="AUTOCOMMIT",
            poolclass=sa.NullPool,
            connect_args=ADMIN_OPTIONS,
        )
        try:
            with engine.connect() as connection:
                result = connection.execute(sa.text(statement))
                return result.scalar() if result.returns_rows else None
        finally:
            engine.dispose()


def server_bin() -> Path:
    """The newest installed server's ``bin`` folder (the queue's own lookup)."""
    try:
        return local.server_bin()
    except local.QueueServerError:
        raise NoServerError(
            "no PostgreSQL server (initdb) installed; run `make system-deps`"
        ) from None


def server_user() -> str | None:
    """Who runs the server (initdb refuses root; see ``coauthor.queue.local``)."""
    try:
        return local.server_user()
    except local.QueueServerError as exc:
        raise NoServerError(str(exc)) from None


def as_user(name: str) -> list[str]:
    """A command prefix that runs the rest as user ``name`` (root only)."""
    return local.as_user(name)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def new_cluster() -> Cluster:
    """A started cluster; NoServerError when this machine has no server binaries."""
    bin_dir, user = server_bin(), server_user()
    base = Path(tempfile.mkdtemp(prefix="coauthor-pg-"))
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(base, entry.pw_uid, entry.pw_gid)
    cluster = Cluster(bin_dir, base, free_port(), user)
    try:
        cluster.start()
    except subprocess.CalledProcessError as exc:
        log = base / "server.log"
        tail = log.read_text()[-2000:] if log.exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {exc.stderr}\n{tail}") from exc
    return cluster

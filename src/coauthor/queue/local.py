"""The single-machine default: a private PostgreSQL cluster for the job queue.

Nothing to install or start by hand: the first studio or worker that needs the queue
creates the cluster in the data folder (Debian's ``initdb``, which ``make system-deps``
installs) and starts it; later ones find it running. It listens on a Unix socket inside
that folder only (no TCP port, so nothing else on the machine can reach it and no port
can clash). A team points ``COAUTHOR_QUEUE_URL`` at a shared PostgreSQL instead.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pwd
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DEBIAN_SERVERS = Path("/usr/lib/postgresql")
SERVER_OPTIONS = "-c listen_addresses='' -c fsync=on -c shared_buffers=16MB -c max_connections=100"


class QueueServerError(Exception):
    """The private queue server cannot be created or started; the message says what to do."""


def server_bin() -> Path:
    """The newest installed server's ``bin`` folder (Debian keeps it off PATH)."""
    on_path = shutil.which("initdb")
    if on_path is not None and shutil.which("pg_ctl") is not None:
        return Path(on_path).resolve().parent
    found = sorted(
        DEBIAN_SERVERS.glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if not found:
        raise QueueServerError(
            "the job queue needs PostgreSQL's server (initdb); run `make system-deps` "
            "(or apt-get install postgresql), or set COAUTHOR_QUEUE_URL to a shared server"
        )
    return found[-1].parent


def server_user() -> str | None:
    """initdb refuses root: root hands the server to ``postgres`` or ``nobody``."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise QueueServerError("running as root and neither a postgres nor a nobody user exists")


def as_user(name: str | None) -> list[str]:
    if name is None:
        return []
    if shutil.which("runuser") is not None:
        return ["runuser", "-u", name, "--"]
    entry = pwd.getpwnam(name)
    return ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--init-groups"]


def local_folder(data_folder: Path) -> Path:
    """Where the private cluster lives: beside the data, or (as root, whose home the
    server's user cannot enter) under /var/lib, one per data folder."""
    if os.geteuid() != 0:
        return data_folder / "queue"
    digest = hashlib.sha256(str(data_folder.resolve()).encode()).hexdigest()[:12]
    return Path("/var/lib/coauthor-queue") / digest


def local_queue_url(folder: Path) -> str:
    """The URL of the private cluster in ``folder``, started if it is not running."""
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder / "start.lock"):
        _ensure_running(folder)
    return f"postgresql://postgres@/postgres?host={folder / 'run'}"


def stop_local(folder: Path) -> None:
    """Stop the private cluster in ``folder`` (its data stays)."""
    data = folder / "data"
    if (data / "postmaster.pid").exists():
        _tool(server_bin(), server_user(), "pg_ctl", "-D", str(data), "-m", "fast", "stop")


def _ensure_running(folder: Path) -> None:
    bin_dir, user = server_bin(), server_user()
    data, sockets = folder / "data", folder / "run"
    if user is not None:
        entry = pwd.getpwnam(user)
        for path in (folder, sockets):
            path.mkdir(exist_ok=True)
            os.chown(path, entry.pw_uid, entry.pw_gid)
    sockets.mkdir(mode=0o700, exist_ok=True)
    if not (data / "PG_VERSION").exists():
        _tool(
            bin_dir, user, "initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8"
        )
    status = subprocess.run(
        [*as_user(user), str(bin_dir / "pg_ctl"), "-D", str(data), "status"],
        capture_output=True,
        check=False,
    )
    if status.returncode == 0:
        return
    options = f"-k {sockets} {SERVER_OPTIONS}"
    _tool(
        bin_dir,
        user,
        "pg_ctl",
        "-D",
        str(data),
        "-l",
        str(folder / "server.log"),
        "-w",
        "-o",
        options,
        "start",
    )


def _tool(bin_dir: Path, user: str | None, tool: str, *args: str) -> None:
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    try:
        subprocess.run(
            [*as_user(user), str(bin_dir / tool), *args],
            check=True,
            capture_output=True,
            text=True,
            env=env,
            cwd="/",
            start_new_session=True,
        )
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or exc.stdout or "").strip().splitlines()
        last = detail[-1] if detail else f"exit code {exc.returncode}"
        raise QueueServerError(f"the private queue server: {tool} failed: {last}") from None


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

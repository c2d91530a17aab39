"""The studio's own worker (the single-machine default) lives and dies with the studio:
``coauthor studio`` starts it, its name is on the queue, and it is gone within seconds of
the studio stopping (SIGTERM), or of whoever started it being killed (SIGKILL)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from coauthor.pipeline.watch import pid_alive
from coauthor.queue.app import libpq_url

ROOT = Path(__file__).parents[2]


def environment(tmp_path: Path, queue_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COAUTHOR_")}
    return {
        **env,
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "COAUTHOR_DATABASE_URL": f"sqlite:///{tmp_path / 'studio.db'}",
        "COAUTHOR_QUEUE_URL": queue_url,
        "COAUTHOR_MODEL": "openai:m@http://127.0.0.1:9/v1",  # never asked
        "COAUTHOR_WORKER_TIMING": "0.5,3,0.5,0.3",
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{env.get('PYTHONPATH', '')}",
    }


def worker_pids(queue_url: str) -> list[int]:
    """The pids of the live workers on the queue, from the names they recorded."""
    with psycopg.connect(libpq_url(queue_url)) as connection:
        present = connection.execute("SELECT to_regclass('coauthor_workers')").fetchone()
        if present is None or present[0] is None:
            return []
        rows = connection.execute("SELECT name FROM coauthor_workers").fetchall()
    host = socket.gethostname()
    return [int(name.rpartition(":")[2]) for (name,) in rows if name.startswith(f"{host}:")]


def wait_for(check, what: str, timeout: float, log: Path) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}\n{tail}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_the_studios_worker_stops_with_the_studio(tmp_path: Path, queue_url: str) -> None:
    env = environment(tmp_path, queue_url)
    log = tmp_path / "data" / "coauthor" / "logs" / "worker.log"
    command = [sys.executable, "-m", "coauthor", "studio", "--port", str(free_port())]
    studio = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for(lambda: worker_pids(queue_url), "the studio's worker on the queue", 120, log)
        (worker,) = worker_pids(queue_url)
        assert pid_alive(worker)
        with open(f"/proc/{worker}/stat") as stat:
            assert int(stat.read().rsplit(")", 1)[1].split()[1]) == studio.pid  # its parent
        studio.send_signal(signal.SIGTERM)
        studio.wait(timeout=60)
    finally:
        if studio.poll() is None:
            studio.kill()
            studio.wait()
    wait_for(lambda: not pid_alive(worker), "the worker to stop", 15, log)
    assert worker_pids(queue_url) == []  # it left the queue cleanly


def test_a_worker_whose_starter_is_killed_stops_by_itself(tmp_path: Path, queue_url: str) -> None:
    env = environment(tmp_path, queue_url)
    log = tmp_path / "worker.log"
    starter = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from coauthor.settings import Settings;"
            "from coauthor.queue.worker import start_local_worker;"
            "start_local_worker(Settings(), concurrency=1, log_file=Path(sys.argv[1]));"
            "time.sleep(600)",
            str(log),
        ],
        env=env,
    )
    try:
        wait_for(lambda: worker_pids(queue_url), "the worker on the queue", 120, log)
        (worker,) = worker_pids(queue_url)
        starter.send_signal(signal.SIGKILL)  # no clean exit: nobody stops the worker
        starter.wait()
        wait_for(lambda: not pid_alive(worker), "the orphaned worker to stop", 15, log)
        assert "is gone: stopping" in log.read_text()
    finally:
        if starter.poll() is None:
            starter.kill()
            starter.wait()

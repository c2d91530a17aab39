"""``coauthor studio``: run the studio with Streamlit, with the team's sign-in when
``COAUTHOR_OIDC_*`` is set, and never open to the network without it unless forced."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from coauthor.cli.app import app, err, fail, settings
from coauthor.signin import (
    FORCE_OPEN_ENV,
    OidcConfig,
    SignInConfigError,
    is_loopback,
    write_secrets,
)

APP = Path(__file__).parents[1] / "ui" / "app.py"


def streamlit_command(address: str, port: int, secrets: Path | None) -> list[str]:
    """The ``streamlit run`` command line of the studio."""
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", address, "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--client.showErrorDetails", "none", "--client.toolbarMode", "viewer",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    if secrets is not None:
        command += ["--secrets.files", str(secrets)]
    return command


def start_studio_worker() -> subprocess.Popen[bytes] | None:
    """The studio's own ``coauthor worker`` (the single-machine default: ``make studio``
    needs no second command), started with the studio and stopped when it stops.
    ``COAUTHOR_STUDIO_WORKERS=0``: none (workers run elsewhere, sharing the queue)."""
    from platformdirs import user_data_path

    from coauthor.queue.worker import start_local_worker

    raw = os.environ.get("COAUTHOR_STUDIO_WORKERS", "1").strip() or "1"
    if not raw.isdigit():
        fail(f"invalid COAUTHOR_STUDIO_WORKERS: {raw!r} is not a number", 2)
    if int(raw) == 0:
        return None
    log_file = user_data_path("coauthor", appauthor=False) / "logs" / "worker.log"
    return start_local_worker(settings(), concurrency=int(raw), log_file=log_file)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@app.command()
def studio(
    address: Annotated[
        str, typer.Option("--address", help="Where to listen (default: this machine only).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8501,
    force_open: Annotated[
        bool,
        typer.Option(
            "--force-open",
            help="Serve a non-loopback address without sign-in: anyone who reaches it "
            "acts as the local user.",
        ),
    ] = False,
) -> None:
    """Run the studio. With COAUTHOR_OIDC_SERVER_METADATA_URL, _CLIENT_ID, _CLIENT_SECRET
    and _REDIRECT_URI set, everyone signs in with that OpenID Connect provider; without
    them the studio is single-user and only listens on a loopback address."""
    try:
        config = OidcConfig.from_env()
    except SignInConfigError as exc:
        fail(str(exc), 2)
    if config is None and not is_loopback(address):
        if not force_open:
            fail(
                f"refusing to serve {address!r} without sign-in: set COAUTHOR_OIDC_* "
                "(see the README), listen on 127.0.0.1, or pass --force-open",
                2,
            )
        err.print(
            f"[bold yellow]warning:[/] serving {address}:{port} WITHOUT sign-in: anyone who "
            "can reach it acts as the local user",
            highlight=False,
        )
    folder = Path(tempfile.mkdtemp(prefix="coauthor-studio-"))
    environment = {**os.environ, FORCE_OPEN_ENV: "1" if force_open else "0"}
    previous = signal.signal(signal.SIGTERM, _stop)
    worker: subprocess.Popen[bytes] | None = None
    try:
        worker = start_studio_worker()
        if worker is not None:
            from coauthor.queue.worker import STUDIO_WORKER_ENV

            environment[STUDIO_WORKER_ENV] = str(worker.pid)
        secrets = write_secrets(config, folder) if config is not None else None
        mode = "sign-in with " + config.server_metadata_url if config else "single-user"
        err.print(f"studio on http://{address}:{port} ({mode})", highlight=False)
        process = subprocess.Popen(streamlit_command(address, port, secrets), env=environment)
        try:
            code = process.wait()
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    finally:
        if worker is not None:
            from coauthor.queue.worker import stop_local_worker

            stop_local_worker(worker)
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(folder, ignore_errors=True)
    raise typer.Exit(code)

"""Fallback sandbox when bubblewrap is unavailable: limits and hygiene, not isolation.

The code runs as the host user with the host's filesystem and network. What it still gets:
rlimits (CPU, address space, file size, processes, open files), a wall clock, an allow-listed
environment (no secrets), a private work folder with its own HOME and TMPDIR, and a supervisor
that is a child subreaper, so children that detach from their parent are still killed. It
cannot stop writes elsewhere, network access, reading other processes' /proc entries, or a
deliberate attack on the supervisor; a fork bomb is bounded only per uid (not at all as root).
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Sequence
from contextlib import suppress

from coauthor.sandbox import workdir
from coauthor.sandbox.base import PROBE_DIR, Limits
from coauthor.sandbox.env import sandbox_env
from coauthor.sandbox.local import Launch, LocalSandbox, Request, launcher_config
from coauthor.sandbox.process import Controller, Pipes


class SupervisorController:
    """Asks the supervisor to kill its whole tree; its process group is the last resort."""

    def stop(self, proc: subprocess.Popen[bytes], info: bytes) -> None:
        with suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGTERM)

    def finish(self, info: bytes) -> None:
        return None

    def returncode(self, raw: int) -> int:
        return raw


class RlimitSandbox(LocalSandbox):
    """Same interface as BubblewrapSandbox with much weaker guarantees (see module doc)."""

    isolation = "rlimits-only"

    def __init__(
        self, interpreter: str | None = None, *, workdir_parent: str | None = None
    ) -> None:
        super().__init__(interpreter, workdir_parent=workdir_parent)

    def _helpers_path(self) -> str:
        return str(PROBE_DIR)

    def _controller(self) -> Controller:
        return SupervisorController()

    def _launch(
        self,
        folder: workdir.WorkFolder,
        command: Sequence[str],
        limits: Limits,
        *,
        pipes: Pipes,
        env_extra: dict[str, str],
        request: Request,
    ) -> Launch:
        bin_dir = os.path.dirname(self.python)
        home = str(folder.home)
        env = sandbox_env(bin_dirs=[bin_dir], home=home, tmpdir=home, extra=env_extra)
        config = launcher_config(limits, drop_to=None, reap=True)
        launcher = str(PROBE_DIR / "sandbox_launch.py")
        argv = [self.python, "-I", "-S", launcher, config, *command]
        return Launch(argv=argv, env=env, cwd=str(folder.work))

"""The sandbox interface: run untrusted generated code under limits, get a bounded result."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

PROBE_DIR = Path(__file__).resolve().parent / "_probe"
"""Trusted helper scripts (launcher, pytest driver); never inside a work folder."""

WALL_TIMEOUT = "wall_timeout"
CPU = "cpu"
MEMORY = "memory"
FILE_SIZE = "file_size"
OUTPUT = "output"
DISK_FULL = "disk_full"


class SandboxUnavailableError(RuntimeError):
    """This kind of sandbox cannot run on this machine (missing or broken bubblewrap)."""


@dataclass(frozen=True)
class Limits:
    """Per-run resource limits; defaults suit a pytest run of one task step."""

    cpu_seconds: int = 20
    memory_mb: int = 2048
    """Address space (RLIMIT_AS), not resident memory."""
    file_size_mb: int = 64
    processes: int = 64
    """RLIMIT_NPROC: tasks (threads count too) the sandboxed user may have."""
    open_files: int = 256
    wall_seconds: float = 60.0
    output_bytes: int = 1_000_000
    """Kept per stream; the rest is read and dropped, never buffered."""
    max_output_bytes: int = 512_000_000
    """A stream producing more than this gets the run killed (reason ``output``)."""
    call_seconds: float = 10.0
    """Per call into a solution running in its own process (process-isolated mode)."""
    work_mb: int = 256
    """Total size of the writable work folder: under bubblewrap a tmpfs of this size, so a
    run never grows the host's disk; writing past it fails inside with ENOSPC."""

    def rlimits(self) -> dict[str, tuple[int, int]]:
        """The rlimits the launcher applies; the CPU hard limit leaves room for SIGXCPU."""
        mib = 1024 * 1024
        return {
            "RLIMIT_CPU": (self.cpu_seconds, self.cpu_seconds + 2),
            "RLIMIT_AS": (self.memory_mb * mib, self.memory_mb * mib),
            "RLIMIT_FSIZE": (self.file_size_mb * mib, self.file_size_mb * mib),
            "RLIMIT_NPROC": (self.processes, self.processes),
            "RLIMIT_NOFILE": (self.open_files, self.open_files),
            "RLIMIT_CORE": (0, 0),
        }


@dataclass
class Result:
    """What a sandboxed command did, bounded in size whatever it printed."""

    returncode: int
    """Negative N when killed by signal N (under bubblewrap, exit status 128+N reads as N)."""
    stdout: str
    stderr: str
    duration_s: float
    isolation: str
    timed_out: bool = False
    killed_reason: str | None = None
    """wall_timeout, cpu, memory, file_size, disk_full, output, or ``signal SIGxxx``."""
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    files_out: dict[str, bytes] = field(default_factory=dict)
    files_truncated: tuple[str, ...] = ()
    side_channel: bytes = b""
    """Bytes written to the fd named by ``$SANDBOX_REPORT_FD`` when requested."""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.killed_reason is None


class Sandbox(ABC):
    """Runs a command in a fresh private work folder holding ``files``."""

    isolation: str
    python: str
    """Interpreter path valid inside the sandbox; use it as ``command[0]``."""

    @abstractmethod
    def run(
        self,
        files: Mapping[str, str | bytes],
        command: Sequence[str],
        *,
        limits: Limits | None = None,
        stdin: bytes = b"",
        collect: Sequence[str] = (),
        side_channel: bool = False,
        helpers: bool = False,
        extra_env: Mapping[str, str] | None = None,
        pass_fds: Mapping[str, int] | None = None,
        stop: threading.Event | None = None,
    ) -> Result:
        """Write ``files``, run ``command`` there, read back ``collect`` paths.

        ``helpers`` puts the trusted driver modules (``sandbox_probe``) on PYTHONPATH,
        read-only; ``side_channel`` opens a pipe to the host and names its fd in
        ``$SANDBOX_REPORT_FD``. ``extra_env`` must not carry secrets (checked by name).
        ``pass_fds`` hands host fds to the command, each named by an environment variable;
        the sandbox owns them from then on and closes them once the command has started.
        Setting ``stop`` ends the run as if its wall clock had run out.
        """

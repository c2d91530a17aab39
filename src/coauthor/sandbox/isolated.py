"""The process-isolated run: the solution in one sandbox, pytest and the driver in another.

The host makes two pipes (calls, replies) and starts two sandboxed processes, each holding
only its own ends: the solution server (``_probe/sandbox_server.py``, with the real solution
in its work folder) and the pytest run (with the stand-in ``solution.py``, the tests and the
trusted driver that signs the report). Under bubblewrap they share no pid namespace, no
writable file, no /tmp and no network, so code in the solution cannot reach the key, the
report pipe or the test process's memory: all it can do is answer calls with data.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from coauthor.sandbox.base import Limits, Result, Sandbox

_SERVER_GRACE_S = 3.0


@dataclass
class SplitRun:
    tests: Result
    solution: Result
    coverage_percent: float | None


@dataclass(frozen=True)
class Split:
    """Which files go where, and the stand-in that replaces the solution for the tests."""

    solution_file: str
    test_file: str
    proxy: str

    def test_files(self, files: Mapping[str, str | bytes]) -> dict[str, str | bytes]:
        kept = {name: data for name, data in files.items() if name != self.solution_file}
        return {**kept, self.solution_file: self.proxy}

    def solution_files(self, files: Mapping[str, str | bytes]) -> dict[str, str | bytes]:
        return {name: data for name, data in files.items() if name != self.test_file}


def run_split(
    sandbox: Sandbox,
    files: Mapping[str, str | bytes],
    split: Split,
    command: Sequence[str],
    *,
    limits: Limits,
    stdin: bytes,
    env: Mapping[str, str],
    coverage_of: str | None,
) -> SplitRun:
    """Run both processes; the solution's ends close when the tests are done."""
    calls_read, calls_write = os.pipe()
    replies_read, replies_write = os.pipe()
    timeouts = {
        "SANDBOX_CALL_TIMEOUT": f"{limits.call_seconds:g}",
        "SANDBOX_START_TIMEOUT": f"{limits.wall_seconds:g}",
    }
    server_env = {**timeouts, "PYTHONSAFEPATH": "1", "SANDBOX_COVERAGE_OF": coverage_of or ""}
    server_env["SANDBOX_CALL_TIMEOUT"] = f"{limits.call_seconds + 1:g}"
    module = split.solution_file.removesuffix(".py")
    stop = threading.Event()
    served: list[Result | Exception] = []

    def serve() -> None:
        try:
            served.append(_serve())
        except Exception as exc:  # raised again in the caller's thread
            served.append(exc)

    def _serve() -> Result:
        return sandbox.run(
            split.solution_files(files),
            [sandbox.python, "-m", "sandbox_server", module],
            limits=limits,
            side_channel=True,
            helpers=True,
            extra_env=server_env,
            pass_fds={"SANDBOX_CALLS_IN": calls_read, "SANDBOX_CALLS_OUT": replies_write},
            stop=stop,
        )

    server = threading.Thread(target=serve, name="solution-server", daemon=True)
    server.start()
    try:
        tests = sandbox.run(
            split.test_files(files),
            command,
            limits=limits,
            stdin=stdin,
            side_channel=True,
            helpers=True,
            extra_env={**env, **timeouts},
            pass_fds={"SANDBOX_CALLS_OUT": calls_write, "SANDBOX_CALLS_IN": replies_read},
        )
    finally:
        server.join(_SERVER_GRACE_S)
        stop.set()
        server.join()
    solution = served[0]
    if isinstance(solution, Exception):
        raise solution
    return SplitRun(tests, solution, _coverage(solution) if coverage_of else None)


def _coverage(solution: Result) -> float | None:
    """Measured in the solution's own process: a figure, never part of the verdict's pass."""
    for line in solution.side_channel.splitlines():
        try:
            return float(json.loads(line)["coverage"])
        except (ValueError, KeyError, TypeError):
            continue
    return None

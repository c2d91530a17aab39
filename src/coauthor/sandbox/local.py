"""The run() flow shared by both local sandboxes: folder, launcher, pump, read back, clean up."""

from __future__ import annotations

import base64
import json
import os
import sys
import threading
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from coauthor.sandbox import workdir
from coauthor.sandbox.base import Limits, Result, Sandbox
from coauthor.sandbox.env import REPORT_FD_VAR, check_env_name
from coauthor.sandbox.process import (
    MAX_STDIN,
    Controller,
    Outcome,
    Pipes,
    diagnose,
    execute,
    open_pipes,
)


@dataclass(frozen=True)
class Launch:
    """Everything needed to start one sandboxed command."""

    argv: list[str]
    env: dict[str, str]
    cwd: str


@dataclass(frozen=True)
class Request:
    """What the caller asked for beyond the command: files to send back."""

    collect: tuple[str, ...] = ()


def launcher_config(
    limits: Limits,
    *,
    drop_to: int | None,
    reap: bool,
    stage: str | None = None,
    collect: Sequence[str] = (),
    collect_fd: int | None = None,
) -> str:
    """Arguments for ``_probe/sandbox_launch.py``, which applies them before any user code."""
    config = {
        "rlimits": {name: list(pair) for name, pair in limits.rlimits().items()},
        "drop_to": [drop_to, drop_to] if drop_to is not None else None,
        "reap": reap,
        "nproc_relative": reap,
        "stage": stage,
        "collect": list(collect) if collect_fd is not None else [],
        "collect_fd": collect_fd,
        "collect_cap": limits.output_bytes,
    }
    return json.dumps(config, sort_keys=True)


def _checked_request(
    command: Sequence[str],
    *,
    stdin: bytes,
    collect: Sequence[str],
    extra_env: Mapping[str, str] | None,
) -> dict[str, str]:
    """Refuse bad requests before anything is written or started."""
    if not command:
        raise ValueError("empty command")
    if len(stdin) > MAX_STDIN:
        raise ValueError(f"stdin for the sandbox is limited to {MAX_STDIN} bytes")
    for name in collect:
        workdir.safe_relpath(name)
    env = dict(extra_env or {})
    for name in env:
        check_env_name(name)
    return env


class LocalSandbox(Sandbox):
    """Template for sandboxes that run a local process; subclasses choose the wrapping."""

    def __init__(self, interpreter: str | None, *, workdir_parent: str | None) -> None:
        self.python = interpreter or sys.executable
        self.workdir_parent = workdir_parent

    owner: int | None = None
    """uid (and gid) the work folder is handed to, when the sandbox drops root."""
    extra_pipes: tuple[str, ...] = ()
    """Host pipes the wrapper itself needs (bubblewrap: ``info``)."""
    collects_by_pipe = False
    """The work folder lives only inside the sandbox: collected files come down a pipe."""

    @abstractmethod
    def _launch(
        self,
        folder: workdir.WorkFolder,
        command: Sequence[str],
        limits: Limits,
        *,
        pipes: Pipes,
        env_extra: dict[str, str],
        request: Request,
    ) -> Launch: ...

    @abstractmethod
    def _controller(self) -> Controller: ...

    @abstractmethod
    def _helpers_path(self) -> str: ...

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
        limits = limits or Limits()
        pending = dict(pass_fds or {})  # fds not yet handed on: closed here
        try:
            return self._run(
                files,
                command,
                limits=limits,
                stdin=stdin,
                collect=collect,
                side_channel=side_channel,
                helpers=helpers,
                extra_env=extra_env,
                pass_fds=pending,
                stop=stop,
            )
        finally:
            for fd in pending.values():
                os.close(fd)

    def _run(
        self,
        files: Mapping[str, str | bytes],
        command: Sequence[str],
        *,
        limits: Limits,
        stdin: bytes,
        collect: Sequence[str],
        side_channel: bool,
        helpers: bool,
        extra_env: Mapping[str, str] | None,
        pass_fds: dict[str, int],
        stop: threading.Event | None,
    ) -> Result:
        env_extra = _checked_request(command, stdin=stdin, collect=collect, extra_env=extra_env)
        if helpers:
            env_extra["PYTHONPATH"] = self._helpers_path()
        folder = workdir.create(files, parent=self.workdir_parent, owner=self.owner)
        try:
            by_pipe = bool(collect) and self.collects_by_pipe
            names = [*self.extra_pipes, *(["side"] if side_channel else [])]
            names += ["collect"] if by_pipe else []
            with open_pipes(names) as pipes:
                if side_channel:
                    env_extra[REPORT_FD_VAR] = str(pipes.write["side"])
                for name in list(pass_fds):
                    check_env_name(name)
                    env_extra[name] = str(pass_fds[name])
                    pipes.passed.append(pass_fds.pop(name))
                request = Request(collect=tuple(collect))
                launch = self._launch(
                    folder, command, limits, pipes=pipes, env_extra=env_extra, request=request
                )
                outcome = execute(
                    launch.argv,
                    env=launch.env,
                    cwd=launch.cwd,
                    stdin=stdin,
                    limits=limits,
                    pipes=pipes,
                    controller=self._controller(),
                    stop=stop,
                )
            if by_pipe:
                files_out, truncated = collected(outcome, limits.output_bytes)
            else:
                files_out, truncated = workdir.read_back(
                    folder.work, collect, max_bytes=limits.output_bytes
                )
        finally:
            workdir.remove(folder)
        return self._result(outcome, files_out, truncated)

    def _result(
        self, outcome: Outcome, files_out: dict[str, bytes], truncated: list[str]
    ) -> Result:
        out, err = outcome.sinks["stdout"], outcome.sinks["stderr"]
        stderr_tail = bytes(err.tail or err.head[-65536:]).decode("utf-8", "replace")
        side = outcome.sinks.get("side")
        return Result(
            returncode=outcome.returncode,
            stdout=out.text(),
            stderr=err.text(),
            duration_s=outcome.duration_s,
            isolation=self.isolation,
            timed_out=outcome.timed_out,
            killed_reason=diagnose(outcome, stderr_tail),
            stdout_truncated=out.truncated,
            stderr_truncated=err.truncated,
            files_out=files_out,
            files_truncated=tuple(truncated),
            side_channel=bytes(side.head) if side is not None else b"",
        )


def collected(outcome: Outcome, max_bytes: int) -> tuple[dict[str, bytes], list[str]]:
    """Files the launcher sent down the collect pipe (one JSON line each)."""
    sink = outcome.sinks.get("collect")
    found: dict[str, bytes] = {}
    truncated: list[str] = []
    for line in bytes(sink.head).split(b"\n")[:-1] if sink is not None else []:
        try:
            record = json.loads(line)
            name, data = str(record["name"]), base64.b64decode(record["data"])
        except (ValueError, KeyError, TypeError):
            continue
        found[name] = data[:max_bytes]
        if record.get("truncated") or len(data) > max_bytes:
            truncated.append(name)
    return found, truncated

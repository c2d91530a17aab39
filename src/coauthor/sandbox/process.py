"""Start a sandboxed process, pump its pipes with bounded memory, enforce the wall clock."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Protocol

from coauthor.sandbox.base import CPU, DISK_FULL, FILE_SIZE, MEMORY, OUTPUT, WALL_TIMEOUT, Limits

MAX_STDIN = 65536
"""Fits a pipe buffer, so writing it can never block on a child that does not read."""
_SIDE_CHANNEL_CAP = 16_000_000
_INFO_CAP = 4096
_LINGER_S = 0.5
_KILL_GRACE_S = 2.0


class Sink:
    """Keeps the head and a short tail of a stream; everything between is counted, dropped."""

    def __init__(self, cap: int) -> None:
        self.tail_cap = min(cap // 4, 65536)
        self.head_cap = cap - self.tail_cap
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def feed(self, data: bytes) -> None:
        self.total += len(data)
        room = self.head_cap - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data and self.tail_cap:
            self.tail += data[-self.tail_cap :]
            del self.tail[: max(0, len(self.tail) - self.tail_cap)]

    @property
    def truncated(self) -> bool:
        return self.total > len(self.head) + len(self.tail)

    def text(self) -> str:
        if not self.truncated:
            return (bytes(self.head) + bytes(self.tail)).decode("utf-8", "replace")
        dropped = self.total - len(self.head) - len(self.tail)
        note = f"\n[... {dropped} bytes truncated by the sandbox ...]\n"
        return self.head.decode("utf-8", "replace") + note + self.tail.decode("utf-8", "replace")


@dataclass
class Pipes:
    """Extra host pipes: the report side channel and bubblewrap's --info-fd."""

    read: dict[str, int] = field(default_factory=dict)
    write: dict[str, int] = field(default_factory=dict)
    passed: list[int] = field(default_factory=list)
    """The caller's fds handed to the command as they are (closed by the caller)."""

    def close_write(self) -> None:
        for fd in self.write.values():
            os.close(fd)
        self.write.clear()


@contextmanager
def open_pipes(names: Sequence[str]) -> Iterator[Pipes]:
    pipes = Pipes()
    try:
        for name in names:
            pipes.read[name], pipes.write[name] = os.pipe()
        yield pipes
    finally:
        pipes.close_write()
        for fd in [*pipes.read.values(), *pipes.passed]:
            os.close(fd)


class Controller(Protocol):
    """How a given sandbox kind is stopped and cleaned up."""

    def stop(self, proc: subprocess.Popen[bytes], info: bytes) -> None: ...

    def finish(self, info: bytes) -> None: ...

    def returncode(self, raw: int) -> int: ...


@dataclass
class Outcome:
    returncode: int
    sinks: dict[str, Sink]
    timed_out: bool
    overflow: bool
    duration_s: float


def execute(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: str,
    stdin: bytes,
    limits: Limits,
    pipes: Pipes,
    controller: Controller,
    stop: threading.Event | None = None,
) -> Outcome:
    """Run to completion or until killed; memory stays bounded whatever is printed."""
    start = time.monotonic()
    proc = subprocess.Popen(
        list(argv),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(env),
        cwd=cwd,
        pass_fds=(*pipes.write.values(), *pipes.passed),
        start_new_session=True,
    )
    pipes.close_write()
    while pipes.passed:
        os.close(pipes.passed.pop())
    _feed_stdin(proc, stdin)
    assert proc.stdout is not None and proc.stderr is not None
    caps = {"stdout": limits.output_bytes, "stderr": limits.output_bytes}
    caps.update({"side": _SIDE_CHANNEL_CAP, "info": _INFO_CAP, "collect": _SIDE_CHANNEL_CAP})
    fds = {"stdout": proc.stdout.fileno(), "stderr": proc.stderr.fileno(), **pipes.read}
    pump = _Pump(proc, fds, caps, controller, limits)
    pump.stop_event = stop
    try:
        pump.run(start + limits.wall_seconds)
    finally:
        pump.close()
        if proc.poll() is None:
            controller.stop(proc, bytes(pump.sinks["info"].head))
        proc.wait()
        controller.finish(bytes(pump.sinks["info"].head))
        proc.stdout.close()
        proc.stderr.close()
    code = controller.returncode(proc.returncode)
    duration = time.monotonic() - start
    return Outcome(code, pump.sinks, pump.timed_out, pump.overflow, duration)


def _feed_stdin(proc: subprocess.Popen[bytes], data: bytes) -> None:
    assert proc.stdin is not None
    try:
        if data:
            proc.stdin.write(data)
        proc.stdin.close()
    except BrokenPipeError:
        pass


class _Pump:
    """One thread, one selector: no reader threads to leak if a stream never closes."""

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        fds: dict[str, int],
        caps: dict[str, int],
        controller: Controller,
        limits: Limits,
    ) -> None:
        self.proc, self.controller, self.limits = proc, controller, limits
        self.sinks = {name: Sink(cap) for name, cap in caps.items()}
        self.selector = selectors.DefaultSelector()
        for name, fd in fds.items():
            os.set_blocking(fd, False)
            self.selector.register(fd, selectors.EVENT_READ, name)
        self.timed_out = self.overflow = False
        self.stopped_at: float | None = None
        self.stop_event: threading.Event | None = None

    def run(self, deadline: float) -> None:
        exited_at: float | None = None
        while True:
            now = time.monotonic()
            if exited_at is None and self.proc.poll() is not None:
                exited_at = now
            if exited_at is not None and (
                not self.selector.get_map() or now - exited_at > _LINGER_S
            ):
                return
            asked = self.stop_event is not None and self.stop_event.is_set()
            if self.stopped_at is None and (now >= deadline or asked):
                self.timed_out = True
                self._stop()
            elif self.stopped_at is not None and now - self.stopped_at > _KILL_GRACE_S:
                with suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                return
            wait = 0.05 if exited_at or self.stopped_at else max(0.0, min(deadline - now, 0.25))
            self._read_ready(wait)

    def _read_ready(self, wait: float) -> None:
        if not self.selector.get_map():
            time.sleep(wait)
            return
        for key, _ in self.selector.select(wait):
            name, fd = str(key.data), int(key.fd)
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if not data:
                self.selector.unregister(fd)
                continue
            sink = self.sinks[name]
            sink.feed(data)
            too_much = sink.total > self.limits.max_output_bytes
            if name in ("stdout", "stderr") and too_much and self.stopped_at is None:
                self.overflow = True
                self._stop()

    def _stop(self) -> None:
        self.stopped_at = time.monotonic()
        self.controller.stop(self.proc, bytes(self.sinks["info"].head))

    def close(self) -> None:
        self.selector.close()


def diagnose(outcome: Outcome, stderr_tail: str) -> str | None:
    """Best-effort reason for an abnormal end; the stderr part can be faked by the code."""
    if outcome.timed_out:
        return WALL_TIMEOUT
    if outcome.overflow:
        return OUTPUT
    code = outcome.returncode
    if code == -signal.SIGXCPU:
        return CPU
    if code == -signal.SIGXFSZ or "File too large" in stderr_tail:
        return FILE_SIZE
    if "No space left on device" in stderr_tail:
        return DISK_FULL
    if any(mark in stderr_tail for mark in ("MemoryError", "Cannot allocate memory", "bad_alloc")):
        return MEMORY
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return None

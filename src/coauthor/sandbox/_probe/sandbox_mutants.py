"""Trusted mutation driver, run inside the sandbox as ``python -m sandbox_mutants``.

One sandboxed interpreter imports pytest (and the modules the step imports) once, then
forks a child per mutant from that clean parent. Each child gets a fresh folder holding
only its mutant (as the solution module) and the tests, its own process group, a time
limit and a memory limit, and runs pytest there; its test phases come back on a pipe of
its own, so whatever a child writes can only ever describe that child's mutant. The
parent alone writes to the host: every record HMAC-signed and sequence-numbered as in
``sandbox_probe``. Before any mutant code runs, a child closes the host's report fd and
wipes the key it inherited, and the parent is made non-dumpable so a child cannot reopen
the parent's fds or read its memory through /proc.

A child that hangs is killed at its deadline (``timeout``); one that exhausts memory,
calls ``os._exit`` or dies by a signal ends without its remaining test records, which the
host reads as errors. After each child its folder (and anything it wrote there) is
deleted before the next is made.

Protocol: stdin carries one JSON line {key, per_mutant_s, memory_mb, parallel,
solution_file, test_file, mutants_file}; the mutants file (a JSON list of {id, source},
the unmutated solution first with id "") is read into memory and deleted before the
first fork. Records to the host: ``started``, ``record`` (a child's phase/collect/finish
record), ``ended`` (status exited / timeout, exit code, signal, seconds), ``finish``.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import hmac
import json
import os
import resource
import select
import shutil
import signal
import sys
import time
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from coauthor.sandbox._probe.sandbox_wire import Json

_LINE_BYTES = 65536
_CHILD_BYTES = 2_000_000
_DETAIL_CHARS = 2000
_PR_SET_DUMPABLE = 4
_PR_SET_CHILD_SUBREAPER = 36
_KINDS = frozenset({"phase", "collect", "finish", "coverage"})


class _Signer:
    def __init__(self, fd: int, key: bytearray) -> None:
        self.fd = fd
        self.key = key
        self.seq = 0

    def send(self, body: dict[str, Json]) -> None:
        payload = json.dumps(body, sort_keys=True)
        mac = hmac.new(bytes(self.key), f"{self.seq}\n{payload}".encode(), hashlib.sha256)
        line = json.dumps({"seq": self.seq, "payload": payload, "mac": mac.hexdigest()})
        self.seq += 1
        data = (line + "\n").encode()
        while data:
            data = data[os.write(self.fd, data) :]


class _ChildReporter:
    """pytest plugin in a child: plain JSON lines on the child's own pipe."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def _write(self, body: dict[str, Json]) -> None:
        data = (json.dumps(body) + "\n").encode()
        while data:
            data = data[os.write(self.fd, data) :]

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            detail = report.longreprtext[:_DETAIL_CHARS]
            self._write({"kind": "collect", "nodeid": report.nodeid, "detail": detail})

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._write(
            {
                "kind": "phase",
                "nodeid": report.nodeid,
                "when": report.when,
                "outcome": report.outcome,
                "xfail": hasattr(report, "wasxfail"),
                "detail": report.longreprtext[:_DETAIL_CHARS] if report.failed else "",
            }
        )

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self._write({"kind": "finish", "exitstatus": int(exitstatus)})


class _Running:
    def __init__(self, mutant_id: str, pid: int, fd: int, folder: str, deadline: float) -> None:
        self.id = mutant_id
        self.pid = pid
        self.fd: int | None = fd
        self.folder = folder
        self.deadline = deadline
        self.started = time.monotonic()
        self.buffer = b""
        self.received = 0


def _preimport(sources: list[str], local: set[str]) -> None:
    """Import what the step imports (never a module of the work folder) before forking,
    so each child finds it loaded; and pytest's own plugins."""
    import ast

    from _pytest.config import default_plugins

    names = [f"_pytest.{name}" for name in default_plugins if name != "python_path"]
    for source in sources:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.append(node.module)
    import importlib

    for name in dict.fromkeys(names):
        if name.split(".")[0] in local:
            continue
        try:
            importlib.import_module(name)
        except BaseException:
            continue


def _child(
    fd: int,
    signer: _Signer,
    folder: str,
    config: dict[str, Json],
    seconds: float,
    others: list[int],
    *,
    baseline: bool,
) -> None:
    """In the forked child: cut every tie to the host channel, then run pytest."""
    try:
        os.close(signer.fd)
        for other in others:  # the pipes of mutants running beside this one
            os.close(other)
        for index in range(len(signer.key)):
            signer.key[index] = 0
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        for target in (0, 1, 2):
            os.dup2(devnull, target)
        os.close(devnull)
        memory = int(str(config["memory_mb"])) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        cpu = int(seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        os.chdir(folder)
        os.environ["TMPDIR"] = folder
        args = ["-q", "-p", "no:cacheprovider", "--noconftest", "-c", os.devnull]
        args += ["--rootdir", folder, "--", str(config["test_file"])]
        reporter = _ChildReporter(fd)
        if baseline:
            code = _with_coverage(reporter, args, str(config["solution_file"]))
        else:
            code = int(pytest.main(args, plugins=[reporter]))
    except BaseException:
        code = 70
    os._exit(code)


def _with_coverage(reporter: _ChildReporter, args: list[str], target: str) -> int:
    """The baseline also says which lines of the solution no test runs."""
    try:
        import coverage
    except ImportError:
        return int(pytest.main(args, plugins=[reporter]))
    path = os.path.abspath(target)
    cov = coverage.Coverage(data_file=None, include=[path], config_file=False)
    cov.start()
    try:
        code = int(pytest.main(args, plugins=[reporter]))
    finally:
        cov.stop()
    try:
        missing: list[Json] = [int(n) for n in cov.analysis2(path)[3]]
    except Exception:
        return code
    reporter._write({"kind": "coverage", "missing": missing[:2000]})
    return code


def _start(
    mutant: dict[str, str],
    index: int,
    signer: _Signer,
    config: dict[str, Json],
    tests: str,
    seconds: float,
    running: list[_Running],
) -> _Running:
    folder = os.path.abspath(f"mutant_{index}")
    shutil.rmtree(folder, ignore_errors=True)
    os.mkdir(folder)
    for name, text in (
        (str(config["solution_file"]), mutant["source"]),
        (str(config["test_file"]), tests),
    ):
        with open(os.path.join(folder, name), "w", encoding="utf-8") as handle:
            handle.write(text)
    signer.send({"kind": "started", "id": mutant["id"]})
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        others = [run.fd for run in running if run.fd is not None]
        _child(write_end, signer, folder, config, seconds, others, baseline=not mutant["id"])
    os.close(write_end)
    return _Running(mutant["id"], pid, read_end, folder, time.monotonic() + seconds)


def _forward(run: _Running, signer: _Signer, data: bytes) -> None:
    if run.received > _CHILD_BYTES:
        return
    run.received += len(data)
    run.buffer += data
    *lines, run.buffer = run.buffer.split(b"\n")
    if len(run.buffer) > _LINE_BYTES:
        run.buffer = b""
    for line in lines:
        try:
            body = json.loads(line)
        except ValueError:
            continue
        if isinstance(body, dict) and body.get("kind") in _KINDS and len(line) <= _LINE_BYTES:
            signer.send({"kind": "record", "id": run.id, "record": body})


def _end(run: _Running, signer: _Signer, *, timed_out: bool) -> None:
    if run.fd is not None:
        os.close(run.fd)
        run.fd = None
    if timed_out:
        with contextlib.suppress(OSError):
            os.killpg(run.pid, signal.SIGKILL)
    else:  # the leader is a zombie: its group id cannot be reused yet
        with contextlib.suppress(OSError):
            os.killpg(run.pid, signal.SIGKILL)
    _, status = os.waitpid(run.pid, 0)
    signer.send(
        {
            "kind": "ended",
            "id": run.id,
            "status": "timeout" if timed_out else "exited",
            "exitcode": os.waitstatus_to_exitcode(status),
            "seconds": round(time.monotonic() - run.started, 3),
        }
    )
    shutil.rmtree(run.folder, ignore_errors=True)


def _descendants() -> list[int]:
    parents: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="utf-8") as handle:
                stat = handle.read()
        except OSError:
            continue
        parents[int(name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = [], [os.getpid()]
    while todo:
        pid = todo.pop()
        children = [child for child, parent in parents.items() if parent == pid]
        found += children
        todo += children
    return found


def _sweep() -> None:
    """With no mutant running: end whatever a mutant left behind (orphans come back to
    this process, a child subreaper), so nothing of one mutant lives on into the next."""
    for pid in _descendants():
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.005)


def _exited(run: _Running) -> bool:
    try:
        info = os.waitid(os.P_PID, run.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None


def _wait_one(running: list[_Running], signer: _Signer) -> None:
    """Serve the running children until one of them ends."""
    while True:
        now = time.monotonic()
        for run in running:
            if now >= run.deadline:
                _end(run, signer, timed_out=True)
                running.remove(run)
                return
            if run.fd is None and _exited(run):
                _end(run, signer, timed_out=False)
                running.remove(run)
                return
        fds = [run.fd for run in running if run.fd is not None]
        wait = min(run.deadline for run in running) - now
        if len(fds) < len(running):
            wait = min(wait, 0.02)
        ready, _, _ = select.select(fds, [], [], max(0.0, wait))
        for run in running:
            if run.fd is not None and run.fd in ready:
                data = os.read(run.fd, 65536)
                if data:
                    _forward(run, signer, data)
                else:
                    os.close(run.fd)
                    run.fd = None


def main() -> int:
    line = sys.stdin.buffer.readline(65536)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    config: dict[str, Json] = json.loads(line)
    key = bytearray(bytes.fromhex(str(config.pop("key"))))
    line = b""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    signer = _Signer(int(os.environ["SANDBOX_REPORT_FD"]), key)
    mutants_file = str(config["mutants_file"])
    with open(mutants_file, encoding="utf-8") as handle:
        mutants: list[dict[str, str]] = json.load(handle)
    os.remove(mutants_file)
    test_file = str(config["test_file"])
    with open(test_file, encoding="utf-8") as handle:
        tests = handle.read()
    local = {name.removesuffix(".py") for name in os.listdir(".")}
    local.add(str(config["solution_file"]).removesuffix(".py"))
    _preimport([tests, mutants[0]["source"]] if mutants else [tests], local)
    longest = float(str(config["per_mutant_s"]))
    parallel = max(1, int(str(config["parallel"])))
    running: list[_Running] = []
    seconds = longest
    for index, mutant in enumerate(mutants):
        if mutant["id"] == "" and index == 0:  # the baseline, alone, sets the time limit
            baseline = _start(mutant, index, signer, config, tests, longest, [])
            started = time.monotonic()
            _wait_one([baseline], signer)
            _sweep()
            seconds = min(longest, max(1.5, 4 * (time.monotonic() - started) + 0.5))
            continue
        while len(running) >= parallel:
            _wait_one(running, signer)
            if not running:
                _sweep()
        running.append(_start(mutant, index, signer, config, tests, seconds, running))
    while running:
        _wait_one(running, signer)
    _sweep()
    signer.send({"kind": "finish", "exitstatus": 0})
    return 0


if __name__ == "__main__":
    sys.exit(main())

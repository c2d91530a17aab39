"""Trusted mutation driver, run inside the sandbox as ``python -m sandbox_mutants``.

One sandboxed interpreter imports pytest (and the modules the step imports) once, parses
pytest's configuration once, then forks a child per mutant from that clean parent, one at
a time. Each child finds the run folder holding only its mutant (as the solution module)
and the tests, gets its own process group, a time limit and a memory limit, and runs a
pytest session there; its test phases come back on a pipe of
its own, so whatever a child writes can only ever describe that child's mutant. The
parent alone writes to the host: every record HMAC-signed and sequence-numbered as in
``sandbox_probe``. Before any mutant code runs, a child closes the host's report fd and
wipes the key it inherited, and the parent is made non-dumpable so a child cannot reopen
the parent's fds or read its memory through /proc.

A child that hangs is killed at its deadline (``timeout``); one that exhausts memory,
calls ``os._exit`` or dies by a signal ends without its remaining test records, which the
host reads as errors. After each child, every process it left behind is killed (the
parent is a child subreaper, so orphans come back to it) and the run folder is emptied
before the next mutant is written. Children run one at a time: two side by side could
signal each other. What a mutant writes outside the work folder (e.g. /tmp) is not undone.

Each child also carries the in-process run's tamper watch (``sandbox_watch``), armed
before its mutant is imported: an audit hook and a snapshot of pytest's, pluggy's and
this driver's functions, compared after each test phase and at the session's end. What
it finds goes to the child's pipe as a ``tamper`` record (an audited write at once,
before it takes effect); the host counts such a mutant as killed and names it among the
run's problems, so a mutant that patches pytest's reporting in its own process never
counts as a clean survivor. It is evidence, not a wall, as in the in-process run; and a
child's patches die with the child, so no other mutant's outcome is touched.

Protocol: stdin carries one JSON line {key, per_mutant_s, memory_mb,
solution_file, test_file, mutants_file}; the mutants file (a JSON list of {id, source},
the unmutated solution first with id "") is read into memory and deleted before the
first fork. Records to the host: ``started``, ``record`` (a child's phase/collect/finish
record), ``ended`` (status exited / timeout, exit code, signal, seconds), ``finish``.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
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
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from coauthor.sandbox._probe.sandbox_watch import Watch
    from coauthor.sandbox._probe.sandbox_wire import Json
else:
    from sandbox_watch import Watch

_LINE_BYTES = 65536
_CHILD_BYTES = 2_000_000
_DETAIL_CHARS = 2000
_PR_SET_DUMPABLE = 4
_PR_SET_CHILD_SUBREAPER = 36
_QUIET_PLUGINS = [
    f"-pno:{name}"
    for name in ("doctest", "pastebin", "junitxml", "legacypath", "stepwise", "faulthandler")
]
"""Plugins a step's tests do not need, left out to start each child faster."""
_KINDS = frozenset({"phase", "collect", "finish", "coverage", "tamper"})


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


class _ChildWatch(Watch):
    """The in-process run's tamper watch, in a mutant's child: what its audit hook sees is
    written to the child's pipe at once, before the write it saw takes effect."""

    def __init__(self, write: Callable[[dict[str, Json]], None]) -> None:
        self._write = write
        super().__init__()

    def _note(self, what: str) -> None:
        if what[:300] not in self.found:
            self._write({"kind": "tamper", "what": what[:300]})
        super()._note(what)


class _ChildReporter:
    """pytest plugin in a child: plain JSON lines on the child's own pipe. Each test phase
    and the session's end first send what the tamper watch found since the last time."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.watch: Watch | None = None
        self._hooks: object = None
        self.flush: Callable[[], None] = self._idle

    def write(self, body: dict[str, Json]) -> None:
        data = (json.dumps(body) + "\n").encode()
        while data:
            data = data[os.write(self.fd, data) :]

    def arm(self) -> None:
        """In the child, before the mutant is imported: snapshot and audit hook."""
        self.watch = _ChildWatch(self.write)
        self.watch.arm()
        self.flush = self._flush  # bound now: a later change to the class changes nothing

    def _flush(self) -> None:
        if self.watch is not None:
            self.watch.check(self._hooks)  # each new finding is written by ``_note``

    def _idle(self) -> None:
        """Before the watch is armed (in the parent) there is nothing to send."""

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self._hooks = session.config.pluginmanager.hook
        if self.watch is not None:
            self.watch.session_started(self._hooks)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self.flush()
        if report.failed:
            detail = report.longreprtext[:_DETAIL_CHARS]
            self.write({"kind": "collect", "nodeid": report.nodeid, "detail": detail})

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.flush()
        self.write(
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
        self.flush()
        self.write({"kind": "finish", "exitstatus": int(exitstatus)})


class _Running:
    def __init__(self, mutant_id: str, pid: int, fd: int, deadline: float) -> None:
        self.id = mutant_id
        self.pid = pid
        self.fd: int | None = fd
        self.deadline = deadline
        self.started = time.monotonic()
        self.buffer = b""
        self.received = 0


def _preimport(sources: list[str], local: set[str]) -> None:
    """Import what the step imports (never a module of the work folder) before forking,
    so each child finds it loaded; and pytest's own plugins."""
    import ast
    import importlib

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
    for name in dict.fromkeys(names):
        if name.split(".")[0] in local:
            continue
        try:
            importlib.import_module(name)
        except BaseException:
            continue


class _Session:
    """pytest's configuration, parsed once in the parent for the run folder; each child
    runs a session from its own copy of it."""

    def __init__(self, folder: str, test_file: str, solution_file: str) -> None:
        self.folder = folder
        self.solution_file = solution_file
        self.reporter = _ChildReporter(-1)
        args = ["-q", "-p", "no:cacheprovider", "--noconftest", "-c", os.devnull]
        args += ["--assert=plain", "--tb=line"]  # pass or fail is all a mutant needs
        args += ["--rootdir", folder, "--confcutdir", folder, *_QUIET_PLUGINS]
        self.args = [*args, "--", test_file]
        self.config: object = None
        try:
            from _pytest.config import _prepareconfig

            self.config = _prepareconfig(self.args, [self.reporter])
        except Exception:
            self.config = None

    def run(self) -> int:
        config = self.config
        if config is None:
            return int(pytest.main(self.args, plugins=[self.reporter]))
        assert isinstance(config, pytest.Config)
        try:
            return int(config.hook.pytest_cmdline_main(config=config))
        finally:
            config._ensure_unconfigure()

    def run_with_coverage(self) -> int:
        """The baseline also says which lines of the solution no test runs."""
        try:
            import coverage
        except ImportError:
            return self.run()
        path = os.path.join(self.folder, self.solution_file)
        cov = coverage.Coverage(data_file=None, include=[path], config_file=False)
        cov.start()
        try:
            code = self.run()
        finally:
            cov.stop()
        try:
            missing: list[Json] = [int(n) for n in cov.analysis2(path)[3]]
        except Exception:
            return code
        self.reporter.write({"kind": "coverage", "missing": missing[:2000]})
        return code


def _child(
    fd: int, signer: _Signer, session: _Session, seconds: float, memory_mb: int, *, baseline: bool
) -> None:
    """In the forked child: cut every tie to the host channel, then run pytest."""
    try:
        os.close(signer.fd)
        for index in range(len(signer.key)):
            signer.key[index] = 0
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        for target in (0, 1, 2):
            os.dup2(devnull, target)
        os.close(devnull)
        memory = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        cpu = int(seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        os.environ["TMPDIR"] = session.folder
        session.reporter.fd = fd
        session.reporter.arm()
        flush = session.reporter.flush
        code = session.run_with_coverage() if baseline else session.run()
        flush()  # what changed in the session's last moments
    except BaseException:
        code = 70
    os._exit(code)


def _empty(folder: str) -> None:
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.remove(path)


def _start(
    mutant: dict[str, str],
    signer: _Signer,
    session: _Session,
    tests: str,
    test_file: str,
    seconds: float,
    memory_mb: int,
) -> _Running:
    """Fill the run folder with this mutant and the tests alone, and fork its child."""
    _empty(session.folder)
    for name, text in ((session.solution_file, mutant["source"]), (test_file, tests)):
        with open(os.path.join(session.folder, name), "w", encoding="utf-8") as handle:
            handle.write(text)
    signer.send({"kind": "started", "id": mutant["id"]})
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _child(write_end, signer, session, seconds, memory_mb, baseline=not mutant["id"])
    os.close(write_end)
    return _Running(mutant["id"], pid, read_end, time.monotonic() + seconds)


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
    with contextlib.suppress(OSError):  # an ended leader is a zombie: its group id holds
        os.killpg(run.pid, signal.SIGKILL)
    _, status = os.waitpid(run.pid, 0)
    _sweep()
    signer.send(
        {
            "kind": "ended",
            "id": run.id,
            "status": "timeout" if timed_out else "exited",
            "exitcode": os.waitstatus_to_exitcode(status),
            "seconds": round(time.monotonic() - run.started, 3),
        }
    )


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
    this process, a child subreaper), so nothing of one mutant lives on into the next.
    Repeated until none is left, as a leftover may still be forking."""
    give_up = time.monotonic() + 3.0
    while time.monotonic() < give_up:
        left = _descendants()
        for pid in left:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                break
        if not left:
            return
        time.sleep(0.005)


def _exited(run: _Running) -> bool:
    try:
        info = os.waitid(os.P_PID, run.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None


def _wait(run: _Running, signer: _Signer) -> None:
    """Forward the child's records until it ends or its time is up. A process the child
    left behind may hold its pipe open: the child's own exit is what counts."""
    while True:
        now = time.monotonic()
        if now >= run.deadline:
            _end(run, signer, timed_out=True)
            return
        if _exited(run):
            _drain(run, signer)
            _end(run, signer, timed_out=False)
            return
        if run.fd is None:
            time.sleep(0.01)
            continue
        ready, _, _ = select.select([run.fd], [], [], min(0.05, run.deadline - now))
        if ready:
            _read(run, signer)


def _read(run: _Running, signer: _Signer) -> None:
    assert run.fd is not None
    data = os.read(run.fd, 65536)
    if data:
        _forward(run, signer, data)
    else:
        os.close(run.fd)
        run.fd = None


def _drain(run: _Running, signer: _Signer) -> None:
    """What the ended child wrote before it exited, without waiting for EOF."""
    for _ in range(64):  # bounded: something left behind may keep writing
        if run.fd is None or not select.select([run.fd], [], [], 0)[0]:
            return
        _read(run, signer)


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
    solution_file = str(config["solution_file"])
    with open(test_file, encoding="utf-8") as handle:
        tests = handle.read()
    local = {name.removesuffix(".py") for name in os.listdir(".")}
    local.add(solution_file.removesuffix(".py"))
    _preimport([tests, mutants[0]["source"]] if mutants else [tests], local)
    folder = os.path.abspath("run")
    os.mkdir(folder)
    os.chdir(folder)
    session = _Session(folder, test_file, solution_file)
    gc.collect()
    gc.freeze()  # children neither scan nor copy what the parent holds
    seconds = float(str(config["per_mutant_s"]))
    memory_mb = int(str(config["memory_mb"]))
    for index, mutant in enumerate(mutants):
        baseline = index == 0 and mutant["id"] == ""
        run = _start(mutant, signer, session, tests, test_file, seconds, memory_mb)
        _wait(run, signer)
        if baseline:  # the unmutated solution, run first, sets the time limit
            seconds = min(seconds, max(1.5, 4 * (time.monotonic() - run.started) + 0.5))
    signer.send({"kind": "finish", "exitstatus": 0})
    return 0


if __name__ == "__main__":
    sys.exit(main())

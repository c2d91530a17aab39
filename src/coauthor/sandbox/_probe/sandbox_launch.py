"""Trusted launcher: the first thing that runs in a sandbox, before any untrusted code.

Run as ``python -I -S sandbox_launch.py CONFIG_JSON COMMAND...``. It applies the rlimits
(here rather than in the host's ``preexec_fn`` so that bubblewrap itself is not limited and
RLIMIT_NPROC counts the right user), drops root to an unprivileged uid when asked, copies the
step's files from a read-only staging folder into the size-capped work tmpfs (bubblewrap),
and then either execs COMMAND (bubblewrap: the pid namespace reaps everything), runs it and
sends the requested files back down a pipe (bubblewrap with ``collect``: they live only in
the tmpfs), or supervises it as a child subreaper (fallback: no pid namespace, so escaped
grandchildren must be hunted down).
Standard library only; it must import nothing from the work folder.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import json
import os
import resource
import shutil
import signal
import stat
import sys
import time

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}) failed")


def _own_task_count() -> int:
    """Tasks (threads included) of this real uid: RLIMIT_NPROC counts them all."""
    uid, count = os.getuid(), 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if os.stat(f"/proc/{name}").st_uid == uid:
                count += len(os.listdir(f"/proc/{name}/task"))
        except OSError:
            continue
    return count


def _apply_limits(config: dict[str, object]) -> None:
    limits = config["rlimits"]
    assert isinstance(limits, dict)
    for name, value in limits.items():
        soft, hard = int(value[0]), int(value[1])
        if name == "RLIMIT_NPROC" and config.get("nproc_relative") and os.getuid() != 0:
            extra = _own_task_count()
            soft, hard = soft + extra, hard + extra
        resource.setrlimit(getattr(resource, name), (soft, hard))


def _drop_privileges(config: dict[str, object]) -> None:
    target = config.get("drop_to")
    if not target or os.getuid() != 0:
        return
    assert isinstance(target, list)
    uid, gid = int(target[0]), int(target[1])
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getuid() == 0 or os.geteuid() == 0:
        raise SystemExit("sandbox launcher: failed to drop root")


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _reap_all() -> None:
    """Kill every descendant until none is left (orphans re-parent to us, the subreaper)."""
    for _ in range(500):
        pids = _descendants(os.getpid())
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            if not pids:
                return
        time.sleep(0.005)


def _on_terminate(signum: int, _frame: object) -> None:
    _reap_all()
    os._exit(128 + signum)


def _supervise(command: list[str]) -> int:
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    for stop_signal in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(stop_signal, _on_terminate)
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        try:
            os.setpgid(0, 0)
            _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != parent:
                os._exit(137)
            os.execvp(command[0], command)
        except BaseException as exc:
            os.write(2, f"sandbox launcher: cannot run {command[0]!r}: {exc}\n".encode())
        os._exit(127)
    status = os.waitpid(pid, 0)[1]
    _reap_all()
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        with contextlib.suppress(OSError, ValueError):  # SIGKILL cannot be reset
            signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return 128 + signum
    return os.waitstatus_to_exitcode(status)


def _stage_in(config: dict[str, object]) -> None:
    """Fill the work tmpfs (the current folder) from the read-only staging folder."""
    stage = config.get("stage")
    if not isinstance(stage, str):
        return
    for folder, dirnames, filenames in os.walk(stage):
        rel = os.path.relpath(folder, stage)
        for name in dirnames:
            os.mkdir(os.path.join(rel, name), 0o755)
        for name in filenames:
            shutil.copyfile(os.path.join(folder, name), os.path.join(rel, name))


def _read_regular(name: str, cap: int) -> bytes | None:
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return handle.read(cap + 1)


def _send_back(fd: int, names: list[str], cap: int) -> None:
    for name in names:
        if os.path.realpath(name) != os.path.join(os.getcwd(), name):
            continue  # a symlinked folder on the way: never followed
        data = _read_regular(name, cap)
        if data is None:
            continue
        record = {"name": name, "data": base64.b64encode(data[:cap]).decode()}
        line = (json.dumps({**record, "truncated": len(data) > cap}) + "\n").encode()
        while line:
            line = line[os.write(fd, line) :]


def _run_and_collect(command: list[str], config: dict[str, object]) -> int:
    """Run COMMAND as a child that never holds the collect pipe, then send the files."""
    fd, names, cap = config["collect_fd"], config["collect"], config["collect_cap"]
    assert isinstance(fd, int) and isinstance(names, list) and isinstance(cap, int)
    pid = os.fork()
    if pid == 0:
        try:
            os.close(fd)
            os.execvp(command[0], command)
        except BaseException as exc:
            os.write(2, f"sandbox launcher: cannot run {command[0]!r}: {exc}\n".encode())
        os._exit(127)
    os.close(0)
    status = os.waitpid(pid, 0)[1]
    _send_back(fd, [str(name) for name in names], cap)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.waitstatus_to_exitcode(status)


def main(argv: list[str]) -> int:
    config = json.loads(argv[1])
    command = argv[2:]
    _apply_limits(config)
    _drop_privileges(config)
    os.umask(0o022)
    _stage_in(config)
    if config.get("reap"):
        return _supervise(command)
    if config.get("collect"):
        return _run_and_collect(command, config)
    try:
        os.execvp(command[0], command)
    except OSError as exc:
        os.write(2, f"sandbox launcher: cannot run {command[0]!r}: {exc}\n".encode())
    return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Bubblewrap sandbox: private mount, pid, net, ipc and uts namespaces, unprivileged user.

The sandbox sees read-only system dirs and the interpreter's prefixes, a fresh /proc, /dev and
size-capped /tmp, the trusted helpers at /sandbox/helpers and its work folder at /sandbox/task
(no host path is writable). It has no network (only its own loopback), cannot see host
processes, and dies with its pid namespace. Run as root, bubblewrap makes no user namespace
and the launcher switches to uid/gid 65534, since the kernel never applies RLIMIT_NPROC to a
process whose real uid is host root (even inside a user namespace); run as another user, a
user namespace (no nested ones) maps that user. The work folder is a tmpfs of
``Limits.work_mb`` filled by the launcher from a read-only staging bind, so the run never
writes to the host's disk. Not covered: no seccomp filter (so, as root, the sandboxed user
may still create its own unprivileged user namespace).
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from contextlib import suppress
from pathlib import PurePosixPath

from coauthor.sandbox import workdir
from coauthor.sandbox.base import PROBE_DIR, Limits, SandboxUnavailableError
from coauthor.sandbox.env import sandbox_env
from coauthor.sandbox.interpreter import interpreter_roots
from coauthor.sandbox.local import Launch, LocalSandbox, Request, launcher_config
from coauthor.sandbox.process import Controller, Pipes

NOBODY = 65534
TASK_DIR = "/sandbox/task"
STAGE_DIR = "/sandbox/stage"
HELPERS_DIR = "/sandbox/helpers"
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime")


class BubblewrapController:
    """Kills the bwrap monitor and the namespace's init, then waits until the namespace is gone."""

    def stop(self, proc: subprocess.Popen[bytes], info: bytes) -> None:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        self._kill_init(info)

    def finish(self, info: bytes) -> None:
        self._kill_init(info)

    def returncode(self, raw: int) -> int:
        """bubblewrap reports death by signal N as exit status 128+N."""
        return -(raw - 128) if 128 < raw <= 128 + 64 else raw

    @staticmethod
    def _kill_init(info: bytes) -> None:
        try:
            data = json.loads(info)
            pid, namespace = int(data["child-pid"]), int(data["pid-namespace"])
        except (ValueError, KeyError, TypeError):
            return
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            try:
                if os.stat(f"/proc/{pid}/ns/pid").st_ino != namespace:
                    return
                with open(f"/proc/{pid}/stat", "rb") as handle:
                    state = handle.read().rsplit(b")", 1)[1].split()[0]
                if state in (b"Z", b"X"):
                    return  # init exits only after every process in its namespace is gone
                os.kill(pid, signal.SIGKILL)
            except (OSError, IndexError):
                return
            time.sleep(0.01)


@functools.cache
def _bwrap_features(bwrap: str) -> tuple[tuple[int, ...], bool]:
    out = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10)
    match = re.search(r"(\d+)\.(\d+)\.(\d+)", out.stdout)
    version = tuple(int(x) for x in match.groups()) if match else (0, 0, 0)
    helptext = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=10)
    return version, "--disable-userns" in helptext.stdout + helptext.stderr


class BubblewrapSandbox(LocalSandbox):
    """Isolated sandbox; raises SandboxUnavailableError if bubblewrap is missing or cannot start."""

    isolation = "bubblewrap"
    extra_pipes = ("info",)
    collects_by_pipe = True

    def __init__(
        self,
        interpreter: str | None = None,
        *,
        bwrap: str | None = None,
        workdir_parent: str | None = None,
    ) -> None:
        super().__init__(interpreter, workdir_parent=workdir_parent)
        found = bwrap or shutil.which("bwrap")
        if not found:
            raise SandboxUnavailableError("bubblewrap (bwrap) is not installed")
        self.bwrap = found
        self.as_root = os.getuid() == 0
        self.owner = NOBODY if self.as_root else None
        version, self._disable_userns = _bwrap_features(found)
        if version < (0, 5, 0):
            raise SandboxUnavailableError(f"bubblewrap {version} is too old; 0.5.0 or newer needed")
        self._roots = interpreter_roots(self.python)
        for root in self._roots:
            if root in ("/", "/sandbox") or root.startswith("/sandbox/"):
                raise SandboxUnavailableError(f"cannot mount interpreter prefix {root!r} safely")
        _self_test(self)

    def _helpers_path(self) -> str:
        return HELPERS_DIR

    def _controller(self) -> Controller:
        return BubblewrapController()

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
        env = sandbox_env(bin_dirs=[bin_dir], home="/tmp", tmpdir="/tmp", extra=env_extra)
        argv = [self.bwrap, *self._namespace_args(), "--info-fd", str(pipes.write["info"])]
        argv += self._mount_args(folder, limits)
        argv += ["--chdir", TASK_DIR, "--clearenv"]
        for name, value in sorted(env.items()):
            argv += ["--setenv", name, value]
        collect_fd = pipes.write.get("collect")
        config = launcher_config(
            limits,
            drop_to=self.owner,
            reap=False,
            stage=STAGE_DIR,
            collect=request.collect,
            collect_fd=collect_fd,
        )
        launcher = f"{HELPERS_DIR}/sandbox_launch.py"
        argv += ["--", self.python, "-I", "-S", launcher, config, *command]
        return Launch(argv=argv, env={"PATH": "/usr/bin:/bin"}, cwd=str(folder.root))

    def _namespace_args(self) -> list[str]:
        args = ["--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net"]
        args += ["--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox"]
        args += ["--cap-drop", "ALL"]
        if self.as_root:  # the launcher needs these two to become 65534, then has none
            return [*args, "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        args += ["--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY)]
        return [*args, "--disable-userns"] if self._disable_userns else args

    def _mount_args(self, folder: workdir.WorkFolder, limits: Limits) -> list[str]:
        args: list[str] = []
        made: set[str] = set()
        for path in _SYSTEM_DIRS:
            if os.path.islink(path):
                args += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                args += ["--ro-bind", path, path]
        args += _dirs("/etc", made)
        for path in _ETC_FILES:
            args += ["--ro-bind-try", path, path]
        tmp_bytes = 4 * limits.file_size_mb * 1024 * 1024
        args += ["--proc", "/proc", "--dev", "/dev"]
        args += ["--perms", "1777", "--size", str(64 * 1024 * 1024), "--tmpfs", "/dev/shm"]
        args += ["--perms", "1777", "--size", str(tmp_bytes), "--tmpfs", "/tmp"]
        # after the private /tmp: an interpreter that lives under /tmp (a venv in a
        # temporary checkout) is bound on top of it instead of being hidden by it
        for root in self._roots:
            args += _dirs(str(PurePosixPath(root).parent), made)
            args += ["--ro-bind", root, root]
        args += _dirs("/sandbox", made)
        args += ["--ro-bind", str(PROBE_DIR), HELPERS_DIR]
        args += ["--ro-bind", str(folder.work), STAGE_DIR]
        work_bytes = str(limits.work_mb * 1024 * 1024)
        args += ["--perms", "0777", "--size", work_bytes, "--tmpfs", TASK_DIR]
        args += ["--remount-ro", "/"]
        return args


def _dirs(path: str, made: set[str]) -> list[str]:
    """Create ``path`` and its parents world-readable (bwrap would make them 0700)."""
    args: list[str] = []
    parts = PurePosixPath(path).parts[1:]
    for index in range(len(parts)):
        current = "/" + "/".join(parts[: index + 1])
        if current in made or any(
            current == d or current.startswith(d + "/") for d in _SYSTEM_DIRS
        ):
            continue
        made.add(current)
        args += ["--perms", "0755", "--dir", current]
    return args


_SELF_TESTS: dict[tuple[str, str, int], str | None] = {}


def _self_test(sandbox: BubblewrapSandbox) -> None:
    """Run the interpreter once in the sandbox; the verdict is cached per process."""
    key = (sandbox.bwrap, sandbox.python, os.getuid())
    if key not in _SELF_TESTS:
        _SELF_TESTS[key] = _try_once(sandbox)
    problem = _SELF_TESTS[key]
    if problem is not None:
        raise SandboxUnavailableError(problem)


def _try_once(sandbox: BubblewrapSandbox) -> str | None:
    limits = Limits(wall_seconds=30, cpu_seconds=10)
    code = "import os, sys; print('ok', os.getuid() != 0, sys.prefix)"
    try:
        result = sandbox.run({}, [sandbox.python, "-c", code], limits=limits)
    except OSError as exc:
        return f"bubblewrap cannot start: {exc}"
    if result.returncode != 0 or not result.stdout.startswith("ok True"):
        detail = (result.stderr or result.stdout).strip()[-500:]
        return f"bubblewrap cannot start the interpreter (exit {result.returncode}): {detail}"
    return None

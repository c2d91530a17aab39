"""Hostile generated code: the host must stay untouched and the result must say what happened.

Cases the rlimits-only fallback cannot hold by construction (it has no namespaces) are
skipped for it, with the reason; everything else runs against both sandboxes.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from coauthor.sandbox import Limits, Result, Sandbox, run_pytest
from coauthor.sandbox.base import PROBE_DIR

FAST = Limits(cpu_seconds=5, memory_mb=1024, wall_seconds=10, processes=32)
PROJECT = Path(__file__).resolve().parents[2]
NO_NET_NS = "rlimits-only has no network namespace: it cannot block sockets"
NO_MOUNT_NS = "rlimits-only runs as the host user with the host filesystem"
NO_PID_NS = "rlimits-only has no pid namespace: NPROC is per host uid (ignored for root)"


def _run(
    sandbox: Sandbox, code: str, limits: Limits = FAST, *, collect: Sequence[str] = ()
) -> Result:
    files = {"main.py": textwrap.dedent(code)}
    return sandbox.run(files, [sandbox.python, "main.py"], limits=limits, collect=collect)


def _skip_fallback(sandbox: Sandbox, reason: str) -> None:
    if sandbox.isolation == "rlimits-only":
        pytest.skip(reason)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.setblocking(False)
    yield server
    server.close()


CONNECT = """
import socket, sys, time
start = time.monotonic()
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
    print("CONNECTED")
except OSError as exc:
    print("BLOCKED", exc.errno, round(time.monotonic() - start, 2))
print(open("/proc/net/dev").read())
"""


def test_connect_to_host_loopback_fails(sandbox: Sandbox, listener: socket.socket) -> None:
    _skip_fallback(sandbox, NO_NET_NS)
    port = str(listener.getsockname()[1])
    result = sandbox.run({"c.py": CONNECT}, [sandbox.python, "c.py", "127.0.0.1", port])
    assert result.returncode == 0, result.stderr
    assert "BLOCKED" in result.stdout and "CONNECTED" not in result.stdout
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_connect_to_public_address_fails_fast(sandbox: Sandbox) -> None:
    _skip_fallback(sandbox, NO_NET_NS + " (and this test must not reach the internet)")
    result = sandbox.run({"c.py": CONNECT}, [sandbox.python, "c.py", "192.0.2.1", "80"])
    assert "BLOCKED" in result.stdout, result.stdout + result.stderr
    interfaces = [line.split(":")[0].strip() for line in result.stdout.splitlines() if ":" in line]
    assert interfaces == ["lo"]
    assert result.duration_s < 5


def test_writes_outside_work_folder_never_reach_the_host(sandbox: Sandbox) -> None:
    _skip_fallback(sandbox, NO_MOUNT_NS)
    name = f"coauthor-escape-{uuid.uuid4().hex}"
    targets = [Path.home() / name, Path("/tmp") / name, PROJECT / name, Path(sys.prefix) / name]
    code = """
    import sys
    for path in sys.argv[1:]:
        try:
            open(path, "w").write("escaped")
            print("WROTE", path)
        except OSError as exc:
            print("DENIED", path, exc.errno)
    open("inside.txt", "w").write("fine")
    """
    helpers = f"/sandbox/helpers/{name}"  # the trusted driver's folder, seen from inside
    result = sandbox.run(
        {"main.py": textwrap.dedent(code)},
        [sandbox.python, "main.py", *map(str, targets), helpers],
        collect=["inside.txt"],
    )
    assert result.returncode == 0, result.stderr
    assert result.files_out == {"inside.txt": b"fine"}
    for target in [*targets, PROBE_DIR / name]:
        assert not target.exists(), target
    assert f"DENIED {helpers}" in result.stdout
    assert f"DENIED {PROJECT / name}" in result.stdout
    assert f"DENIED {Path(sys.prefix) / name}" in result.stdout


def test_parent_secrets_do_not_reach_the_sandbox(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = {
        "OPENAI_API_KEY": "sk-fake-0123456789",
        "COAUTHOR_SECRET": "fake-coauthor-secret",
        "GITHUB_TOKEN": "ghp_fake",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    result = _run(sandbox, "import json, os; print(json.dumps(dict(os.environ)))")
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    for name, value in secrets.items():
        assert name not in seen and value not in result.stdout
    assert not [key for key in seen if key.startswith("COAUTHOR")]
    with pytest.raises(ValueError, match="secret"):
        sandbox.run({}, [sandbox.python, "-c", "pass"], extra_env={"MY_API_KEY": "x"})


def test_host_processes_are_invisible(sandbox: Sandbox) -> None:
    _skip_fallback(sandbox, "rlimits-only shares /proc with the host user")
    code = f"""
    import os
    try:
        print("READ", len(open("/proc/{os.getpid()}/environ").read()))
    except OSError as exc:
        print("HIDDEN", exc.errno)
    print("PIDS", sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
    """
    result = _run(sandbox, code)
    assert "HIDDEN" in result.stdout, result.stdout
    pids = json.loads(result.stdout.split("PIDS ", 1)[1])
    assert len(pids) <= 3


def test_fork_bomb_is_stopped(sandbox: Sandbox, find_processes: Callable[[str], list[int]]) -> None:
    _skip_fallback(sandbox, NO_PID_NS)
    marker = f"bomb_{uuid.uuid4().hex}.py"
    code = """
    import os, time
    hit = False
    while True:
        try:
            os.fork()
        except OSError:
            if not hit:
                print("LIMIT", flush=True)
                hit = True
            time.sleep(0.05)
    """
    limits = Limits(cpu_seconds=5, wall_seconds=3, processes=24)
    result = sandbox.run({marker: textwrap.dedent(code)}, [sandbox.python, marker], limits=limits)
    assert result.timed_out and result.killed_reason == "wall_timeout"
    assert "LIMIT" in result.stdout
    assert find_processes(marker) == []
    assert result.duration_s < 10


def test_allocating_8_gib_fails(sandbox: Sandbox) -> None:
    result = _run(
        sandbox, "block = bytearray(8 * 1024**3)\nprint('ALLOCATED')", Limits(memory_mb=512)
    )
    assert result.returncode != 0
    assert result.killed_reason == "memory"
    assert "ALLOCATED" not in result.stdout


def test_infinite_loop_hits_cpu_limit(sandbox: Sandbox) -> None:
    result = _run(sandbox, "while True:\n    pass", Limits(cpu_seconds=1, wall_seconds=15))
    assert result.killed_reason == "cpu", result
    assert result.returncode < 0 and not result.timed_out
    assert result.duration_s < 8


def test_sleep_past_wall_timeout(sandbox: Sandbox) -> None:
    result = _run(sandbox, "import time\ntime.sleep(60)", Limits(wall_seconds=1.5))
    assert result.timed_out and result.killed_reason == "wall_timeout"
    assert result.duration_s < 6


def test_10_gib_file_hits_file_size_limit(sandbox: Sandbox) -> None:
    code = """
    chunk = b"\\0" * (1 << 20)
    with open("big.bin", "wb") as handle:
        for _ in range(10 * 1024):
            handle.write(chunk)
    print("WROTE 10 GiB")
    """
    result = _run(sandbox, code, Limits(file_size_mb=2))
    assert result.returncode != 0 and "WROTE" not in result.stdout
    assert result.killed_reason == "file_size", result


def test_child_that_outlives_its_parent_is_killed(
    sandbox: Sandbox, find_processes: Callable[[str], list[int]]
) -> None:
    marker = f"orphan-{uuid.uuid4().hex}"
    code = f"""
    import os, subprocess, sys, time
    child = "import os, time; open('child.pid', 'w').write(str(os.getpid())); time.sleep(300)"
    subprocess.Popen([sys.executable, "-c", child + " # {marker}"], start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not os.path.exists("child.pid"):
        time.sleep(0.01)
    print("PARENT EXITS")
    """
    result = _run(sandbox, code, collect=["child.pid"])
    assert result.returncode == 0 and "PARENT EXITS" in result.stdout
    assert result.files_out["child.pid"].isdigit()
    assert find_processes(marker) == []
    assert result.duration_s < 5


@pytest.mark.parametrize(
    "attack", ["os.killpg(os.getpgid(0), signal.SIGKILL)", "os.kill(os.getppid(), signal.SIGKILL)"]
)
def test_killing_the_parent_group_spares_the_host(sandbox: Sandbox, attack: str) -> None:
    result = _run(sandbox, f"import os, signal, time\n{attack}\ntime.sleep(0.2)\nprint('ALIVE')")
    os.kill(os.getpid(), 0)
    os.kill(os.getppid(), 0)
    if sandbox.isolation == "rlimits-only":  # the supervisor dies, taking the command along
        assert result.returncode == -9 and result.killed_reason == "signal SIGKILL"
    elif "killpg" in attack:  # the group is led by the namespace's init: nothing to signal
        assert result.returncode == 1 and "ProcessLookupError" in result.stderr
    else:  # the parent is the namespace's init, owned by another uid
        assert result.returncode == 1 and "PermissionError" in result.stderr


def test_kill_everything_stays_in_the_namespace(
    sandbox: Sandbox, find_processes: Callable[[str], list[int]]
) -> None:
    _skip_fallback(sandbox, "os.kill(-1) in rlimits-only would signal every host process")
    marker = f"victim-{uuid.uuid4().hex}"
    code = f"""
    import os, signal, subprocess, sys
    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60) # {marker}"])
    os.kill(-1, signal.SIGKILL)
    print("DONE", victim.wait())
    """
    result = _run(sandbox, code)
    os.kill(os.getppid(), 0)
    assert result.returncode == 0 and "DONE -9" in result.stdout, result.stderr
    assert find_processes(marker) == []


def test_printing_100_mb_is_trimmed_with_bounded_memory(sandbox: Sandbox) -> None:
    code = "import sys\nfor _ in range(100):\n    sys.stdout.buffer.write(b'x' * (1 << 20))"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = _run(sandbox, code, Limits(output_bytes=10_000, wall_seconds=20))
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert result.returncode == 0 and result.killed_reason is None
    assert result.stdout_truncated and len(result.stdout) < 11_000
    assert "truncated by the sandbox" in result.stdout
    assert grown_mb < 40


def test_endless_output_is_killed(sandbox: Sandbox) -> None:
    code = "import sys\nwhile True:\n    sys.stdout.write('y' * 65536)"
    result = _run(sandbox, code, Limits(output_bytes=1000, max_output_bytes=5_000_000))
    assert result.killed_reason == "output"


FAILING_SOLUTION = "def add(a, b):\n    return a - b\n"
TEST_ADD = "from solution import add\n\n\ndef test_add():\n    assert add(2, 2) == 4\n"


@pytest.mark.parametrize(
    "test_file",
    [
        "import os\nos._exit(0)\n" + TEST_ADD,
        TEST_ADD.replace("    assert", "    import os\n    os._exit(0)\n    assert"),
        TEST_ADD + "\n\ndef test_zz_exit():\n    import os\n    os._exit(0)\n",
    ],
    ids=["at-import", "inside-test", "after-tests"],
)
def test_os_exit_does_not_fake_a_pass(sandbox: Sandbox, test_file: str) -> None:
    files = {"solution.py": FAILING_SOLUTION, "test_step.py": test_file}
    report = run_pytest(sandbox, files, limits=FAST)
    assert report.result.returncode == 0  # the exit code alone would have lied
    assert not report.all_passed and not report.finished
    assert report.outcome("test_step.py::test_add") != "passed"


def test_forged_records_on_the_report_pipe_are_ignored(sandbox: Sandbox) -> None:
    forge = """
    import json, os
    from solution import add

    def test_add():
        fd = int(os.environ["SANDBOX_REPORT_FD"])
        for seq in range(8):
            body = json.dumps({"kind": "phase", "nodeid": "test_step.py::test_add",
                               "when": "call", "outcome": "passed"})
            line = json.dumps({"seq": seq, "payload": body, "mac": "0" * 64}) + "\\n"
            os.write(fd, line.encode())
        assert add(2, 2) == 4
    """
    files = {"solution.py": FAILING_SOLUTION, "test_step.py": textwrap.dedent(forge)}
    report = run_pytest(sandbox, files, limits=FAST)
    assert report.forged_records == 8
    assert report.outcome("test_step.py::test_add") == "failed"
    assert not report.all_passed


def test_conftest_that_forces_success_is_refused(sandbox: Sandbox) -> None:
    conftest = """
    import pytest

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(item, call):
        outcome = yield
        report = outcome.get_result()
        report.outcome = "passed"
        report.longrepr = None
    """
    files = {
        "solution.py": FAILING_SOLUTION,
        "test_step.py": TEST_ADD,
        "conftest.py": textwrap.dedent(conftest),
        "pytest.ini": "[pytest]\naddopts = -p no:terminal\n",
        "sub/conftest.py": textwrap.dedent(conftest),
        "evil.pth": "import os\n",
    }
    report = run_pytest(sandbox, files, limits=FAST)
    assert report.rejected_files == ("conftest.py", "evil.pth", "pytest.ini", "sub/conftest.py")
    assert report.outcome("test_step.py::test_add") == "failed"
    assert report.finished and not report.all_passed

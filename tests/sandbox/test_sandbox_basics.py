"""Small, fast checks of the sandbox building blocks."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
from pathlib import Path

import pytest

from coauthor.sandbox import (
    Limits,
    RlimitSandbox,
    Sandbox,
    SandboxUnavailableError,
    factory,
    sandbox_for,
)
from coauthor.sandbox.bubblewrap import BubblewrapController
from coauthor.sandbox.env import check_env_name, sandbox_env
from coauthor.sandbox.interpreter import interpreter_roots
from coauthor.sandbox.process import Sink
from coauthor.sandbox.report import verify
from coauthor.sandbox.testids import expected_test_ids, split_files
from coauthor.sandbox.workdir import read_back, safe_relpath


def test_sink_keeps_head_and_tail_only() -> None:
    sink = Sink(1000)
    for _ in range(1000):
        sink.feed(b"a" * 1000)
    sink.feed(b"END")
    assert sink.total == 1_000_003 and sink.truncated
    text = sink.text()
    assert text.startswith("a" * 100) and text.endswith("END")
    assert "bytes truncated by the sandbox" in text and len(text) < 1100


@pytest.mark.parametrize("name", ["", "/etc/passwd", "../x", "a/../../x", "./a", "a//b", "a/"])
def test_unsafe_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="unsafe"):
        safe_relpath(name)


def test_env_is_allow_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake")
    env = sandbox_env(bin_dirs=["/venv/bin"], home="/tmp", tmpdir="/tmp")
    assert "OPENAI_API_KEY" not in env and env["PATH"].startswith("/venv/bin:")
    for name in ("COAUTHOR_DB", "OPENAI_BASE_URL", "MY_TOKEN", "LD_PRELOAD", "aws-x"):
        with pytest.raises(ValueError):
            check_env_name(name)
    check_env_name("PYTHONPATH")


def test_read_back_never_follows_symlinks(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("host secret")
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    (work / "report.json").symlink_to(secret)
    (work / "link").symlink_to(tmp_path)
    (work / "sub" / "ok.txt").write_text("ok" * 10)
    os.mkfifo(work / "fifo")
    names = ["report.json", "link/secret", "fifo", "sub/ok.txt", "absent"]
    found, truncated = read_back(work, names, max_bytes=5)
    assert found == {"sub/ok.txt": b"okoko"} and truncated == ["sub/ok.txt"]


def test_forged_and_replayed_records_are_rejected() -> None:
    key = b"k" * 32

    def line(seq: int, body: dict[str, object], key: bytes = key) -> bytes:
        payload = json.dumps(body)
        mac = hmac.new(key, f"{seq}\n{payload}".encode(), hashlib.sha256).hexdigest()
        return json.dumps({"seq": seq, "payload": payload, "mac": mac}).encode() + b"\n"

    good = line(0, {"kind": "finish", "exitstatus": 1})
    raw = good + good + line(1, {"kind": "finish", "exitstatus": 0}, b"x" * 32) + b"junk\n{"
    records = verify(raw, key)
    assert records.finished and records.exit_status == 1 and records.forged == 3


def test_expected_ids_come_from_the_host_parse() -> None:
    source = (
        "def test_a(): pass\nasync def test_b(): pass\nclass TestC:\n    def test_d(self): pass\n"
    )
    assert expected_test_ids(source, "t.py") == (
        "t.py::test_a",
        "t.py::test_b",
        "t.py::TestC::test_d",
    )
    files = {"conftest.py": "", "a/x.pth": "", "solution.py": "", "_pytest/x.py": ""}
    accepted, rejected = split_files(files)
    assert list(accepted) == ["solution.py"]
    assert rejected == ("_pytest/x.py", "a/x.pth", "conftest.py")


def test_bubblewrap_signal_exit_codes_are_normalised() -> None:
    controller = BubblewrapController()
    assert controller.returncode(137) == -9 and controller.returncode(3) == 3


def test_interpreter_roots_cover_the_venv_and_base() -> None:
    roots = interpreter_roots(sys.executable)
    for prefix in (sys.prefix, sys.base_prefix):
        if not prefix.startswith("/usr"):
            assert any(prefix == r or prefix.startswith(r + "/") for r in roots)


def test_sandbox_for_warns_loudly_without_bubblewrap(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> Sandbox:
        raise SandboxUnavailableError("bwrap not installed")

    monkeypatch.setattr(factory, "BubblewrapSandbox", broken)
    with pytest.warns(RuntimeWarning, match="apt-get install bubblewrap"):
        chosen = sandbox_for()
    assert isinstance(chosen, RlimitSandbox) and chosen.isolation == "rlimits-only"
    with pytest.raises(SandboxUnavailableError):
        sandbox_for(require_isolation=True)


def test_collect_and_stdin_and_side_channel(sandbox: Sandbox) -> None:
    code = "import os, sys\ndata = sys.stdin.read()\nopen('out.txt', 'w').write(data.upper())\n"
    code += "os.write(int(os.environ['SANDBOX_REPORT_FD']), b'side')\n"
    result = sandbox.run(
        {"pkg/main.py": code},
        [sandbox.python, "pkg/main.py"],
        stdin=b"hello",
        collect=["out.txt"],
        side_channel=True,
        limits=Limits(wall_seconds=20),
    )
    assert result.ok, result.stderr
    assert result.files_out == {"out.txt": b"HELLO"} and result.side_channel == b"side"
    with pytest.raises(ValueError):
        sandbox.run({}, [sandbox.python], stdin=b"x" * 100_000)

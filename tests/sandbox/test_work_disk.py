"""The work folder's total size is capped: many files each under the per-file limit stop at
the cap inside the sandbox, and the host's disk does not grow."""

from __future__ import annotations

import shutil
import textwrap

from coauthor.sandbox import BubblewrapSandbox, Limits, RlimitSandbox

MANY_FILES = """
chunk = b"x" * (1 << 20)
written = 0
try:
    for index in range(200):
        with open(f"part{index}.bin", "wb") as handle:
            for _ in range(4):
                handle.write(chunk)
        written += 4
except OSError as exc:
    print("STOPPED", exc.errno, written)
    raise
print("WROTE", written)
"""
LIMITS = Limits(cpu_seconds=10, file_size_mb=8, work_mb=32, wall_seconds=20)


def test_many_small_files_stop_at_the_cap(bwrap_sandbox: BubblewrapSandbox) -> None:
    before = shutil.disk_usage("/tmp").free
    files = {"main.py": MANY_FILES}
    command = [bwrap_sandbox.python, "main.py"]
    result = bwrap_sandbox.run(files, command, limits=LIMITS, collect=["part0.bin", "main.py"])
    after = shutil.disk_usage("/tmp").free
    assert "WROTE" not in result.stdout and "STOPPED 28" in result.stdout, result
    assert result.killed_reason == "disk_full"
    assert before - after < 16 * 1024 * 1024
    assert len(result.files_out["part0.bin"]) == LIMITS.output_bytes
    assert result.files_truncated == ("part0.bin",)
    assert result.files_out["main.py"] == MANY_FILES.encode()


def test_collected_files_never_follow_symlinks(bwrap_sandbox: BubblewrapSandbox) -> None:
    code = "import os\nos.symlink('/etc/hostname', 'link')\nos.mkdir('d')\n"
    code += "os.symlink('/etc', 'e')\nopen('d/ok.txt', 'w').write('ok')\n"
    result = bwrap_sandbox.run(
        {"main.py": code},
        [bwrap_sandbox.python, "main.py"],
        limits=LIMITS,
        collect=["link", "e/hostname", "d/ok.txt", "absent"],
    )
    assert result.ok, result.stderr
    assert result.files_out == {"d/ok.txt": b"ok"}


def test_the_fallback_cannot_cap_the_total(tmp_path: object) -> None:
    """Documented limit: without bubblewrap only RLIMIT_FSIZE bounds each file."""
    sandbox = RlimitSandbox()
    limits = Limits(cpu_seconds=10, file_size_mb=8, work_mb=32, wall_seconds=20)
    code = textwrap.dedent(MANY_FILES).replace("range(200)", "range(10)")
    result = sandbox.run({"main.py": code}, [sandbox.python, "main.py"], limits=limits)
    assert "WROTE 40" in result.stdout

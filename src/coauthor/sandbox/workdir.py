"""Private work folders: safe writes in, symlink-proof reads back, thorough cleanup."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


@dataclass(frozen=True)
class WorkFolder:
    """``root`` holds ``work`` (the task files) and ``home`` (HOME/TMPDIR for the fallback)."""

    root: Path

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def home(self) -> Path:
        return self.root / "home"


def safe_relpath(name: str) -> PurePosixPath:
    """A generated file name must stay inside the work folder."""
    path = PurePosixPath(name)
    if not name or "\x00" in name or path.is_absolute() or ".." in path.parts:
        raise ValueError(f"unsafe file name for the sandbox: {name!r}")
    if any(part in ("", ".") for part in path.parts) or str(path) != name:
        raise ValueError(f"unsafe file name for the sandbox: {name!r}")
    return path


def create(
    files: Mapping[str, str | bytes], *, parent: str | None, owner: int | None
) -> WorkFolder:
    """Make a fresh folder with ``files``; ``owner`` is the uid:gid the sandbox runs as."""
    folder = WorkFolder(Path(tempfile.mkdtemp(prefix="coauthor-sbx-", dir=parent)))
    try:
        # root stays 0700; work is 0755 so bwrap (root without capabilities) can chdir into it
        for directory, mode in ((folder.work, 0o755), (folder.home, 0o700)):
            directory.mkdir(mode=mode)
            _chown(directory, owner)
        for name, content in files.items():
            _write_one(folder.work, safe_relpath(name), content, owner)
    except BaseException:
        remove(folder)
        raise
    return folder


def _write_one(work: Path, rel: PurePosixPath, content: str | bytes, owner: int | None) -> None:
    target = work
    for part in rel.parts[:-1]:
        target = target / part
        if not target.is_dir():
            target.mkdir(mode=0o755)
            _chown(target, owner)
    target = target / rel.parts[-1]
    data = content.encode() if isinstance(content, str) else content
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    _chown(target, owner)


def _chown(path: Path, owner: int | None) -> None:
    if owner is not None:
        os.chown(path, owner, owner, follow_symlinks=False)


def read_back(
    work: Path, names: Sequence[str], *, max_bytes: int
) -> tuple[dict[str, bytes], list[str]]:
    """Read regular files without following any symlink the sandboxed code planted."""
    found: dict[str, bytes] = {}
    truncated: list[str] = []
    for name in names:
        data = _read_one(work, safe_relpath(name), max_bytes)
        if data is None:
            continue
        found[name] = data[:max_bytes]
        if len(data) > max_bytes:
            truncated.append(name)
    return found, truncated


def _read_one(work: Path, rel: PurePosixPath, max_bytes: int) -> bytes | None:
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    fds = [os.open(work, flags | os.O_DIRECTORY)]
    try:
        for part in rel.parts[:-1]:
            fds.append(os.open(part, flags | os.O_DIRECTORY, dir_fd=fds[-1]))
        fds.append(os.open(rel.parts[-1], flags | os.O_NONBLOCK, dir_fd=fds[-1]))
        if not stat.S_ISREG(os.fstat(fds[-1]).st_mode):
            return None
        with os.fdopen(os.dup(fds[-1]), "rb") as handle:
            return handle.read(max_bytes + 1)
    except OSError:
        return None
    finally:
        for fd in fds:
            os.close(fd)


def remove(folder: WorkFolder) -> None:
    """Delete everything, even folders the sandboxed code made unreadable."""
    if not folder.root.exists():
        return
    try:
        shutil.rmtree(folder.root)
    except OSError:
        for dirpath, dirnames, _ in os.walk(folder.root):
            for name in dirnames:
                path = os.path.join(dirpath, name)
                if not os.path.islink(path):
                    os.chmod(path, 0o700)
        shutil.rmtree(folder.root, ignore_errors=True)

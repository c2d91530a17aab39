"""A backlog of task ideas (CSV or JSON Lines), read and checked before anything is queued.

One idea per row, with optional ``domain``, ``difficulty``, ``type``, ``steps``,
``language`` and ``lessons`` (titles separated by ``;``). Every problem is reported with
its line number; the caller queues nothing until the file is valid (or skips the bad
rows when the author asks so).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from coauthor.pipeline.brief import BriefError, make_brief
from coauthor.schemas import Lesson, TaskBrief

COLUMNS = ("idea", "domain", "difficulty", "type", "steps", "language", "lessons")
MAX_BYTES = 32_000_000
MAX_ROWS = 1_000
MAX_LINE = 20_000
"""Characters in one line: far above any idea (ideas are capped much lower)."""
SHOWN_PROBLEMS = 20


@dataclass(frozen=True)
class Problem:
    line: int
    """1-based line of the file; 0: the file as a whole."""
    message: str

    def __str__(self) -> str:
        return self.message if self.line == 0 else f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class BacklogItem:
    line: int
    brief: TaskBrief


@dataclass
class Backlog:
    items: list[BacklogItem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class BacklogError(ValueError):
    """The backlog cannot be used as it is; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:SHOWN_PROBLEMS])
        more = len(problems) - SHOWN_PROBLEMS
        extra = f" (and {more} more)" if more > 0 else ""
        super().__init__(f"the backlog is not valid: {shown}{extra}; nothing was queued")


def read_backlog(path: Path, *, skip_invalid: bool = False) -> Backlog:
    """Read ``path`` (``.csv`` or ``.jsonl``); raise BacklogError when it has problems
    (with ``skip_invalid``, problems of single rows are kept in ``problems`` instead)."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl"):
        raise BacklogError([Problem(0, f"{path.name}: a backlog is a .csv or .jsonl file")])
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise BacklogError(
                [Problem(0, f"{path.name} is {size:,} bytes; a backlog is at most {MAX_BYTES:,}")]
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise BacklogError([Problem(0, f"cannot read {path}: {exc.strerror or exc}")]) from None
    return parse_backlog(raw, kind=suffix[1:], skip_invalid=skip_invalid)


def parse_backlog(raw: bytes, *, kind: str, skip_invalid: bool = False) -> Backlog:
    """The same for the bytes of a file (an upload in the studio)."""
    if len(raw) > MAX_BYTES:
        raise BacklogError([Problem(0, f"the backlog is over {MAX_BYTES:,} bytes")])
    text = _decode(raw)
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        if len(line) > MAX_LINE:
            raise BacklogError(
                [Problem(number, f"{len(line):,} characters; a row is at most {MAX_LINE:,}")]
            )
    rows = _csv_rows(text) if kind == "csv" else _jsonl_rows(lines)
    backlog = Backlog()
    for number, row in rows:
        if isinstance(row, Problem):
            backlog.problems.append(row)
            continue
        try:
            backlog.items.append(BacklogItem(number, _brief(row)))
        except (BriefError, ValidationError, ValueError) as exc:
            backlog.problems.append(Problem(number, _one_line(exc)))
    whole = [p for p in backlog.problems if p.line == 0]
    if whole or (backlog.problems and not skip_invalid):
        raise BacklogError(whole or backlog.problems)
    if len(backlog.items) > MAX_ROWS:
        raise BacklogError(
            [Problem(0, f"{len(backlog.items):,} ideas; a batch is at most {MAX_ROWS:,}")]
        )
    if not backlog.items:
        raise BacklogError([Problem(0, "the backlog has no valid idea")])
    return backlog


def _decode(raw: bytes) -> str:
    if b"\x00" in raw:
        raise BacklogError([Problem(0, "the backlog is not a text file (it has NUL bytes)")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise BacklogError(
            [Problem(line, "not UTF-8 text; save the file as UTF-8 and try again")]
        ) from None


def _csv_rows(text: str) -> list[tuple[int, dict[str, str] | Problem]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise BacklogError([Problem(1, f"not a CSV header: {exc}")]) from None
    if header is None:
        raise BacklogError([Problem(0, "the backlog is empty")])
    names = [name.strip().lower() for name in header]
    unknown = [name for name in names if name not in COLUMNS]
    if unknown or "idea" not in names or len(set(names)) != len(names):
        raise BacklogError(
            [
                Problem(
                    1,
                    f"the header must name an 'idea' column and only these, once each: "
                    f"{', '.join(COLUMNS)} (found {', '.join(repr(n) for n in names)})",
                )
            ]
        )
    rows: list[tuple[int, dict[str, str] | Problem]] = []
    try:
        for cells in reader:
            number = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(names):
                rows.append(
                    (number, Problem(number, f"{len(cells)} cells; the header has {len(names)}"))
                )
                continue
            rows.append((number, dict(zip(names, cells, strict=True))))
    except csv.Error as exc:
        raise BacklogError([Problem(reader.line_num, f"not valid CSV: {exc}")]) from None
    return rows


def _jsonl_rows(lines: list[str]) -> list[tuple[int, dict[str, str] | Problem]]:
    rows: list[tuple[int, dict[str, str] | Problem]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            rows.append((number, Problem(number, f"not a JSON object: {exc.msg}")))
            continue
        if not isinstance(data, dict):
            rows.append((number, Problem(number, "not a JSON object")))
            continue
        unknown = sorted(str(key) for key in data if key not in COLUMNS)
        if unknown:
            rows.append(
                (
                    number,
                    Problem(number, f"unknown fields {unknown}; allowed: {', '.join(COLUMNS)}"),
                )
            )
            continue
        if isinstance(data.get("lessons"), list):
            data["lessons"] = ";".join(str(item) for item in data["lessons"])
        rows.append((number, {key: "" if v is None else str(v) for key, v in data.items()}))
    return rows


def _brief(row: dict[str, str]) -> TaskBrief:
    steps_text = row.get("steps", "").strip() or "3"
    if not steps_text.isdigit():
        raise ValueError(f"steps must be a whole number, not {steps_text[:20]!r}")
    brief = make_brief(
        row.get("idea", ""),
        domain=row.get("domain", "").strip() or "e-commerce",
        difficulty=row.get("difficulty", "").strip() or "junior",
        task_type=row.get("type", "").strip() or "quest",
        language=row.get("language", "").strip() or "en",
        steps=int(steps_text),
    )
    titles = [t.strip() for t in row.get("lessons", "").split(";") if t.strip()]
    if titles:
        lessons = [Lesson(title=title) for title in titles]
        brief = TaskBrief.model_validate({**brief.model_dump(), "lessons": lessons})
    return brief


def _one_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}"
    return " ".join(str(exc).split())[:300]

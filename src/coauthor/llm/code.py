"""Code comes back from a model as prose with a fenced block; this finds the code."""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

_FENCE = re.compile(r"```[ \t]*(?:python|py|python3)?[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL | re.I)


CLOSING_FENCE_STOPS = ("\n```\n",)
"""Stop sequences for a code reply: the closing fence followed by a line break. An opening
fence always carries the language (```python) or sits at the very start of the reply, so
only a fence that closes a block matches; whatever a small model writes after the block
(an explanation, a second copy) is never generated."""

_CODE_REPLY: ContextVar[bool] = ContextVar("coauthor_code_reply", default=False)


@contextmanager
def code_reply() -> Iterator[None]:
    """Marks the requests made inside as asking for one fenced code block."""
    token = _CODE_REPLY.set(True)
    try:
        yield
    finally:
        _CODE_REPLY.reset(token)


def asking_for_code() -> bool:
    """Whether the request being built is inside :func:`code_reply`."""
    return _CODE_REPLY.get()


@dataclass
class CodeResult:
    code: str
    error: str | None
    attempts: int = 1
    notes: list[str] = field(default_factory=list)
    """What Co-Author changed in the model's code (a repeated definition removed), so the
    step can flag it: nothing is changed silently."""

    @property
    def ok(self) -> bool:
        return self.error is None


def extract_code(reply: str) -> str:
    """The longest fenced block (an unclosed last fence counts); the whole reply if none."""
    blocks = [m.group(1) for m in _FENCE.finditer(reply)]
    code = max(blocks, key=len) if blocks else reply
    return code.strip("\n").rstrip() + "\n" if code.strip() else ""


def code_error(code: str) -> str | None:
    """Why ``code`` is not acceptable Python, or None."""
    if not code.strip():
        return "the reply has no code"
    parsed = _parse(code)
    return parsed if isinstance(parsed, str) else None


def syntax_tree(code: str) -> ast.Module | None:
    """The syntax tree of ``code``, or None when it does not parse. The same text is parsed
    once (a step's code is checked, cleaned and read for its functions several times):
    the tree is shared, so read it and never change it."""
    parsed = _parse(code)
    return None if isinstance(parsed, str) else parsed


@functools.lru_cache(maxsize=64)
def _parse(code: str) -> ast.Module | str:
    """The tree, or the reason it does not parse."""
    try:
        return ast.parse(code)
    except SyntaxError as exc:
        return f"SyntaxError: {exc.msg} (line {exc.lineno})"


_TOP_DEFINITION = re.compile(r"^(?:async\s+def|def|class)\s+([A-Za-z_]\w*)")


def drop_repeated_definitions(code: str) -> tuple[str, list[str]]:
    """Keep the *first* top-level function or class of each name and remove later ones.

    Small models loop: they write a function, then write it again (often cut short by the
    token limit). Python would run the last copy; the first is what the model wrote in
    answer to the prompt, and the one a repeat ends on is the likeliest to be unfinished.
    An unfinished repeat at the very end (the code does not parse, and parses without it)
    is removed as well. Returns the code and one note per removal, for the step's flags;
    code with nothing repeated comes back unchanged.
    """
    lines = code.splitlines(keepends=True)
    notes: list[str] = []
    tail = _unfinished_repeat(lines)
    if tail is not None:
        name, start = tail
        lines = lines[:start]
        notes.append(
            f"removed an unfinished repeat of `{name}` at the end (line {start + 1}); "
            "kept the first definition"
        )
    text = "".join(lines)
    tree = syntax_tree(text)
    if tree is None:
        return (text.rstrip() + "\n" if notes else code), notes
    seen: set[str] = set()
    drop: list[tuple[int, int, str]] = []
    body = tree.body
    for index, node in enumerate(body):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if node.name not in seen:
            seen.add(node.name)
            continue
        end = _first_line(body[index + 1]) - 1 if index + 1 < len(body) else len(lines)
        drop.append((_first_line(node) - 1, end, node.name))
    for first, last, name in reversed(drop):
        del lines[first:last]
        notes.append(
            f"removed a repeated definition of `{name}` (line {first + 1}); kept the first"
        )
    if not drop:
        return (text.rstrip() + "\n" if notes else code), notes
    cleaned = re.sub(r"\n{4,}", "\n\n\n", "".join(lines)).rstrip() + "\n"
    notes[len(notes) - len(drop) :] = reversed(notes[len(notes) - len(drop) :])
    return cleaned, notes


def _first_line(node: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def _unfinished_repeat(lines: list[str]) -> tuple[str, int] | None:
    """(name, line index) of a last top-level definition that repeats an earlier name and
    is the reason the code does not parse; None otherwise."""
    if syntax_tree("".join(lines)) is not None:
        return None
    starts = [
        (index, found[1])
        for index, line in enumerate(lines)
        if (found := _TOP_DEFINITION.match(line)) is not None
    ]
    if len(starts) < 2:
        return None
    index, name = starts[-1]
    while index > 0 and lines[index - 1].startswith("@"):
        index -= 1
    if name not in {n for _, n in starts[:-1]}:
        return None
    if syntax_tree("".join(lines[:index])) is None:
        return None
    return name, index

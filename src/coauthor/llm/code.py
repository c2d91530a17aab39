"""Code comes back from a model as prose with a fenced block; this finds the code."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_FENCE = re.compile(r"```[ \t]*(?:python|py|python3)?[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL | re.I)


@dataclass
class CodeResult:
    code: str
    error: str | None
    attempts: int = 1

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
    try:
        ast.parse(code)
    except SyntaxError as exc:
        return f"SyntaxError: {exc.msg} (line {exc.lineno})"
    return None

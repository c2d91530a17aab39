"""Short one-line labels for notes, titles and revision lists: long or raw text (model
output, a traceback) never spills over the page."""

from __future__ import annotations

LABEL_LIMIT = 120
ELLIPSIS = "…"


def one_line(text: str, *, limit: int = LABEL_LIMIT) -> str:
    """``text`` on one line, at most ``limit`` characters, cut at a word boundary with
    an ellipsis when it is longer."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - len(ELLIPSIS) + 1]
    head, space, _ = cut.rpartition(" ")
    if not space or len(head) < limit // 2:
        head = cut[:-1]
    return head.rstrip(" ,;:.-") + ELLIPSIS

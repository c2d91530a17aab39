"""Shortening text to a character budget: whole items first, then at line or word ends."""

from __future__ import annotations

PROSE_MARK = " …"
CODE_MARK = "\n# …"


def cut(text: str, limit: int, *, code: bool = False) -> str:
    """``text`` in at most ``limit`` characters (a mark included), cut at a line end
    (code) or a word end (prose) when one is near."""
    if len(text) <= limit:
        return text
    mark = CODE_MARK if code else PROSE_MARK
    room = max(limit - len(mark), 0)
    head = text[:room]
    stop = head.rfind("\n" if code else " ")
    if stop >= room // 2:
        head = head[:stop]
    return head.rstrip() + mark if head.strip() else ""


def shares(lengths: list[int], limit: int) -> list[int]:
    """Per-text limits summing to at most ``limit``: short texts keep their length and
    the long ones share the rest equally."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    caps = list(lengths)
    left = max(limit, 0)
    for position, i in enumerate(order):
        share = left // (len(order) - position)
        if lengths[i] > share:
            for j in order[position:]:
                caps[j] = share
            break
        left -= lengths[i]
    return caps


def fit_texts(texts: list[str], limit: int, *, code: bool = False) -> list[str]:
    """The texts shortened so that together they take at most ``limit`` characters."""
    caps = shares([len(t) for t in texts], limit)
    return [cut(text, cap, code=code) for text, cap in zip(texts, caps, strict=True)]


def fit_items(items: list[tuple[str, str]], limit: int) -> list[tuple[str, str]]:
    """The leading (title, detail) items that fit in ``limit`` characters; the first is
    always kept, its detail shortened (and its title too, when it alone is too long)."""
    kept: list[tuple[str, str]] = []
    used = 0
    for title, detail in items:
        size = len(title) + len(detail)
        if used + size > limit:
            if not kept:
                title = cut(title, limit) or title[:1]
                kept.append((title, cut(detail, max(limit - len(title), 0))))
            break
        kept.append((title, detail))
        used += size
    return kept

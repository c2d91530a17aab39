"""Notion blocks from the task's markdown, cut to the sizes Notion's API accepts.

Limits (developers.notion.com, "Request limits"): 2,000 characters in one rich-text item
(counted in UTF-16 units, as JavaScript does), 100 rich-text items in one block, 100 blocks
in one children array, two levels of nesting and 1,000 blocks in one request, 500 KB of
JSON. Blocks here nest one level at most (a step's toggle and its content).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

MAX_TEXT = 2_000
MAX_RICH_TEXT = 100
MAX_CHILDREN = 100
MAX_REQUEST_BLOCKS = 1_000
MAX_REQUEST_BYTES = 400_000  # under the 500 KB limit, with room for the envelope

Block = dict[str, Any]
RichText = list[dict[str, Any]]

_INLINE = re.compile(
    r"\[(?P<label>[^\]\n]+)\]\((?P<url>[^)\s]+)\)"
    r"|\*\*(?P<bold>[^*\n]+)\*\*"
    r"|`(?P<code>[^`\n]+)`"
    r"|(?<![\w*])[*_](?P<italic>[^*_\n]+)[*_](?![\w*])"
)
_LANGUAGES = {  # fence tag -> one of the code languages Notion accepts
    **{name: name for name in ("python", "bash", "shell", "json", "sql", "yaml", "markdown", "r")},
    **{
        "py": "python",
        "sh": "shell",
        "md": "markdown",
        "js": "javascript",
        "javascript": "javascript",
    },
}


def chunks(text: str, size: int = MAX_TEXT) -> list[str]:
    """``text`` cut into pieces of at most ``size`` UTF-16 units."""
    pieces: list[str] = []
    start = units = 0
    for index, char in enumerate(text):
        width = 2 if ord(char) > 0xFFFF else 1
        if units + width > size:
            pieces.append(text[start:index])
            start, units = index, 0
        units += width
    if start < len(text) or not pieces:
        pieces.append(text[start:])
    return [piece for piece in pieces if piece]


def _item(content: str, *, url: str | None = None, **annotations: bool) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "text", "text": {"content": content}}
    if url:
        item["text"]["link"] = {"url": url}
    if annotations:
        item["annotations"] = annotations
    return item


def plain(text: str) -> RichText:
    return [_item(piece) for piece in chunks(text)]


def rich_text(markdown: str) -> RichText:
    """Inline markdown (links, bold, italic, code) as rich text; other marks stay text."""
    items: RichText = []
    position = 0
    for match in _INLINE.finditer(markdown):
        items += plain(markdown[position : match.start()])
        position = match.end()
        if match["label"]:
            url = match["url"] if _linkable(match["url"]) else None
            label = match["label"] if url else match.group(0)
            items += [_item(piece, url=url) for piece in chunks(label)]
        elif match["bold"]:
            items += [_item(piece, bold=True) for piece in chunks(match["bold"])]
        elif match["code"]:
            items += [_item(piece, code=True) for piece in chunks(match["code"])]
        else:
            items += [_item(piece, italic=True) for piece in chunks(match["italic"])]
    return items + plain(markdown[position:])


def _linkable(url: str) -> bool:
    """Notion rejects links that are not absolute web URLs."""
    return url.startswith(("https://", "http://")) and len(url) <= MAX_TEXT


def block(kind: str, text: RichText, **extra: Any) -> list[Block]:
    """One block of ``kind``, or several when the text has more items than a block holds."""
    groups = [text[i : i + MAX_RICH_TEXT] for i in range(0, len(text), MAX_RICH_TEXT)] or [[]]
    return [{"object": "block", "type": kind, kind: {"rich_text": g, **extra}} for g in groups]


def code(source: str, language: str = "python") -> list[Block]:
    return block("code", plain(source), language=language) if source.strip() else []


def heading(text: str, level: int) -> list[Block]:
    return block(f"heading_{min(max(level, 1), 3)}", rich_text(text))


def toggle(title: str, children: list[Block]) -> Block:
    [head] = block("toggle", plain(title[:MAX_TEXT]))
    head["toggle"]["children"] = children
    return head


def blocks(markdown: str, *, shift: int = 0) -> list[Block]:
    """Markdown as blocks: headings (moved down ``shift`` levels), paragraphs, lists,
    quotes and fenced code."""
    found: list[Block] = []
    paragraph: list[str] = []
    lines = iter(markdown.splitlines())

    def flush() -> None:
        if paragraph:
            found.extend(block("paragraph", rich_text("\n".join(paragraph))))
            paragraph.clear()

    for line in lines:
        stripped = line.strip()
        fence = re.match(r"(`{3,}|~{3,})\s*([\w+-]*)", stripped)
        item = re.match(r"([-*+]|\d+[.)])\s+(.*)", stripped)
        if fence:
            flush()
            body = _fenced(lines, fence.group(1))
            language = _LANGUAGES.get(fence.group(2).lower(), "plain text")
            found.extend(code("\n".join(body), language))
        elif heading_match := re.match(r"(#{1,6})\s+(.*)", stripped):
            flush()
            found.extend(heading(heading_match.group(2), len(heading_match.group(1)) + shift))
        elif item:
            flush()
            kind = "bulleted_list_item" if item.group(1) in "-*+" else "numbered_list_item"
            found.extend(block(kind, rich_text(item.group(2))))
        elif stripped.startswith(">"):
            flush()
            found.extend(block("quote", rich_text(stripped.lstrip("> "))))
        elif not stripped:
            flush()
        else:
            paragraph.append(stripped)
    flush()
    return found


def _fenced(lines: Iterator[str], fence: str) -> list[str]:
    body: list[str] = []
    for line in lines:
        if line.strip().startswith(fence):
            break
        body.append(line)
    return body


def size(block_: Block) -> int:
    return len(json.dumps(block_, ensure_ascii=False).encode())


def batches(blocks_: list[Block]) -> Iterator[tuple[list[Block], list[list[Block]]]]:
    """Append requests for ``blocks_``: each yields the blocks to send (children cut to what
    one request holds) and, per block, the children left for a later request."""
    batch: list[Block] = []
    later: list[list[Block]] = []
    count = weight = 0
    for original in blocks_:
        sent, rest = _trim(original)
        blocks_in = 1 + len(_children(sent))
        bytes_in = size(sent)
        full = len(batch) == MAX_CHILDREN or count + blocks_in > MAX_REQUEST_BLOCKS
        if batch and (full or weight + bytes_in > MAX_REQUEST_BYTES):
            yield batch, later
            batch, later, count, weight = [], [], 0, 0
        batch.append(sent)
        later.append(rest)
        count += blocks_in
        weight += bytes_in
    if batch:
        yield batch, later


def _children(block_: Block) -> list[Block]:
    children: list[Block] = block_[block_["type"]].get("children", [])
    return children


def _trim(block_: Block) -> tuple[Block, list[Block]]:
    """The block with as many children as fit one request, and the children left over."""
    children = _children(block_)
    if not children:
        return block_, []
    kind = block_["type"]
    keep: list[Block] = []
    weight = size({**block_, kind: {**block_[kind], "children": []}})
    for child in children[:MAX_CHILDREN]:
        weight += size(child)
        if weight > MAX_REQUEST_BYTES and keep:
            break
        keep.append(child)
    trimmed = {**block_, kind: {**block_[kind], "children": keep}}
    return trimmed, children[len(keep) :]

"""Notion blocks from the task's markdown, cut to the sizes Notion's API accepts.

The markdown is parsed by markdown-it-py (CommonMark, plus GitHub's tables and
strikethrough); raw HTML stays text. Headings, paragraphs, bulleted and numbered lists,
quotes, fenced and indented code (the fence's tag mapped to a language Notion accepts,
"plain text" otherwise), tables and rules become Notion blocks; links, bold, italic,
strikethrough and inline code become annotated rich text, and an image its alt text linked
to the image. A link that is not an absolute web URL (Notion refuses those) stays visible
as ``[label](url)`` text. An image whose source is ``notion-file-upload:ID`` (a figure the
exporter sent through the File Upload API) becomes an image block of that upload, its
title the caption, cutting its paragraph in two around it; inside a list item, quote or
heading, where no image block can go, it is its alt text.

Nesting. A list item or a quote holds what is nested in it (sub-lists, further paragraphs,
code) as its children, two levels deep at most: a sub-list of a top-level item is nested,
but what is nested in a second-level item (a third-level list, say) is flattened: it
follows that item as its siblings, on the second level, in document order. A table holds
its rows as children.

Limits (developers.notion.com, "Request limits"): 2,000 characters in one rich-text item
(counted in UTF-16 units, as JavaScript does), 100 rich-text items in one block (longer
text becomes several blocks of the same kind), 100 blocks in one children array, two
levels of nesting and 1,000 blocks in one request, 500 KB of JSON. :func:`batches` cuts a
list of blocks into append requests within those limits. A block goes with its children
up to the first child that has children of its own: Notion answers with the ids of the
first-level blocks only, so that child (and the rest) is appended by a later request to
its parent's id, with its own children, and so is whatever does not fit one request.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Literal, NotRequired, TypedDict, final

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

MAX_TEXT = 2_000
MAX_RICH_TEXT = 100
MAX_CHILDREN = 100
MAX_NESTING = 2  # levels of containers (list items, quotes) the markdown is kept to
MAX_REQUEST_BLOCKS = 1_000
MAX_REQUEST_BYTES = 400_000  # under the 500 KB limit, with room for the envelope


class Link(TypedDict):
    url: str


class Text(TypedDict):
    content: str
    link: NotRequired[Link]


class Annotations(TypedDict, total=False):
    bold: bool
    italic: bool
    strikethrough: bool
    code: bool


class RichTextItem(TypedDict):
    type: Literal["text"]
    text: Text
    annotations: NotRequired[Annotations]


RichText = list[RichTextItem]

TextKind = Literal[
    "paragraph",
    "heading_1",
    "heading_2",
    "heading_3",
    "bulleted_list_item",
    "numbered_list_item",
    "quote",
    "toggle",
]
BlockKind = Literal[TextKind, "code", "table", "table_row", "divider", "image"]
UPLOAD_SCHEME = "notion-file-upload:"
"""An image whose source is ``notion-file-upload:ID`` becomes an image block showing the
file upload ``ID`` (see :func:`image`)."""


@final
class TextBody(TypedDict):
    rich_text: RichText
    children: NotRequired[list[Block]]


@final
class CodeBody(TypedDict):
    rich_text: RichText
    language: str


@final
class TableBody(TypedDict):
    table_width: int
    has_column_header: bool
    has_row_header: bool
    children: NotRequired[list[Block]]  # table_row blocks; Notion wants one at least


@final
class TableRowBody(TypedDict):
    cells: list[RichText]  # table_width cells, each its own rich text


@final
class EmptyBody(TypedDict):
    pass


class FileUploadRef(TypedDict):
    id: str


@final
class ImageBody(TypedDict):
    """A file object of type ``file_upload`` (Notion's File Upload API) and a caption."""

    type: Literal["file_upload"]
    file_upload: FileUploadRef
    caption: RichText


Body = TextBody | CodeBody | TableBody | TableRowBody | EmptyBody | ImageBody


class Block(TypedDict):
    """One Notion block: ``type`` names the one key that holds its body."""

    object: Literal["block"]
    type: BlockKind
    paragraph: NotRequired[TextBody]
    heading_1: NotRequired[TextBody]
    heading_2: NotRequired[TextBody]
    heading_3: NotRequired[TextBody]
    bulleted_list_item: NotRequired[TextBody]
    numbered_list_item: NotRequired[TextBody]
    quote: NotRequired[TextBody]
    toggle: NotRequired[TextBody]
    code: NotRequired[CodeBody]
    table: NotRequired[TableBody]
    table_row: NotRequired[TableRowBody]
    divider: NotRequired[EmptyBody]
    image: NotRequired[ImageBody]


_MD = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
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


@dataclass(frozen=True)
class _Style:
    """The marks around a piece of inline text."""

    bold: bool = False
    italic: bool = False
    strikethrough: bool = False
    code: bool = False
    url: str | None = None

    def items(self, content: str) -> RichText:
        """``content`` in this style, cut into items Notion accepts."""
        annotations = Annotations()
        if self.bold:
            annotations["bold"] = True
        if self.italic:
            annotations["italic"] = True
        if self.strikethrough:
            annotations["strikethrough"] = True
        if self.code:
            annotations["code"] = True
        found: RichText = []
        for piece in chunks(content):
            item = RichTextItem(type="text", text=Text(content=piece))
            if self.url:
                item["text"]["link"] = Link(url=self.url)
            if annotations:
                item["annotations"] = annotations.copy()
            found.append(item)
        return found


_PLAIN = _Style()


def plain(text: str) -> RichText:
    return _PLAIN.items(text)


def rich_text(markdown: str) -> RichText:
    """Inline markdown (links, bold, italic, strikethrough, code) as rich text."""
    [inline] = SyntaxTreeNode(_MD.parseInline(markdown)).children
    return _inline(inline.children, _PLAIN)


def _inline(nodes: Sequence[SyntaxTreeNode], style: _Style) -> RichText:
    """Rich text for inline nodes; a run of plain text between marks is one item."""
    items: RichText = []
    run: list[str] = []

    def flush() -> None:
        items.extend(style.items("".join(run)))
        run.clear()

    for node in nodes:
        if node.type in ("softbreak", "hardbreak"):
            run.append("\n")
            continue
        if node.type in ("text", "text_special", "html_inline"):
            run.append(node.content)
            continue
        flush()
        if node.type == "code_inline":
            items += replace(style, code=True).items(node.content)
        elif node.type == "strong":
            items += _inline(node.children, replace(style, bold=True))
        elif node.type == "em":
            items += _inline(node.children, replace(style, italic=True))
        elif node.type == "s":
            items += _inline(node.children, replace(style, strikethrough=True))
        elif node.type in ("link", "image"):
            items += _link(node, style)
        else:  # anything else markdown-it may grow: its text, unmarked
            items += style.items(node.content)
    flush()
    return items


def _link(node: SyntaxTreeNode, style: _Style) -> RichText:
    """A link (or an image: its alt text) with its URL, or ``[label](url)`` as text."""
    url = str(node.attrGet("href") or node.attrGet("src") or "")
    if url.startswith(UPLOAD_SCHEME):  # an image inside a list item or a heading: its alt
        return _inline(node.children, style)
    if _linkable(url):
        return _inline(node.children, replace(style, url=url))
    label = _inline(node.children, style)
    return _merged([*style.items("["), *label, *style.items(f"]({url})")])


def _merged(items: RichText) -> RichText:
    """Neighbouring items of the same style joined (and cut again to Notion's sizes)."""
    found: RichText = []
    for item in items:
        last = found[-1] if found else None
        if last and _style_of(last) == _style_of(item):
            found[-1:] = _restyle(last, last["text"]["content"] + item["text"]["content"])
        else:
            found.append(item)
    return found


def _style_of(item: RichTextItem) -> tuple[object, ...]:
    link = item["text"].get("link")
    return (sorted(item.get("annotations", {}).items()), link["url"] if link else None)


def _restyle(model: RichTextItem, content: str) -> RichText:
    link = model["text"].get("link")
    marks = model.get("annotations", Annotations())
    style = _Style(
        bold=marks.get("bold", False),
        italic=marks.get("italic", False),
        strikethrough=marks.get("strikethrough", False),
        code=marks.get("code", False),
        url=link["url"] if link else None,
    )
    return style.items(content)


def _linkable(url: str) -> bool:
    """Notion rejects links that are not absolute web URLs."""
    return url.startswith(("https://", "http://")) and len(url) <= MAX_TEXT


def _new(kind: BlockKind, body: Body) -> Block:
    made = Block(object="block", type=kind)
    made[kind] = body
    return made


def block(
    kind: TextKind | Literal["code"], text: RichText, *, language: str = "plain text"
) -> list[Block]:
    """One block of ``kind``, or several when the text has more items than a block holds."""
    groups = [text[i : i + MAX_RICH_TEXT] for i in range(0, len(text), MAX_RICH_TEXT)] or [[]]
    if kind == "code":
        return [_new(kind, CodeBody(rich_text=g, language=language)) for g in groups]
    return [_new(kind, TextBody(rich_text=g)) for g in groups]


def code(source: str, language: str = "python") -> list[Block]:
    return block("code", plain(source), language=language) if source.strip() else []


def heading(text: str, level: int) -> list[Block]:
    return block(_heading_kind(level), rich_text(text))


def _heading_kind(level: int) -> TextKind:
    return ("heading_1", "heading_2", "heading_3")[min(max(level, 1), 3) - 1]


def toggle(title: str, children: list[Block]) -> Block:
    [head] = block("toggle", plain(title[:MAX_TEXT]))
    return _with_children(head, children)


def divider() -> Block:
    return _new("divider", EmptyBody())


def image(upload_id: str, caption: str = "") -> Block:
    """An image block showing a file sent through Notion's File Upload API."""
    body = ImageBody(
        type="file_upload",
        file_upload=FileUploadRef(id=upload_id),
        caption=plain(caption)[:MAX_RICH_TEXT],
    )
    return _new("image", body)


def blocks(markdown: str, *, shift: int = 0) -> list[Block]:
    """Markdown as blocks: headings (moved down ``shift`` levels), paragraphs, lists (nested
    two levels deep, see the module's docstring), quotes, code, tables and rules."""
    return _blocks(SyntaxTreeNode(_MD.parse(markdown)).children, shift=shift, level=0)


def _blocks(nodes: Sequence[SyntaxTreeNode], *, shift: int, level: int) -> list[Block]:
    found: list[Block] = []
    for node in nodes:
        found += _block(node, shift=shift, level=level)
    return found


def _block(node: SyntaxTreeNode, *, shift: int, level: int) -> list[Block]:
    """The blocks for one markdown block; ``level`` counts the containers around it."""
    match node.type:
        case "heading":
            return block(_heading_kind(int(node.tag[1:]) + shift), _text_of(node))
        case "paragraph":
            return _paragraph(node)
        case "bullet_list" | "ordered_list":
            kind: TextKind = (
                "bulleted_list_item" if node.type == "bullet_list" else "numbered_list_item"
            )
            return [b for item in node.children for b in _container(kind, item, shift, level)]
        case "blockquote":
            return _container("quote", node, shift, level)
        case "fence" | "code_block":
            source = node.content.removesuffix("\n")
            return code(source, _language(node.info) if node.type == "fence" else "plain text")
        case "table":
            return [_table(node)]
        case "hr":
            return [divider()]
        case _:  # html_block (only with html on) and whatever markdown-it may grow: as text
            return block("paragraph", plain(node.content.strip())) if node.content.strip() else []


def _paragraph(node: SyntaxTreeNode) -> list[Block]:
    """A paragraph; an uploaded image in it becomes an image block between the paragraphs
    of the text before and after it."""
    images = [c for i in node.children for c in i.children if c.type == "image"]
    if not any(str(c.attrGet("src") or "").startswith(UPLOAD_SCHEME) for c in images):
        return block("paragraph", _text_of(node))
    found: list[Block] = []
    run: list[SyntaxTreeNode] = []
    for inline in node.children:
        for child in inline.children:
            src = str(child.attrGet("src") or "") if child.type == "image" else ""
            if not src.startswith(UPLOAD_SCHEME):
                run.append(child)
                continue
            found += _text_run(run)
            run = []
            found.append(image(src.removeprefix(UPLOAD_SCHEME), str(child.attrGet("title") or "")))
    return found + _text_run(run)


def _text_run(nodes: list[SyntaxTreeNode]) -> list[Block]:
    while nodes and nodes[0].type in ("softbreak", "hardbreak"):
        nodes = nodes[1:]
    while nodes and nodes[-1].type in ("softbreak", "hardbreak"):
        nodes = nodes[:-1]
    text = _inline(nodes, _PLAIN)
    if not any(item["text"]["content"].strip() for item in text):
        return []
    return block("paragraph", text)


def _text_of(node: SyntaxTreeNode) -> RichText:
    """The rich text of a node holding one inline node (a paragraph, heading or cell)."""
    return [i for inline in node.children for i in _inline(inline.children, _PLAIN)]


def _container(kind: TextKind, node: SyntaxTreeNode, shift: int, level: int) -> list[Block]:
    """A list item or quote: its first paragraph is its text, the rest its children, or,
    on the last level kept nested, its siblings that follow it."""
    inner = node.children
    text: RichText = []
    if inner and inner[0].type == "paragraph":
        text, inner = _text_of(inner[0]), inner[1:]
    made = block(kind, text)
    nested = _blocks(inner, shift=shift, level=level + 1)
    if not nested:
        return made
    if level + 1 < MAX_NESTING:
        return [*made[:-1], _with_children(made[-1], nested)]
    return made + nested


def _table(node: SyntaxTreeNode) -> Block:
    """A GitHub table: its header is the table's column header; short rows are padded."""
    rows = [
        [_cell(cell) for cell in row.children] for part in node.children for row in part.children
    ]
    width = max(len(row) for row in rows)
    made = _new(
        "table",
        TableBody(
            table_width=width,
            has_column_header=node.children[0].type == "thead",
            has_row_header=False,
        ),
    )
    cells = [row + [[] for _ in range(width - len(row))] for row in rows]
    return _with_children(made, [_new("table_row", TableRowBody(cells=c)) for c in cells])


def _cell(node: SyntaxTreeNode) -> RichText:
    """A cell's rich text; one with more items than Notion takes becomes plain text (cut
    at 100 items of 2,000 units: a cell cannot be split the way a paragraph is)."""
    text = _text_of(node)
    if len(text) <= MAX_RICH_TEXT:
        return text
    return plain("".join(item["text"]["content"] for item in text))[:MAX_RICH_TEXT]


def _language(info: str) -> str:
    tag = info.split()[0].lower() if info.strip() else ""
    return _LANGUAGES.get(tag, "plain text")


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
    body = block_[block_["type"]]
    return body.get("children", []) if "children" in body else []


def _with_children(block_: Block, children: list[Block]) -> Block:
    """A copy of ``block_`` with ``children`` (none: no ``children`` key)."""
    kind = block_["type"]
    body = block_[kind]
    new: TextBody | TableBody
    if "table_width" in body or ("rich_text" in body and "language" not in body):
        new = body.copy()
    elif children:
        raise ValueError(f"a {kind} block takes no children")
    else:
        return block_
    if children:
        new["children"] = children
    else:
        new.pop("children", None)
    made = block_.copy()
    made[kind] = new
    return made


def _trim(block_: Block) -> tuple[Block, list[Block]]:
    """The block with as many children as fit one request, and the children left over.

    Children are kept up to the first that has children of its own (it needs an id of its
    own to take them, and so goes in a later request), 100 at most, and within the bytes
    one request takes (one at least, so that a table is never sent without a row).
    """
    children = _children(block_)
    if not children:
        return block_, []
    keep: list[Block] = []
    weight = size(_with_children(block_, []))
    for child in children[:MAX_CHILDREN]:
        if _children(child):
            break
        weight += size(child)
        if weight > MAX_REQUEST_BYTES and keep:
            break
        keep.append(child)
    return _with_children(block_, keep), children[len(keep) :]

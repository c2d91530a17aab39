"""Markdown to Notion blocks, cut to the API's limits, and the request pacing."""

from __future__ import annotations

from coauthor.export import notion_blocks as nb
from coauthor.export.notion import RateLimiter, _retry_after


def kinds(blocks: list[nb.Block]) -> list[str]:
    return [b["type"] for b in blocks]


def test_chunks_count_utf16_units_like_notion() -> None:
    assert nb.chunks("a" * 4001) == ["a" * 2000, "a" * 2000, "a"]
    pieces = nb.chunks("🎲" * 1001)  # two units each
    assert [len(p) for p in pieces] == [1000, 1]
    assert nb.chunks("") == []


def test_inline_markdown_becomes_annotated_rich_text() -> None:
    items = nb.rich_text("See [docs](https://x.org/a), **bold**, `code`, _it_ and [rel](a/b).")
    assert [i["text"]["content"] for i in items] == [
        "See ",
        "docs",
        ", ",
        "bold",
        ", ",
        "code",
        ", ",
        "it",
        " and ",
        "[rel](a/b)",  # Notion refuses relative links: kept as text
        ".",
    ]
    assert items[1]["text"]["link"] == {"url": "https://x.org/a"}
    assert items[3]["annotations"] == {"bold": True}
    assert items[5]["annotations"] == {"code": True}
    assert items[7]["annotations"] == {"italic": True}
    assert "link" not in items[9]["text"]


def test_markdown_blocks() -> None:
    markdown = "# Title\n\nOne\nparagraph.\n\n- a\n* b\n1. first\n> quoted\n```py\nx = 1\n```\n"
    blocks = nb.blocks(markdown, shift=1)
    assert kinds(blocks) == [
        "heading_2",
        "paragraph",
        "bulleted_list_item",
        "bulleted_list_item",
        "numbered_list_item",
        "quote",
        "code",
    ]
    assert blocks[1]["paragraph"]["rich_text"][0]["text"]["content"] == "One\nparagraph."
    assert blocks[-1]["code"] == {
        "rich_text": [{"type": "text", "text": {"content": "x = 1"}}],
        "language": "python",
    }
    assert nb.blocks("#### deep", shift=2)[0]["type"] == "heading_3"


def test_a_block_with_more_than_100_items_is_split() -> None:
    text = "x" * (nb.MAX_TEXT * 150)
    blocks = nb.block("paragraph", nb.plain(text))
    assert [len(b["paragraph"]["rich_text"]) for b in blocks] == [100, 50]


def test_batches_respect_children_block_and_byte_limits() -> None:
    leaves = nb.blocks("\n\n".join(f"p{n}" for n in range(250)))
    batches = list(nb.batches(leaves))
    assert [len(sent) for sent, _ in batches] == [100, 100, 50]

    toggles = [nb.toggle(f"t{n}", nb.blocks("\n\n".join("c" * 10 for _ in range(150))))
               for n in range(12)]  # fmt: skip
    batches = list(nb.batches(toggles))
    for sent, later in batches:
        inline = sum(1 + len(b["toggle"]["children"]) for b in sent)
        assert inline <= nb.MAX_REQUEST_BLOCKS
        assert all(len(b["toggle"]["children"]) == 100 for b in sent)
        assert all(len(rest) == 50 for rest in later)
    assert sum(len(sent) for sent, _ in batches) == 12

    heavy = [nb.block("code", nb.plain("y" * 190_000))[0] for _ in range(5)]
    batches = list(nb.batches(heavy))
    assert all(sum(nb.size(b) for b in sent) <= nb.MAX_REQUEST_BYTES for sent, _ in batches)
    assert sum(len(sent) for sent, _ in batches) == 5


def test_the_limiter_spaces_calls_and_retry_after_is_honoured() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(3.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        limiter.wait()
    assert [round(s, 3) for s in slept] == [0.333, 0.333, 0.333]
    assert _retry_after("2", 0) == 2.0 and _retry_after(None, 3) == 8.0
    assert _retry_after("soon", 0) == 1.0 and _retry_after("9999", 0) == 60.0

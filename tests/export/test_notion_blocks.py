"""Markdown to Notion blocks, cut to the API's limits, and the request pacing."""

from __future__ import annotations

from typing import Any

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


def contents(blocks: list[nb.Block]) -> list[str]:
    return ["".join(i["text"]["content"] for i in body(b)["rich_text"]) for b in blocks]


def body(block: nb.Block) -> Any:
    return block[block["type"]]


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_headings_of_each_level_moved_down_and_capped_at_three() -> None:
    markdown = "\n\n".join(f"{'#' * n} H{n}" for n in range(1, 7)) + "\n\nSetext\n======\n"
    assert kinds(nb.blocks(markdown)) == [
        *("heading_1", "heading_2", "heading_3", "heading_3", "heading_3", "heading_3"),
        "heading_1",
    ]
    assert kinds(nb.blocks(markdown, shift=1))[:3] == ["heading_2", "heading_3", "heading_3"]
    assert contents(nb.blocks(markdown)) == ["H1", "H2", "H3", "H4", "H5", "H6", "Setext"]
    [title] = nb.blocks("## The `mean` of **groups**")
    assert [i.get("annotations") for i in title["heading_2"]["rich_text"]] == [
        None,
        {"code": True},
        None,
        {"bold": True},
    ]
    assert nb.heading("Tests", 7) == nb.blocks("### Tests")


def test_bold_italic_strikethrough_inline_code_and_links() -> None:
    items = nb.rich_text("**b** *i* _j_ ***bi*** ~~s~~ `x = *1*` [a **b** `c`](https://x.org)")
    styled = [
        (i["text"]["content"], i.get("annotations", {}))
        for i in items
        if i["text"]["content"].strip()
    ]
    assert styled == [
        ("b", {"bold": True}),
        ("i", {"italic": True}),
        ("j", {"italic": True}),
        ("bi", {"bold": True, "italic": True}),
        ("s", {"strikethrough": True}),
        ("x = *1*", {"code": True}),  # no marks inside code
        ("a ", {}),
        ("b", {"bold": True}),
        ("c", {"code": True}),
    ]
    label = items[-4:]  # a link whose label has bold and code: every piece carries the link
    assert all(i["text"]["link"] == {"url": "https://x.org"} for i in label)
    assert "".join(i["text"]["content"] for i in label) == "a b c"
    unlinked = nb.rich_text("[see **this**](docs/a.md) or <https://x.org/b> or snake_case_name")
    assert [(i["text"]["content"], i.get("annotations")) for i in unlinked[:3]] == [
        ("[see ", None),
        ("this", {"bold": True}),
        ("](docs/a.md)", None),
    ]
    assert [i["text"].get("link") for i in unlinked] == [None] * 4 + [
        {"url": "https://x.org/b"},
        None,
    ]
    assert unlinked[-1]["text"]["content"] == " or snake_case_name"
    assert nb.rich_text("<b>raw</b> \\*stars\\*") == nb.plain("<b>raw</b> *stars*")


def test_nested_lists_are_children_two_levels_deep_and_deeper_levels_flatten() -> None:
    markdown = (
        "1. first\n"
        "   - bullet in numbered\n"
        "     1. third level\n"
        "        - fourth level\n"
        "   - second bullet\n"
        "2. second\n"
        "\n"
        "- bullet\n"
        "  1. numbered in bullet\n"
    )
    found = nb.blocks(markdown)
    assert kinds(found) == ["numbered_list_item", "numbered_list_item", "bulleted_list_item"]
    assert contents(found) == ["first", "second", "bullet"]
    first = body(found[0])["children"]
    assert kinds(first) == [
        "bulleted_list_item",
        "numbered_list_item",  # the third level follows its parent, on the second level
        "bulleted_list_item",
        "bulleted_list_item",
    ]
    assert contents(first) == ["bullet in numbered", "third level", "fourth level", "second bullet"]
    assert all("children" not in body(b) for b in first)
    assert "children" not in body(found[1])
    [inner] = body(found[2])["children"]
    assert inner["type"] == "numbered_list_item" and contents([inner]) == ["numbered in bullet"]

    loose = nb.blocks("- item\n\n  more text\n\n  ```py\n  x = 1\n  ```\n")
    assert kinds(body(loose[0])["children"]) == ["paragraph", "code"]


def test_code_fences_with_and_without_a_language() -> None:
    markdown = (
        "```python\ndef f():\n    return 1\n```\n\n"
        "```\nplain\n```\n\n"
        "~~~js\nlet x\n~~~\n\n"
        "```Py title=x\ny\n```\n\n"
        "```cobol\nMOVE\n```\n\n"
        "    indented\n\n"
        "```\n```\n"
    )
    found = nb.blocks(markdown)
    assert kinds(found) == ["code"] * 6  # the empty fence is no block
    assert [body(b)["language"] for b in found] == [
        "python",
        "plain text",
        "javascript",
        "python",
        "plain text",
        "plain text",
    ]
    assert contents(found) == ["def f():\n    return 1", "plain", "let x", "y", "MOVE", "indented"]
    assert nb.code("x = 1") == nb.blocks("```py\nx = 1\n```")
    assert nb.code("   \n") == []


def test_quotes_rules_and_raw_html() -> None:
    found = nb.blocks("> one\n> line\n>\n> - point\n\n---\n\n<div>kept</div>\n")
    assert kinds(found) == ["quote", "divider", "paragraph"]
    assert contents(found[:1]) == ["one\nline"]
    assert kinds(body(found[0])["children"]) == ["bulleted_list_item"]
    assert found[1] == {"object": "block", "type": "divider", "divider": {}}
    assert contents(found[2:]) == ["<div>kept</div>"]


def test_tables_become_table_blocks_with_rows() -> None:
    markdown = (
        "| Metric | Formula |\n"
        "|---|:---:|\n"
        "| **uplift** | `mean(t) - mean(c)` |\n"
        "| [lift](https://x.org) |\n"
    )
    [table] = nb.blocks(markdown)
    assert table["type"] == "table"
    rows = table["table"].pop("children")
    assert table["table"] == {"table_width": 2, "has_column_header": True, "has_row_header": False}
    assert kinds(rows) == ["table_row"] * 3
    cells = [row["table_row"]["cells"] for row in rows]
    assert [["".join(i["text"]["content"] for i in cell) for cell in row] for row in cells] == [
        ["Metric", "Formula"],
        ["uplift", "mean(t) - mean(c)"],
        ["lift", ""],  # a short row is padded to the table's width
    ]
    assert cells[1][0][0]["annotations"] == {"bold": True}
    assert cells[1][1][0]["annotations"] == {"code": True}
    assert cells[2][0][0]["text"]["link"] == {"url": "https://x.org"}

    big = "| n |\n|---|\n" + "".join(f"| {n} |\n" for n in range(150))
    [(sent, later)] = list(nb.batches(nb.blocks(big)))
    assert len(sent[0]["table"]["children"]) == 100  # header and 99 rows; the rest later
    assert len(later[0]) == 51 and kinds(later[0]) == ["table_row"] * 51


def test_a_paragraph_over_2000_units_is_cut_and_astral_characters_count_two() -> None:
    text = "x" * 1999 + "🎲" + "y" * 2500 + "🎲" * 1500
    [paragraph] = nb.blocks(text)
    pieces = [i["text"]["content"] for i in paragraph["paragraph"]["rich_text"]]
    assert "".join(pieces) == text
    assert [units(p) for p in pieces] == [1999, 2000, 2000, 1502]  # the die never splits
    assert pieces[1].startswith("🎲") and max(units(p) for p in pieces) <= nb.MAX_TEXT
    bold = nb.rich_text("**" + "é" * 4500 + "**")
    assert [len(i["text"]["content"]) for i in bold] == [2000, 2000, 500]
    assert all(i["annotations"] == {"bold": True} for i in bold)


def test_more_than_100_blocks_and_children_are_sent_in_pieces() -> None:
    markdown = "\n".join(f"- item {n}" for n in range(230))
    found = nb.blocks(markdown)
    assert len(found) == 230
    assert [len(sent) for sent, _ in nb.batches(found)] == [100, 100, 30]

    nested = nb.blocks("- parent\n" + "".join(f"  - child {n}\n" for n in range(150)))
    [(sent, later)] = list(nb.batches(nested))
    assert len(sent[0]["bulleted_list_item"]["children"]) == 100 and len(later[0]) == 50


def test_a_child_with_children_waits_for_its_parents_id() -> None:
    step = nb.toggle(
        "Step 1",
        nb.blocks("Intro.\n\n- a\n  - a.1\n- b\n\n| x |\n|---|\n| 1 |\n\nOutro."),
    )
    [(sent, later)] = list(nb.batches([step]))
    assert contents(body(sent[0])["children"]) == ["Intro."]
    assert kinds(later[0]) == ["bulleted_list_item", "bulleted_list_item", "table", "paragraph"]
    [(sent, later)] = list(nb.batches(later[0]))  # the request to the toggle's id
    children = [len(body(b).get("children", [])) for b in sent]
    assert children == [1, 0, 2, 0]  # a.1; the table's header and its row
    assert later == [[], [], [], []]
    assert all("children" not in body(c) for b in sent for c in body(b).get("children", []))
    empty = nb.toggle("Step 2", nb.blocks("- a\n  - a.1\n"))
    [([shell], [rest])] = list(nb.batches([empty]))
    assert "children" not in shell["toggle"] and kinds(rest) == ["bulleted_list_item"]


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


def test_an_uploaded_image_becomes_an_image_block_between_its_text() -> None:
    markdown = (
        'Before ![alt](notion-file-upload:u-1 "The caption") after.\n\n'
        "![only](notion-file-upload:u-2)\n\n"
        "- item ![in a list](notion-file-upload:u-3)\n\n"
        "![external](https://example.org/x.png)"
    )
    found = nb.blocks(markdown)
    assert kinds(found) == [
        "paragraph",
        "image",
        "paragraph",
        "image",
        "bulleted_list_item",
        "paragraph",
    ]
    assert found[1]["image"] == {
        "type": "file_upload",
        "file_upload": {"id": "u-1"},
        "caption": [{"type": "text", "text": {"content": "The caption"}}],
    }
    assert found[3]["image"]["caption"] == [] and found[3]["image"]["file_upload"]["id"] == "u-2"
    texts = [
        "".join(i["text"]["content"] for i in b[b["type"]].get("rich_text", [])) for b in found
    ]
    assert texts[0] == "Before " and texts[2] == " after."
    assert texts[4] == "item in a list"  # no image block can sit in a list item: its alt text
    assert found[5]["paragraph"]["rich_text"][0]["text"]["link"] == {
        "url": "https://example.org/x.png"
    }  # any other image stays its alt text linked to the image, as before

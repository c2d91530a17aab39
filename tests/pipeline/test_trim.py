"""Shortening text to a budget: short texts keep their length, cuts land on line ends."""

from __future__ import annotations

from coauthor.pipeline.trim import cut, fit_items, fit_texts, shares


def test_shares_keep_short_texts_whole() -> None:
    assert shares([10, 500, 1000], 310) == [10, 150, 150]
    assert shares([10, 20], 100) == [10, 20]
    assert sum(shares([400, 400, 400], 100)) <= 100


def test_code_is_cut_at_a_line_end() -> None:
    code = "\n".join(f"line_{n} = {n}" for n in range(100))
    short = cut(code, 80, code=True)
    assert len(short) <= 80 and short.endswith("\n# …")
    assert all(line.startswith(("line_", "# …")) for line in short.splitlines())


def test_fit_texts_respects_the_limit() -> None:
    texts = ["word " * 300, "short", "another " * 200]
    fitted = fit_texts(texts, 400)
    assert sum(map(len, fitted)) <= 400 and fitted[1] == "short"


def test_fit_items_keeps_the_first_item_even_when_alone_it_is_too_long() -> None:
    items = [("Title one", "detail " * 50), ("Title two", "more")]
    kept = fit_items(items, 60)
    assert len(kept) == 1 and kept[0][0] == "Title one"
    assert sum(len(t) + len(d) for t, d in kept) <= 60
    assert fit_items(items, 10_000) == items

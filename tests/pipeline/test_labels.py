from __future__ import annotations

from coauthor.pipeline.labels import one_line


def test_short_text_stays_as_it_is_on_one_line() -> None:
    assert one_line("step 2:  regenerated\nthe story") == "step 2: regenerated the story"


def test_long_text_is_cut_at_a_word_with_an_ellipsis() -> None:
    text = "Traceback (most recent call last): " + "word " * 60
    cut = one_line(text, limit=80)
    assert len(cut) <= 80 and cut.endswith("…") and "\n" not in cut
    assert cut.removesuffix("…").endswith("word")


def test_one_long_word_is_cut_inside_it() -> None:
    cut = one_line("x" * 300)
    assert len(cut) == 120 and cut.endswith("…")

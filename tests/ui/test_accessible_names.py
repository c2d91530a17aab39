"""Every button in the studio has a name a screen reader can say: a text label, or a
``help`` text where the label is only an icon."""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).parents[2] / "src" / "coauthor" / "ui"
BUTTONS = {"button", "download_button", "form_submit_button"}


def unnamed(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in BUTTONS or not node.args:
            continue
        label = node.args[0]
        empty = isinstance(label, ast.Constant) and not str(label.value).strip()
        if empty and not any(k.arg == "help" for k in node.keywords):
            found.append(f"{path.name}:{node.lineno}")
    return found


def test_every_button_has_a_text_label_or_a_help_text() -> None:
    files = sorted(UI.rglob("*.py"))
    assert files
    assert [where for path in files for where in unnamed(path)] == []


def test_the_check_finds_an_icon_only_button(tmp_path: Path) -> None:
    source = tmp_path / "page.py"
    source.write_text('st.button("", icon=":material/delete:")\nst.button("Save")\n')
    assert unnamed(source) == ["page.py:1"]

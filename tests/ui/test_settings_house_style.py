"""The house style on the Settings page: fields, a live preview, versions, reset."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from coauthor.figures import default_style, house_style
from coauthor.store import Store


def htmls(app: AppTest) -> list[str]:
    return [str(e.proto.body) for e in app.get("html")]


def texts(app: AppTest, kind: str) -> list[str]:
    return [str(e.value) for e in getattr(app, kind)]


def button(app: AppTest, label: str) -> AppTest:
    found = [b for b in app.button if b.label == label]
    assert found, [b.label for b in app.button]
    return found[0].click().run()


def test_a_style_is_previewed_saved_and_reset(
    open_page: Callable[..., AppTest], store: Store
) -> None:
    app = open_page("settings")
    assert not app.exception, [e.value for e in app.exception]
    previews = [h for h in htmls(app) if "Preview: a" in h]
    assert len(previews) == 2 and all("data:image/png;base64," in h for h in previews)
    app.text_input(key="hs_pal_0").input("#123456, #654321, #abcdef").run()
    changed = [h for h in htmls(app) if "Preview: a chart" in h]
    assert changed and changed != [h for h in previews if "Preview: a chart" in h]
    app = button(app, "Save house style")
    assert "House style saved as version 1." in texts(app, "success")
    assert house_style(store).palette == ["#123456", "#654321", "#abcdef"]
    app = button(app, "Reset house style to default")
    assert house_style(store) == default_style()
    assert "House style reset to the default (version 2)." in texts(app, "success")


def test_an_invalid_style_is_an_error_and_cannot_be_saved(
    open_page: Callable[..., AppTest], store: Store
) -> None:
    app = open_page("settings")
    app.text_input(key="hs_pal_0").input("red, blue").run()
    assert any("The style is not valid" in t for t in texts(app, "error"))
    save = next(b for b in app.button if b.label == "Save house style")
    assert save.disabled
    assert store.document("house-style") is None

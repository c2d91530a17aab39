"""Settings: the studio's model and limits persist; keys are only said to be set."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from coauthor.pipeline.context import MASTER
from coauthor.pipeline.studio import STUDIO_SETTINGS, studio_settings
from coauthor.prompts import default_master
from coauthor.settings import Settings
from coauthor.store import Store


def texts(app: AppTest, kind: str) -> list[str]:
    return [str(e.value) for e in getattr(app, kind)]


def everything(app: AppTest) -> str:
    return "\n".join(str(getattr(node, "value", "")) for node in app.main)


def test_model_and_limits_are_saved_for_the_studio_and_its_workers(
    open_page: Callable[..., AppTest], store: Store
) -> None:
    app = open_page("settings")
    assert not app.exception
    assert "In use: `scripted`" in texts(app, "caption")
    app.radio[0].set_value("openai").run()
    app.text_input[0].input("qwen2.5:7b")
    app.text_input[1].input("http://localhost:11434/v1")
    app.number_input[0].set_value(1)
    app.number_input[2].set_value(1024)
    app = app.button[0].click().run()  # the form's submit button
    assert "Settings saved; new runs use them." in texts(app, "success")
    merged = studio_settings(store, Settings())
    assert merged.model == "openai:qwen2.5:7b@http://localhost:11434/v1"
    assert merged.repair_rounds == 1 and merged.sandbox_memory_mb == 1024
    assert store.document(STUDIO_SETTINGS) is not None
    assert "In use: `openai:qwen2.5:7b@http://localhost:11434/v1`" in texts(app, "caption")


def test_invalid_settings_are_a_message(open_page: Callable[..., AppTest], store: Store) -> None:
    app = open_page("settings")
    app.radio[0].set_value("llamacpp").run()
    app.text_input[0].input("local")
    app = app.button[0].click().run()
    assert not app.exception
    assert any("needs its URL" in t for t in texts(app, "error")), texts(app, "error")
    assert store.document(STUDIO_SETTINGS) is None


def test_keys_are_shown_as_set_never_displayed(
    open_page: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret-value")
    monkeypatch.delenv("NOTION_TOKEN", raising=False)
    app = open_page("settings")
    page = everything(app)
    assert "`OPENAI_API_KEY`: :green[set]" in page
    assert "`NOTION_TOKEN`: :gray[not set]" in page
    assert "sk-very-secret-value" not in page
    assert all("sk-very-secret-value" not in str(w.value) for w in app.text_input)


def test_master_document_is_versioned_and_can_be_reset(
    open_page: Callable[..., AppTest], store: Store
) -> None:
    app = open_page("settings")
    app.text_area(key="master_0").input("Our team: every step has three tests.")
    app.text_input(key="master_note").input("short version")
    app = next(b for b in app.button if b.label == "Save master document").click().run()
    assert "Master document saved as version 1." in texts(app, "success")
    assert app.text_area(key="master_1").value == "Our team: every step has three tests."

    app = next(b for b in app.button if b.label == "Reset to default").click().run()
    versions = store.document_versions(MASTER)
    assert [v.number for v in versions] == [1, 2] and versions[1].text == default_master()
    assert versions[0].note == "short version"
    assert app.text_area(key="master_2").value == default_master()


def test_fields_that_do_not_apply_are_hidden_and_seconds_are_whole(
    open_page: Callable[..., AppTest],
) -> None:
    app = open_page("settings")
    assert app.radio[0].value == "local"
    model_and_master = [w for w in app.text_input if not str(w.key or "").startswith("hs_")]
    assert len(model_and_master) == 2  # model name and master note: no server URL
    assert any("has no server URL" in t for t in texts(app, "caption"))
    wall = app.number_input[3]
    assert wall.label == "Wall time (s)" and isinstance(wall.value, int)
    app = app.radio[0].set_value("openai").run()
    assert any(w.label.startswith("Server URL") for w in app.text_input)


def test_the_real_openai_without_a_key_says_the_key_is_missing(
    open_page: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("OPENAI_API_KEY", "COAUTHOR_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COAUTHOR_MODEL", "openai:gpt-4o-mini")
    app = open_page("settings")
    assert any("OPENAI_API_KEY is not set" in t for t in texts(app, "warning"))

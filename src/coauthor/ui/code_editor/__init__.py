"""The studio's code editor: CodeMirror 6 (line numbers, Python highlighting) as a
Streamlit component whose frontend is one prebuilt bundle in ``static/``.

The bundle is built from ``frontend/code_editor`` (``npm ci && npm run build``) and
shipped as package data, so installing the studio needs no build step; the page it
serves loads nothing from the network (no fonts, no CDN scripts, no workers).

The text as edited lives in ``st.session_state[key]`` (a plain value, not a widget's),
so it survives a visit to another page like the other fields of a step. Streamlit's
AppTest cannot drive custom components: with ``COAUTHOR_CODE_EDITOR=textarea`` the
editor is a plain text area under the same key, which is what the page tests use.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

STATIC = Path(__file__).parent / "static"
ENV = "COAUTHOR_CODE_EDITOR"
TEXTAREA = "textarea"

_editor = components.declare_component("coauthor_code_editor", path=str(STATIC))


def plain() -> bool:
    """Whether code is edited in plain text areas (``COAUTHOR_CODE_EDITOR=textarea``)."""
    return os.environ.get(ENV, "").strip().lower() == TEXTAREA


def component_key(key: str) -> str:
    """The key of the component that edits the text kept under ``key``."""
    return f"cm_{key}"


def keep(key: str) -> None:
    """The component's text, once it sends one, becomes the text kept under ``key``
    (before the page is drawn again, so everything on it reads the edit)."""
    sent = st.session_state.get(component_key(key))
    if isinstance(sent, str):
        st.session_state[key] = sent


def code_editor(label: str, *, key: str, value: str, height: int = 300) -> str:
    """Edit ``value`` (the saved text; an edit kept under ``key`` wins) and return the
    text as edited."""
    if plain():
        return str(
            st.text_area(label, value=value, key=key, height=height, persist_state="session")
        )
    if not isinstance(st.session_state.get(key), str):
        st.session_state[key] = value
    text = str(st.session_state[key])
    st.caption(label)
    _editor(
        value=text,
        label=label,
        height=height,
        key=component_key(key),
        default=None,
        on_change=partial(keep, key),
    )
    return text

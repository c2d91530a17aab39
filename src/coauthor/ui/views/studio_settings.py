"""Settings: the model, repair rounds, sandbox limits, the master document and the house
style of figures.

API keys are never entered or shown here: they come from the environment and
the page only says whether each one is set.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import streamlit as st

from coauthor.llm.registry import missing_key, split_model_url
from coauthor.pipeline.context import MASTER, master_text
from coauthor.pipeline.labels import one_line
from coauthor.pipeline.studio import SECRET_VARIABLES, save_studio_settings
from coauthor.prompts import default_master
from coauthor.settings import Settings
from coauthor.ui import common, house_style, resources

BACKENDS = {
    "local": "Embedded model (runs here)",
    "openai": "OpenAI or an OpenAI-compatible server",
    "llamacpp": "External llama.cpp server",
}


def main() -> None:
    st.title("Settings")
    config = resources.settings()
    st.subheader("Model")
    st.caption(f"In use: `{config.model}`")
    problem = missing_key(config.model)
    if problem is not None:
        st.warning(f"The model in use cannot work: {problem}.", icon=":material/key_off:")
    kind = backend(config)
    with st.form("studio_settings"):
        spec = model_fields(config, kind=kind)
        limits = limit_fields(config)
        if st.form_submit_button("Save settings", type="primary"):
            with common.errors("save the settings"):
                save_studio_settings(
                    resources.store(),
                    resources.base_settings(),
                    values={"model": spec(), **limits},
                )
                common.flash("Settings saved; new runs use them.")
                st.rerun()
    keys()
    master(config)
    house_style.section()


def backend(config: Settings) -> str:
    """The backend picked; outside the form, so the fields that apply follow at once."""
    prefix = config.model.partition(":")[0]
    kinds = list(BACKENDS)
    return str(
        st.radio(
            "Backend",
            kinds,
            index=kinds.index(prefix) if prefix in kinds else 0,
            format_func=BACKENDS.__getitem__,
            horizontal=True,
            key="settings_backend",
        )
    )


def model_fields(config: Settings, *, kind: str) -> Callable[[], str]:
    prefix, _, argument = config.model.partition(":")
    name, url = argument, ""
    if prefix in ("openai", "llamacpp") and argument:
        name, found = split_model_url(argument, config.model)
        url = found or ""
    model_name = st.text_input(
        "Model name (or a .gguf path for the embedded backend; empty: the shipped model)",
        value=name,
    )
    server = ""
    if kind == "local":
        st.caption("The embedded model runs inside the studio: it has no server URL or key.")
    else:
        server = st.text_input(
            "Server URL (OpenAI-compatible; empty for api.openai.com)",
            value=url or "",
            placeholder="http://localhost:8000/v1",
        )

    def spec() -> str:
        return model_spec(kind, model_name.strip(), server.strip())

    return spec


def model_spec(kind: str, name: str, url: str) -> str:
    """The one-string model spec the registry reads (``openai:NAME@URL``)."""
    if kind == "local":
        return f"local:{name}" if name else "local"
    if not name:
        raise ValueError("give the model name, e.g. gpt-4o-mini")
    if kind == "llamacpp" and not url:
        raise ValueError("an external llama.cpp server needs its URL")
    return f"{kind}:{name}@{url}" if url else f"{kind}:{name}"


def limit_fields(config: Settings) -> dict[str, float | int]:
    st.subheader("Verification")
    rounds = st.number_input(
        "Repair rounds (a failing step goes back to the model this many times)",
        min_value=0,
        max_value=5,
        value=config.repair_rounds,
    )
    cols = st.columns(3)
    cpu = cols[0].number_input("CPU seconds", min_value=1, value=config.sandbox_cpu_seconds)
    memory = cols[1].number_input("Memory (MB)", min_value=256, value=config.sandbox_memory_mb)
    wall = cols[2].number_input(
        "Wall time (s)", min_value=1, value=round(config.sandbox_wall_seconds), step=1
    )
    return {
        "repair_rounds": int(rounds),
        "sandbox_cpu_seconds": int(cpu),
        "sandbox_memory_mb": int(memory),
        "sandbox_wall_seconds": float(wall),
    }


def keys() -> None:
    st.subheader("API keys")
    st.caption("Read from the environment only; never stored or shown.")
    for name in SECRET_VARIABLES:
        state = ":green[set]" if os.environ.get(name, "").strip() else ":gray[not set]"
        st.markdown(f"- `{name}`: {state}")


def master(config: Settings) -> None:
    st.subheader("Master document")
    st.caption("The team's principles; part of every prompt. Every save is a new version.")
    db = resources.store()
    versions = db.document_versions(MASTER)
    current = master_text(db, config)
    shown = f"version {versions[-1].number}" if versions else "the default"
    text = st.text_area(
        f"Master document ({shown})", value=current, height=400, key=f"master_{len(versions)}"
    )
    note = st.text_input("Note for this version", key="master_note", placeholder="optional")
    row = st.columns(2)
    if row[0].button("Save master document", type="primary"):
        if not text.strip():
            raise ValueError("the master document cannot be empty")
        if text == current:
            st.info("Nothing to save: the text is the one in force.")
        else:
            saved = db.save_document(MASTER, text, note=note)
            common.flash(f"Master document saved as version {saved.number}.")
            st.rerun()
    if row[1].button("Reset to default"):
        if current == default_master():
            st.info("The master document is already the default.")
        else:
            saved = db.save_document(MASTER, default_master(), note="reset to the default")
            common.flash(f"Master document reset to the default (version {saved.number}).")
            st.rerun()
    if versions:
        with st.expander(f"Versions ({len(versions)})"):
            number = st.selectbox(
                "Version",
                [v.number for v in reversed(versions)],
                format_func=lambda n: one_line(f"version {n}: {versions[n - 1].note or 'no note'}"),
            )
            st.code(versions[number - 1].text, language="markdown")


common.page(main)

"""Start a batch from an uploaded backlog and follow it (the Queue and Library pages)."""

from __future__ import annotations

import streamlit as st

from coauthor.pipeline.batch import BacklogError, parse_backlog
from coauthor.queue.batch import batch_state, start_batch
from coauthor.ui import common, resources


def section() -> None:
    st.subheader("Batch from a backlog")
    st.caption(
        "A CSV or JSON Lines file, one idea per row: idea, and optionally domain, "
        "difficulty, type, steps, language, lessons (titles separated by ;)."
    )
    upload = st.file_uploader("Backlog", type=["csv", "jsonl"], key="backlog")
    verify = st.checkbox("Verify every step", value=True, key="batch_verify")
    if upload is not None and st.button("Start batch", type="primary", key="start_batch"):
        kind = upload.name.rsplit(".", 1)[-1].lower()
        try:
            backlog = parse_backlog(upload.getvalue(), kind=kind)
        except BacklogError as exc:
            st.error(str(exc), icon=":material/error:")
            return
        config = resources.settings()
        started = start_batch(
            resources.queue(), resources.store(), backlog, model=config.model, verify=verify
        )
        resources.ensure_local_worker(config)
        st.session_state.setdefault("batches", []).append(started.id)
        common.flash(f"Batch {started.id}: {len(started.runs)} ideas queued.", outcome="info")
        st.rerun()
    for batch_id in st.session_state.get("batches", []):
        state = batch_state(resources.queue(), resources.store(), batch_id)
        done, total = state.stages
        summary = ", ".join(f"{k} {v}" for k, v in state.summary().items() if v)
        st.progress(
            done / max(1, total),
            text=f"Batch {batch_id}: {state.tasks_done} of {len(state.items)} tasks; {summary}",
        )

"""Queue: every generation job, waiting, running (on which worker), finished or failed
with its reason; retry and cancel; a batch started from an uploaded backlog."""

from __future__ import annotations

import streamlit as st

from coauthor.pipeline.batch import BacklogError, parse_backlog
from coauthor.pipeline.labels import one_line
from coauthor.queue.batch import batch_state, start_batch
from coauthor.queue.jobs import QueuedJob, cancel_run, queue_jobs, retry_run
from coauthor.ui import common, resources

SHOWN = {
    "todo": "waiting",
    "doing": "running",
    "succeeded": "finished",
    "failed": "failed",
    "cancelled": "cancelled",
    "aborting": "stopping",
    "aborted": "stopped",
}


def main() -> None:
    st.title("Queue")
    common.page(body)


def body() -> None:
    jobs = queue_jobs(resources.queue())
    counts = {label: 0 for label in ("waiting", "running", "finished", "failed")}
    for job in jobs:
        label = SHOWN.get(job.status, job.status)
        if label in counts:
            counts[label] += 1
    cols = st.columns(len(counts))
    for col, (label, count) in zip(cols, counts.items(), strict=True):
        col.metric(label.capitalize(), count)
    if not jobs:
        st.info("No runs on the queue yet: start one on New task, or a batch below.")
    for job in jobs:
        row(job)
    batches()


def row(job: QueuedJob) -> None:
    store = resources.store()
    run = store.run(job.run_id)
    label = SHOWN.get(job.status, job.status)
    where = f" on {job.worker}" if job.status == "doing" and job.worker else ""
    origin = f"batch {job.batch}" if job.batch else (job.user or "author")
    with st.container(border=True):
        left, right = st.columns([5, 1])
        left.markdown(
            f"**Run {job.run_id}** · {label}{where} · {origin} · attempt {max(1, job.attempts)}  \n"
            f"{one_line(run.brief.idea, limit=100)}"
        )
        if job.status in ("failed", "cancelled", "aborted") or (
            job.status == "succeeded" and run.status in ("failed", "cancelled")
        ):
            left.error(f"Reason: {run.error or 'no reason recorded'}", icon=":material/error:")
            if right.button("Retry", key=f"retry_{job.id}", icon=":material/replay:"):
                retry_run(resources.queue(), store, job)
                common.flash(f"Run {run.id} is queued again; it resumes where it stopped.")
                st.rerun()
        elif job.status in ("todo", "doing") and right.button(
            "Cancel", key=f"cancel_{job.id}", icon=":material/stop_circle:"
        ):
            cancel_run(resources.queue(), store, run.id)
            common.flash(
                f"Run {run.id}: cancelled"
                + (
                    " before it started."
                    if job.status == "todo"
                    else "; it stops at its next stage."
                ),
                outcome="info",
            )
            st.rerun()


def batches() -> None:
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


main()

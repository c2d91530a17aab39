"""Queue: every generation job, waiting, running (on which worker), finished or failed
with its reason; retry and cancel; a batch started from an uploaded backlog."""

from __future__ import annotations

import streamlit as st

from coauthor.pipeline.labels import one_line
from coauthor.queue.jobs import QueuedJob, cancel_run, queue_jobs, retry_run
from coauthor.ui import batches, common, resources

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
    batches.section()


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


main()

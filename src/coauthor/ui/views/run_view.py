"""Run view: a generation run as it happens, polled from the store.

The worker is another process; this page only reads what it writes, so leaving,
reloading or closing the tab changes nothing about the run.
"""

from __future__ import annotations

import streamlit as st

from coauthor.pipeline.labels import one_line
from coauthor.pipeline.watch import RunState, run_state
from coauthor.store import NotFoundError
from coauthor.ui import common, resources
from coauthor.ui.verdict import verdict_summary

POLL_S = 1.0
RECENT = 15
DOING = {
    "lessons": "finding the lessons",
    "plan": "planning",
    "step": "writing step {step} of {total}",
    "verify": "verifying step {step} of {total} in the sandbox",
    "summary": "summarising step {step} of {total}",
}


def main() -> None:
    st.title("Run")
    run_id = common.query_id("run") or st.session_state.get("run_id")
    if run_id is None:
        pick_run()
        return
    try:
        first = run_state(resources.store(), int(run_id), job=resources.job_status(int(run_id)))
    except NotFoundError as exc:
        st.session_state.pop("run_id", None)
        st.error(common.message(exc))
        pick_run()
        return
    st.session_state["run_id"] = run_id
    if common.query_id("run") != run_id:
        st.query_params["run"] = str(run_id)
    actions(first)
    poll = POLL_S if first.active else None
    st.fragment(run_every=poll)(live)(int(run_id), was_active=first.active)
    with st.expander("Other runs"):
        pick_run(besides=int(run_id))


def live(run_id: int, *, was_active: bool) -> None:
    with common.errors():
        current = run_state(resources.store(), run_id, job=resources.job_status(run_id))
        if current.active != was_active:
            st.rerun()  # started or finished: redraw the page (and stop or start polling)
        header(current)
        body(current)


def header(current: RunState) -> None:
    run = current.run
    st.subheader(f"Run {run.id}: {one_line(run.brief.idea, limit=80)}")
    where = doing(current)
    if current.orphaned:
        st.warning(
            "The worker for this run stopped without finishing (it was killed or crashed). "
            "Resume continues from the last finished stage.",
            icon=":material/warning:",
        )
    elif run.status == "running":
        st.info(f"Running: {where}", icon=":material/hourglass_top:")
    elif run.status == "done":
        finished(current)
    else:
        st.error(f"Run {run.status}: {run.error or 'no reason recorded'}", icon=":material/error:")
    progress = current.progress
    done = f"{progress.stages_done} of {current.stages_expected} stages"
    st.progress(current.fraction, text=done)
    cols = st.columns(4)
    cols[0].metric("Elapsed", common.ago(current.elapsed_s))
    cols[1].metric("Tokens in", f"{progress.tokens_in:,}")
    cols[2].metric("Tokens out", f"{progress.tokens_out:,}")
    cols[3].metric("Model", run.model)


def finished(current: RunState) -> None:
    """A finished run as it is: every step verified, some not, or none checked."""
    task = current.run.task_id
    verdicts = current.progress.verdicts
    failing = sorted(n for n, verdict in verdicts.items() if not verdict.verified)
    if not verdicts:
        st.info(f"Finished: task {task} is in the library; its steps were not verified.")
    elif failing:
        steps = ", ".join(map(str, failing))
        st.warning(
            f"Finished with problems: {len(failing)} of {len(verdicts)} steps not verified "
            f"(step {steps}). Open the task to see why, then edit, re-verify or ask the "
            "copilot to repair them.",
            icon=":material/warning:",
        )
    else:
        st.success(
            f"Finished: all {len(verdicts)} steps verified; task {task} is in the library.",
            icon=":material/check:",
        )


def doing(current: RunState) -> str:
    """The stage in words: ``writing step 2 of 3``, ``step 1: repair round 1 of 2: ...``."""
    progress = current.progress
    if progress.stage == "repair":
        return f"step {progress.step}: {progress.detail}"
    template = DOING.get(progress.stage, progress.stage)
    return template.format(step=progress.step, total=progress.total)


def actions(current: RunState) -> None:
    """Outside the polling fragment: a change of state reruns the whole page anyway."""
    run = current.run
    if current.active:
        if st.button("Cancel run", icon=":material/stop_circle:", key=f"cancel_{run.id}"):
            resources.cancel(run.id)
            st.toast("Cancelling: the run stops at its next step boundary.")
    elif run.status == "done" and run.task_id is not None:
        if st.button("Open task", type="primary", icon=":material/edit:", key=f"open_{run.id}"):
            st.session_state["task_id"] = run.task_id
            st.switch_page(common.EDITOR, query_params={"task": str(run.task_id)})
    elif st.button("Resume run", type="primary", icon=":material/replay:", key=f"re_{run.id}"):
        db = resources.store()
        db.set_run_status(run.id, "running")
        resources.launch(resources.settings(), run.id)
        st.rerun()


def body(current: RunState) -> None:
    progress = current.progress
    if current.run.status == "running" and progress.text:
        st.caption("The model is writing:")
        st.code(progress.text[-3000:], language=None, wrap_lines=True)
    for number in sorted(progress.verdicts):
        verdict_summary(number, progress.verdicts[number])
    if progress.notes:
        with st.expander(f"Notes ({len(progress.notes)})"):
            for note in progress.notes:
                st.markdown(f"- {one_line(note)}")


def pick_run(*, besides: int | None = None) -> None:
    """Recent runs to open, other than the one on the page."""
    runs = [run for run in resources.store().list_runs() if run.id != besides][:RECENT]
    if not runs:
        st.info(f"No {'other ' if besides else ''}runs yet: start one on the New task page.")
        return
    for run in runs:
        row = st.columns([4, 1, 1])
        row[0].markdown(f"**Run {run.id}** · {run.status} · {one_line(run.brief.idea, limit=70)}")
        row[1].caption(run.created_at.strftime("%Y-%m-%d %H:%M"))
        if row[2].button("Show", key=f"show_run_{run.id}", help=f"Open run {run.id}"):
            st.session_state["run_id"] = run.id
            st.query_params["run"] = str(run.id)
            st.rerun()


common.page(main)

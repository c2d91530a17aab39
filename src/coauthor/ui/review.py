"""The task editor's review panel: status and moves, waivers, and the comment threads."""

from __future__ import annotations

import streamlit as st

from coauthor.schemas.team import (
    TRANSITIONS,
    Comment,
    ReviewMove,
    StepPart,
)
from coauthor.store import RevisionInfo
from coauthor.ui import common, resources

LABELS = {
    ReviewMove.submit: "Submit for review",
    ReviewMove.request_changes: "Request changes",
    ReviewMove.approve: "Approve",
    ReviewMove.reopen: "Reopen as draft",
}
WHOLE_STEP = "the whole step"


def review_panel(task_id: int, loaded: RevisionInfo) -> None:
    store = resources.store()
    state = store.review_state(task_id)
    approved = f" · approved revision: {state.approved_revision}" if state.approved_revision else ""
    st.markdown(f"**Status: {state.status.value}**{approved}")
    summary = store.review_summary(task_id)
    if summary.unverified_steps:
        st.caption(
            "Not verified and not waived: step "
            + ", ".join(map(str, summary.unverified_steps))
            + ". Submitting needs a reason for each."
        )
    waivers: dict[int, str] = {}
    if state.status.value in ("draft", "changes requested"):
        for step in summary.unverified_steps:
            reason = st.text_input(
                f"Why step {step} may go to review unverified",
                key=f"waive_{task_id}_{step}",
            )
            if reason.strip():
                waivers[step] = reason
    note = st.text_input("Note for the history", key=f"review_note_{task_id}")
    moves = [m for m, (starts, _, action) in TRANSITIONS.items() if state.status in starts]
    cols = st.columns(max(len(moves), 1))
    for col, move in zip(cols, moves, strict=False):
        allowed = store.may(TRANSITIONS[move][2])
        if col.button(LABELS[move], key=f"review_{move.value}_{task_id}", disabled=not allowed):
            with common.errors(LABELS[move].lower()):
                moved = store.move_review(task_id, move, note=note, waivers=waivers)
                common.flash(f"Task {task_id} is now {moved.status.value}.")
                st.rerun()
    st.divider()
    comments(task_id, loaded)


def comments(task_id: int, loaded: RevisionInfo) -> None:
    store = resources.store()
    found = store.comments(task_id)
    st.markdown(f"**Comments** ({sum(c.parent_id is None and not c.resolved for c in found)} open)")
    for comment in found:
        thread_line(task_id, comment)
    steps = list(range(1, len(loaded.task.steps) + 1))
    if not steps:
        return
    with st.form(f"comment_{task_id}", clear_on_submit=True):
        cols = st.columns(2)
        step = cols[0].selectbox("Step", steps, key=f"comment_step_{task_id}")
        part = cols[1].selectbox(
            "Part", [WHOLE_STEP, *(p.value for p in StepPart)], key=f"comment_part_{task_id}"
        )
        text = st.text_area("Comment", key=f"comment_text_{task_id}")
        if st.form_submit_button("Comment"):
            with common.errors("comment"):
                about = None if part == WHOLE_STEP else StepPart(part)
                store.add_comment(task_id, text, step=int(step), part=about)
                st.rerun()


def thread_line(task_id: int, comment: Comment) -> None:
    where = f"step {comment.step}" + (f" · {comment.part.value}" if comment.part else "")
    flags = [f"revision {comment.revision}"]
    if comment.outdated:
        flags.append("outdated: changed since")
    if comment.resolved:
        flags.append(f"resolved by {comment.resolved_by or '-'}")
    indent = "↳ " if comment.parent_id is not None else ""
    head = "" if comment.parent_id is not None else f"{where} · "
    st.markdown(f"{indent}**{comment.actor or '-'}** ({head}{', '.join(flags)}): {comment.text}")
    if comment.parent_id is None:
        label = "Reopen" if comment.resolved else "Resolve"
        if st.button(label, key=f"resolve_{task_id}_{comment.id}"):
            with common.errors("resolve the comment"):
                resources.store().resolve_comment(
                    task_id, comment.id, resolved=not comment.resolved
                )
                st.rerun()

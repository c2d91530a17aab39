"""A regenerated part waiting for the author: its diff, to accept or reject before it
becomes a revision. It stays in the session until decided."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import streamlit as st

from coauthor.pipeline.edit import Part
from coauthor.schemas import Task

Decision = Literal["accept", "reject"]


@dataclass(frozen=True)
class Proposal:
    """The task with step ``number``'s ``part`` rewritten, on top of revision ``base``."""

    task: Task
    base: int
    number: int
    part: Part
    note: str
    diff: str


def _key(task_id: int) -> str:
    return f"ed_proposal_{task_id}"


def keep(task_id: int, proposal: Proposal) -> None:
    st.session_state[_key(task_id)] = proposal


def pending(task_id: int) -> Proposal | None:
    found = st.session_state.get(_key(task_id))
    return found if isinstance(found, Proposal) else None


def drop(task_id: int) -> None:
    st.session_state.pop(_key(task_id), None)


def review(task_id: int, proposal: Proposal) -> Decision | None:
    """The proposed change as a diff, with Accept and Reject; the author's decision."""
    st.warning(
        f"Proposed change to the {proposal.part.value} of step {proposal.number} "
        "(not saved yet): accept it as a new revision or reject it.",
        icon=":material/difference:",
    )
    st.code(proposal.diff, language="diff", wrap_lines=True)
    row = st.columns(2)
    key = f"{task_id}_{proposal.number}"
    if row[0].button("Accept", key=f"accept_{key}", type="primary", icon=":material/check:"):
        return "accept"
    if row[1].button("Reject", key=f"reject_{key}", icon=":material/close:"):
        return "reject"
    return None

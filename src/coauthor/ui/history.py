"""A task's revision history: the list, a readable diff of any two, and restore."""

from __future__ import annotations

import streamlit as st

from coauthor.pipeline.labels import one_line
from coauthor.pipeline.library import restore_revision, revision_diff
from coauthor.store import RevisionInfo
from coauthor.ui import common, resources


def revision_label(revision: RevisionInfo) -> str:
    """One short line, with who saved it: raw model text or a traceback in a note never
    spills over."""
    when = revision.created_at.strftime("%Y-%m-%d %H:%M")
    note = f" — {revision.note}" if revision.note else ""
    by = f" · by {revision.actor}" if revision.actor else ""
    return one_line(f"r{revision.number} · {revision.source}{by} · {when}{note}")


def history(task_id: int) -> None:
    db = resources.store()
    revisions = db.revisions(task_id)
    by_number = {revision.number: revision for revision in revisions}
    st.dataframe(
        [
            {
                "revision": r.number,
                "source": r.source,
                "by": r.actor or "",
                "saved": r.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                "note": one_line(r.note),
                "steps": len(r.task.steps),
            }
            for r in reversed(revisions)
        ],
        hide_index=True,
        key=f"history_table_{task_id}",
    )
    numbers = sorted(by_number, reverse=True)
    left, right = st.columns(2)
    newer = left.selectbox(
        "Compare revision",
        numbers,
        format_func=lambda n: revision_label(by_number[n]),
        key=f"diff_new_{task_id}_{numbers[0]}",
    )
    older = right.selectbox(
        "with revision",
        numbers,
        index=min(1, len(numbers) - 1),
        format_func=lambda n: revision_label(by_number[n]),
        key=f"diff_old_{task_id}_{numbers[0]}",
    )
    diff = revision_diff(by_number[older], by_number[newer])
    if diff:
        st.code(diff, language="diff")
    else:
        st.caption("The two revisions read the same.")
    restore(task_id, by_number, head=numbers[0])


def restore(task_id: int, by_number: dict[int, RevisionInfo], *, head: int) -> None:
    older = [n for n in sorted(by_number, reverse=True) if n != head]
    if not older:
        return
    row = st.columns([3, 1], vertical_alignment="bottom")
    chosen = row[0].selectbox(
        "Restore revision",
        older,
        format_func=lambda n: revision_label(by_number[n]),
        key=f"restore_pick_{task_id}_{head}",
    )
    if row[1].button("Restore", key=f"restore_{task_id}", icon=":material/history:"):
        with common.errors("restore"):
            saved = restore_revision(resources.store(), task_id, number=chosen, base_revision=head)
            st.session_state[f"ed_base_{task_id}"] = saved.number
            common.flash(f"Revision {chosen} restored as revision {saved.number}.")
            st.rerun()

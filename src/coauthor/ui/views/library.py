"""Library: every task, searchable and filterable; open, duplicate, delete, restore, history."""

from __future__ import annotations

import streamlit as st

from coauthor.examples import examples
from coauthor.pipeline.library import Entry, Filters, duplicate, entries, search
from coauthor.pipeline.samples import Added, add_examples, example_slug
from coauthor.pipeline.verify import Checker
from coauthor.schemas import Difficulty, TaskType
from coauthor.schemas.team import ReviewStatus
from coauthor.ui import batches, common, resources
from coauthor.ui.history import history

VERIFIED = {"any": None, "verified": True, "not verified": False}


def main() -> None:
    st.title("Library")
    found = entries(resources.store(), include_deleted=True)
    chosen = search(found, filters(found))
    chosen = review_filters(chosen)
    st.caption(f"{len(chosen)} of {sum(not e.info.deleted for e in found)} tasks")
    if not found:
        offer_examples()
    for entry in chosen:
        row(entry)
    selected = st.session_state.get("library_history")
    if selected is not None and any(e.info.id == selected for e in found):
        st.divider()
        st.subheader(f"History of task {selected}")
        history(int(selected))
    st.divider()
    with st.expander("Draft a whole backlog", icon=":material/playlist_add:"):
        batches.section()


def offer_examples() -> None:
    """On an empty library: the shipped example tasks, one click away."""
    st.info(
        "No tasks yet: create one on the New task page, or add the example tasks: "
        "complete, verified tasks to try editing, exporting, history and the copilot on."
    )
    if st.button("Add the example tasks", key="lib_add_examples", type="primary"):
        added = add_and_verify_examples()
        new = [a for a in added if a.new]
        failed = [a for a in new if not a.all_verified]
        if failed:
            lines = "; ".join(f"{a.title}: {', '.join(a.problems)}" for a in failed)
            common.flash(
                f"{len(new)} example tasks added, but {len(failed)} did not verify here: "
                f"{lines}. Open one and re-verify it to see the output.",
                outcome="warning",
            )
        else:
            common.flash(f"{len(new)} example tasks added to the library, every step verified.")
        st.rerun()


def add_and_verify_examples() -> list[Added]:
    """Add the examples, verifying each step in the sandbox with the progress on screen."""
    with st.status("Adding the example tasks…", expanded=True) as status:
        bar = st.progress(0.0)
        line = st.empty()
        total = sum(len(e.task.steps) for e in examples())
        done = 0

        def progress(title: str, number: int, steps: int) -> None:
            nonlocal done
            line.write(f"Verifying '{title}': step {number} of {steps} in the sandbox")
            bar.progress(min(done / total, 1.0) if total else 1.0)
            done += 1

        checker = Checker.from_settings(resources.settings())
        added = add_examples(resources.store(), checker=checker, progress=progress)
        bar.progress(1.0)
        failed = [a for a in added if a.new and not a.all_verified]
        status.update(
            label="Example tasks added" + (", some steps did not verify" if failed else ""),
            state="error" if failed else "complete",
        )
    return added


def filters(found: list[Entry]) -> Filters:
    text = st.text_input("Search", placeholder="title, idea or domain", key="lib_search")
    cols = st.columns(4)
    domains = cols[0].multiselect(
        "Domain", sorted({e.info.domain for e in found}), key="lib_domain"
    )
    levels = cols[1].multiselect("Difficulty", [d.value for d in Difficulty], key="lib_level")
    kinds = cols[2].multiselect("Type", [t.value for t in TaskType], key="lib_type")
    state = cols[3].selectbox("Verification", list(VERIFIED), key="lib_verified")
    deleted = st.toggle("Show deleted tasks", key="lib_deleted")
    return Filters(
        text=text,
        domains=tuple(domains),
        difficulties=tuple(levels),
        task_types=tuple(kinds),
        verified=VERIFIED[state],
        include_deleted=deleted,
    )


def review_filters(chosen: list[Entry]) -> list[Entry]:
    """The tasks in the chosen review status, and those where this user owns a part."""
    cols = st.columns([1, 1, 2], vertical_alignment="bottom")
    status = cols[0].selectbox(
        "Review status", ["any", *(s.value for s in ReviewStatus)], key="lib_review"
    )
    mine = cols[1].toggle("Assigned to me", key="lib_mine")
    if status == "any" and not mine:
        return chosen
    kept = resources.store().find_tasks(
        assigned_to=resources.current_user() if mine else None,
        status=None if status == "any" else ReviewStatus(status),
    )
    ids = {info.id for info in kept}
    return [entry for entry in chosen if entry.info.id in ids]


def badge(entry: Entry) -> str:
    if entry.verified is None:
        return ":gray[not verified yet]"
    return ":green[verified]" if entry.verified else ":red[not verified]"


def row(entry: Entry) -> None:
    info = entry.info
    with st.container(border=True):
        top = st.columns([5, 1, 1, 1, 1], vertical_alignment="center")
        gone = " · :red[deleted]" if info.deleted else ""
        if example_slug(resources.store(), info.id) is not None:
            gone += " · :blue-badge[example]"
        top[0].markdown(
            f"**{info.title}** · task {info.id} · r{info.head_revision}{gone}  \n"
            f"{info.domain} · {info.difficulty} · {info.task_type} · {info.language} · "
            f"{entry.steps} step{'' if entry.steps == 1 else 's'} · {badge(entry)}"
        )
        if top[1].button("Open", key=f"lib_open_{info.id}", disabled=info.deleted):
            st.session_state["task_id"] = info.id
            st.switch_page(common.EDITOR, query_params={"task": str(info.id)})
        if top[2].button("Duplicate", key=f"lib_dup_{info.id}"):
            copy = duplicate(resources.store(), info.id)
            common.flash(f"Task {info.id} duplicated as task {copy.id}.")
            st.rerun()
        if info.deleted:
            if top[3].button("Restore", key=f"lib_restore_{info.id}"):
                resources.store().restore_task(info.id)
                common.flash(f"Task {info.id} restored.")
                st.rerun()
        elif top[3].button("Delete", key=f"lib_del_{info.id}"):
            resources.store().delete_task(info.id)
            common.flash(f"Task {info.id} deleted; turn on 'Show deleted tasks' to restore it.")
            st.rerun()
        if top[4].button("History", key=f"lib_hist_{info.id}"):
            st.session_state["library_history"] = info.id
            st.rerun()


common.page(main)

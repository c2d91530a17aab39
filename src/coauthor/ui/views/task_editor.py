"""Task editor: every step's anatomy, saved as revisions; regenerate or re-verify a step.

Saves name the revision they were based on, so two authors editing the same task
never silently overwrite each other: the second gets a conflict and chooses.
"""

from __future__ import annotations

from functools import partial
from typing import NoReturn

import streamlit as st

from coauthor.pipeline.checking import check
from coauthor.pipeline.edit import (
    CODE_PARTS,
    Part,
    changed_parts,
    part_diff,
    regenerate,
    replace_step,
    step_at,
)
from coauthor.pipeline.equivalents import mark_equivalent, unmark_equivalent
from coauthor.pipeline.labels import one_line
from coauthor.pipeline.recheck import add_tests_for_survivors, recheck
from coauthor.pipeline.verify import Checker
from coauthor.schemas import Task
from coauthor.schemas.mutation import Mutant
from coauthor.store import ConflictError, RevisionInfo
from coauthor.ui import common, figures, proposal, resources, step_form, students
from coauthor.ui.exports import export_buttons
from coauthor.ui.history import history
from coauthor.ui.proposal import Proposal
from coauthor.ui.review import review_panel
from coauthor.ui.verdict import SurvivorTools, outcome


def main() -> None:
    st.title("Task editor")
    wanted = common.query_id("task") or st.session_state.get("task_id")
    task_id = choose_task(None if wanted is None else int(wanted))
    if task_id is None:
        return
    loaded = loaded_revision(task_id)
    key = f"{task_id}_{loaded.number}"
    head = resources.store().task(task_id).head_revision
    st.subheader(loaded.task.title)
    brief = loaded.task.brief
    st.caption(
        f"Task {task_id} · revision {loaded.number} of {head} · {brief.domain} · "
        f"{brief.difficulty} · {brief.task_type} · {brief.language}"
    )
    if loaded.number != head:
        st.warning(f"You are editing revision {loaded.number}; the latest is {head}.")
        if st.button("Load the latest revision", key=f"latest_{task_id}"):
            reload(task_id)
    conflict_box(task_id)
    st.html(step_form.MONOSPACE)
    results = resources.store().pass_through(task_id, loaded.task)
    for number, step in enumerate(loaded.task.steps, 1):
        step_key = step_form.prefix(task_id, loaded.number, number)
        with st.expander(f"Step {number}: {step.title}", expanded=number == 1):
            selector = step_form.part_key(task_id, number)
            dirty = edited_task(task_id, loaded) != loaded.task
            step_form.step_tabs(
                step,
                key=step_key,
                number=number,
                selector=selector,
                survivor_tools=survivor_tools(task_id, loaded, number=number),
                unmark=partial(unmark, task_id, loaded, number=number),
                figures=partial(
                    figures.panel, task_id, loaded, number=number, step=step, dirty=dirty
                ),
                students=partial(students.step_students, results, number),
            )
            step_tools(task_id, loaded, number=number)
    save_bar(task_id, loaded, key=key)
    with st.expander("Review and comments"):
        review_panel(task_id, loaded)
    with st.expander("History"):
        history(task_id)
    with st.expander("Students' results"):
        students.upload_panel(task_id, results)
    with st.expander("Export", expanded=True):
        draft = edited_task(task_id, loaded)
        if draft != loaded.task:
            st.caption("Exports use the saved revision; save first to export your edits.")
        export_buttons(loaded.task, task_id=task_id, revision=loaded.number)


def choose_task(task_id: int | None) -> int | None:
    """The task to edit, kept in the URL and the session; a list to pick from if none."""
    titles = {info.id: info.title for info in resources.store().list_tasks()}
    if task_id not in titles:
        if not titles:
            st.info("No tasks yet: create one on the New task page.")
            return None
        picked = st.selectbox("Task", list(titles), format_func=lambda i: f"{i}: {titles[i]}")
        if st.button("Open", type="primary"):
            open_task(int(picked))
        return None
    st.session_state["task_id"] = task_id
    if common.query_id("task") != task_id:
        st.query_params["task"] = str(task_id)
    return task_id


def open_task(task_id: int) -> NoReturn:
    st.session_state["task_id"] = task_id
    st.query_params["task"] = str(task_id)
    st.rerun()


def loaded_revision(task_id: int) -> RevisionInfo:
    """The revision this session is editing (the head when it first opened the task)."""
    base = st.session_state.get(f"ed_base_{task_id}")
    revision = resources.store().revision(task_id, base)
    st.session_state[f"ed_base_{task_id}"] = revision.number
    return revision


def edited_task(task_id: int, loaded: RevisionInfo) -> Task:
    steps = [
        step_form.edited_step(step, key=step_form.prefix(task_id, loaded.number, number))
        for number, step in enumerate(loaded.task.steps, 1)
    ]
    return loaded.task.model_copy(update={"steps": steps})


def save(
    task_id: int,
    task: Task,
    *,
    base: int | None,
    source: str,
    note: str,
    then: tuple[common.Outcome, str] = ("success", ""),
) -> None:
    """Save ``task`` on top of revision ``base``; a conflict is kept for the author to settle.
    ``then`` is what else happened (a check), announced with the save as its outcome."""
    try:
        saved = resources.store().add_revision(
            task_id, task, source=source, note=note, base_revision=base
        )
    except ConflictError as exc:
        conflict(task_id, exc, task=task, source=source, note=note)
    st.session_state.pop(f"ed_conflict_{task_id}", None)
    st.session_state[f"ed_base_{task_id}"] = saved.number
    kind, said = then
    common.flash(f"Saved as revision {saved.number}. {said}".strip(), outcome=kind)
    st.rerun()


def save_bar(task_id: int, loaded: RevisionInfo, *, key: str) -> None:
    draft = edited_task(task_id, loaded)
    changed = draft != loaded.task
    row = st.columns([3, 1], vertical_alignment="bottom")
    note = row[0].text_input("Note for this revision", key=f"note_{key}", placeholder="optional")
    clicked = row[1].button("Save", type="primary", icon=":material/save:")
    st.caption("You have unsaved edits." if changed else "No unsaved edits.")
    if clicked and not changed:
        st.info("Nothing to save: no part differs from the loaded revision.")
    elif clicked:
        save(task_id, draft, base=loaded.number, source="edit", note=note or "edited in the studio")


def conflict_box(task_id: int) -> None:
    pending = st.session_state.get(f"ed_conflict_{task_id}")
    if not pending:
        return
    st.error(
        f"{pending['message']} Reload to see their version (your edits are discarded), or "
        "save yours as a new revision on top of theirs (theirs stays in the history).",
        icon=":material/sync_problem:",
    )
    row = st.columns(2)
    if row[0].button("Reload", icon=":material/refresh:", key=f"reload_{task_id}"):
        reload(task_id)
    if pending["task"] is None:
        return
    if row[1].button("Save as new revision anyway", key=f"force_{task_id}"):
        task = Task.model_validate(pending["task"])
        note = f"{pending['note']} (saved over a concurrent edit)"
        save(task_id, task, base=None, source=str(pending["source"]), note=note)


def reload(task_id: int) -> NoReturn:
    """Drop this session's base revision and conflict: the next run loads the head."""
    st.session_state.pop(f"ed_conflict_{task_id}", None)
    st.session_state.pop(f"ed_base_{task_id}", None)
    st.rerun()


def conflict(
    task_id: int, exc: ConflictError, *, task: Task | None, source: str, note: str
) -> None:
    st.session_state[f"ed_conflict_{task_id}"] = {
        "message": common.message(exc),
        "task": None if task is None else task.model_dump(mode="json"),
        "source": source,
        "note": note,
    }
    st.rerun()


def step_tools(task_id: int, loaded: RevisionInfo, *, number: int) -> None:
    key = step_form.prefix(task_id, loaded.number, number)
    row = st.columns([2, 3, 2, 2], vertical_alignment="bottom")
    part = row[0].selectbox(
        "Part",
        [p.value for p in Part],
        key=step_form.part_key(task_id, number),
        help="Only this part is rewritten.",
    )
    instruction = row[1].text_input(
        "Instruction (optional)", key=f"instr_{key}", placeholder="make it shorter"
    )
    if row[2].button("Regenerate", key=f"regen_{key}", icon=":material/auto_awesome:"):
        with common.errors(f"regenerate the {part} of step {number}"):
            regenerate_part(
                task_id, loaded, number=number, part=Part(part), instruction=instruction
            )
    if row[3].button("Re-verify", key=f"verify_{key}", icon=":material/fact_check:"):
        with common.errors(f"verify step {number}"):
            reverify(task_id, loaded, number=number)
    waiting = proposal.pending(task_id)
    if waiting is not None and waiting.number == number:
        decide(task_id, waiting)


def decide(task_id: int, waiting: Proposal) -> None:
    """The author's call on a proposed regeneration: a revision, or nothing."""
    decision = proposal.review(task_id, waiting)
    if decision == "reject":
        proposal.drop(task_id)
        common.flash(f"Rejected the new {waiting.part.value}; nothing saved.", outcome="info")
        st.rerun()
    if decision == "accept":
        with common.errors(f"save the new {waiting.part.value}"):
            accept(task_id, waiting)


def accept(task_id: int, waiting: Proposal) -> None:
    """Save the proposal; a new code part is checked in the sandbox first, so the revision
    carries its verdict."""
    task = waiting.task
    then: tuple[common.Outcome, str] = ("success", "")
    if waiting.part in CODE_PARTS:
        number = waiting.number
        with st.spinner(f"Running step {number}'s tests in the sandbox…"):
            checker = Checker.from_settings(resources.settings())
            checked = check(step_at(task, number), checker=checker, number=number, rounds=0)
        task = replace_step(task, number, checked.step)
        then = outcome(number, checked.step.verdict)
    proposal.drop(task_id)
    save(task_id, task, base=waiting.base, source="edit", note=waiting.note, then=then)


def regenerate_part(
    task_id: int, loaded: RevisionInfo, *, number: int, part: Part, instruction: str
) -> None:
    draft = edited_task(task_id, loaded)
    config = resources.settings()
    with st.spinner(f"Rewriting the {part.value} of step {number}…"):
        step = resources.ask(
            config,
            draft.brief.language,
            lambda ctx: regenerate(ctx, draft, number, part, instruction=instruction),
            stage="edit",
            task_id=task_id,
        )
    before = step_at(draft, number)
    if not changed_parts(before, step):
        st.info(f"The model returned the same {part.value}; nothing saved.", icon=":material/info:")
        return
    note = f"step {number}: regenerated the {part.value}" + (
        f" ({one_line(instruction, limit=60)})" if instruction.strip() else ""
    )
    waiting = Proposal(
        task=replace_step(draft, number, step),
        base=loaded.number,
        number=number,
        part=part,
        note=note,
        diff=part_diff(before, step),
    )
    proposal.keep(task_id, waiting)


def survivor_tools(task_id: int, loaded: RevisionInfo, *, number: int) -> SurvivorTools:
    """Under a step's surviving mutants: ask the model for tests that kill them, or mark
    one as equivalent with a note."""

    def draw(survivors: list[Mutant]) -> None:
        key = step_form.prefix(task_id, loaded.number, number)
        if st.button("Add tests for these", key=f"addtests_{key}", icon=":material/add_task:"):
            with common.errors(f"add tests to step {number}"):
                add_tests(task_id, loaded, number=number)
        row = st.columns([2, 3, 2], vertical_alignment="bottom")
        picked = row[0].selectbox("Surviving mutant", [m.id for m in survivors], key=f"eq_id_{key}")
        note = row[1].text_input(
            "Why it behaves exactly like the solution",
            key=f"eq_note_{key}",
            placeholder="e.g. at value == top both branches return the same",
        )
        if row[2].button("Mark equivalent", key=f"eq_{key}", icon=":material/equal:"):
            with common.errors(f"mark mutant {picked} equivalent"):
                mark(task_id, loaded, number=number, mutant_id=str(picked), note=note)

    return draw


def add_tests(task_id: int, loaded: RevisionInfo, *, number: int) -> None:
    """One add-tests round on the saved step: new tests are kept only when the sandbox
    shows they pass on the solution and kill a survivor; nothing kept, nothing saved."""
    if edited_task(task_id, loaded) != loaded.task:
        st.warning("Save your edits first: new tests are added to the saved revision.")
        return
    config = resources.settings()
    checker = Checker.from_settings(config)
    try:
        with st.spinner(f"Writing tests for step {number}'s survivors, then checking them…"):
            result = resources.ask(
                config,
                loaded.task.brief.language,
                lambda ctx: add_tests_for_survivors(
                    resources.store(),
                    task_id,
                    number,
                    checker=checker,
                    ctx=ctx,
                    base_revision=loaded.number,
                ),
                stage="repair",
                task_id=task_id,
            )
    except ConflictError as exc:
        conflict(task_id, exc, task=None, source="repair", note="")
    saved = result.revision
    if saved is None:
        st.warning(f"Nothing saved: {result.added.reason}.", icon=":material/block:")
        return
    st.session_state[f"ed_base_{task_id}"] = saved.number
    kind, said = outcome(number, saved.task.steps[number - 1].verdict)
    added = ", ".join(result.added.added)
    common.flash(
        f"Added {added} (kills {len(result.added.killed)} of {len(result.added.tried)} "
        f"survivors). {said} Saved as revision {saved.number}.",
        outcome=kind,
    )
    st.rerun()


def mark(task_id: int, loaded: RevisionInfo, *, number: int, mutant_id: str, note: str) -> None:
    """Save the author's equivalent mark as a new revision (rescored at once)."""
    if edited_task(task_id, loaded) != loaded.task:
        st.warning("Save your edits first: the mark is saved with the saved revision.")
        return
    try:
        saved = mark_equivalent(
            resources.store(), task_id, number, mutant_id, note=note, base_revision=loaded.number
        )
    except ConflictError as exc:
        conflict(task_id, exc, task=None, source="edit", note="")
    st.session_state[f"ed_base_{task_id}"] = saved.number
    kind, said = outcome(number, saved.task.steps[number - 1].verdict)
    common.flash(
        f"Marked {mutant_id} as equivalent. {said} Saved as revision {saved.number}.",
        outcome=kind,
    )
    st.rerun()


def unmark(task_id: int, loaded: RevisionInfo, mutant_id: str, *, number: int) -> None:
    """Drop the author's equivalent mark in a new revision (the mutant a survivor again)."""
    if edited_task(task_id, loaded) != loaded.task:
        st.warning("Save your edits first: the mark is dropped from the saved revision.")
        return
    with common.errors(f"unmark mutant {mutant_id}"):
        try:
            saved = unmark_equivalent(
                resources.store(), task_id, number, mutant_id, base_revision=loaded.number
            )
        except ConflictError as exc:
            conflict(task_id, exc, task=None, source="edit", note="")
        st.session_state[f"ed_base_{task_id}"] = saved.number
        kind, said = outcome(number, saved.task.steps[number - 1].verdict)
        common.flash(
            f"{mutant_id} is no longer marked equivalent. {said} Saved as revision {saved.number}.",
            outcome=kind,
        )
        st.rerun()


def reverify(task_id: int, loaded: RevisionInfo, *, number: int) -> None:
    if edited_task(task_id, loaded) != loaded.task:
        st.warning("Save your edits first: re-verify checks the saved revision.")
        return
    config = resources.settings()
    try:
        with st.spinner(f"Running step {number}'s tests in the sandbox…"):
            saved = recheck(
                resources.store(),
                task_id,
                checker=Checker.from_settings(config),
                steps=[number],
                base_revision=loaded.number,
            )
    except ConflictError as exc:
        conflict(task_id, exc, task=None, source="verify", note="")
    st.session_state[f"ed_base_{task_id}"] = saved.number
    kind, said = outcome(number, saved.task.steps[number - 1].verdict)
    common.flash(f"{said} Saved as revision {saved.number}.", outcome=kind)
    st.rerun()


common.page(main)

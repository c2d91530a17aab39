"""One step's anatomy in tabs, as editable fields, and the step read back from them.

Widget keys carry the task, the loaded revision and the step, so loading another
revision shows its content while unsaved edits survive a visit to another page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st
from pydantic import ValidationError

from coauthor.pipeline.edit import Part
from coauthor.schemas import Link, Step
from coauthor.ui.code_editor import code_editor
from coauthor.ui.figures import markdown_with_figures
from coauthor.ui.verdict import SurvivorTools, verdict_details

TABS = [
    "Story",
    "Theory",
    "Links",
    "Requirements",
    "Starter",
    "Solution",
    "Tests",
    "Figures",
    "Verdict",
    "Student preview",
]
CODE_PARTS = ("starter", "solution", "tests")
TRIMMED = ("title", "goal")
MONOSPACE = """<style>
[class*="st-key-code_"] textarea { font-family: "Source Code Pro", monospace; font-size: 0.85rem; }
</style>"""


def prefix(task_id: int, revision: int, number: int) -> str:
    return f"{task_id}_{revision}_{number}"


def part_key(task_id: int, number: int) -> str:
    """The key of a step's Part selector: per task and step, not per revision, so the
    choice survives a save."""
    return f"part_{task_id}_{number}"


def tab_part(label: str) -> Part | None:
    """The part a tab shows, if it shows one a regeneration can rewrite."""
    name = label.lower()
    return Part(name) if name in Part.__members__ else None


def follow_tab(tabs_key: str, selector: str) -> None:
    """Point the Part selector at the part of the tab just opened."""
    part = tab_part(str(st.session_state.get(tabs_key, "")))
    if part is not None:
        st.session_state[selector] = part.value


def _area(label: str, key: str, *, value: str, height: int = 160) -> str:
    return str(st.text_area(label, value=value, key=key, height=height, persist_state="session"))


def step_tabs(
    step: Step,
    *,
    key: str,
    number: int,
    selector: str,
    survivor_tools: SurvivorTools | None = None,
    unmark: Callable[[str], None] | None = None,
    figures: Callable[[], None] | None = None,
    students: Callable[[], None] | None = None,
) -> None:
    """Draw the fields of one step (the values are read back by ``edited_step``); opening
    a tab points the Part selector ``selector`` at that tab's part. ``survivor_tools``
    draws the actions on surviving mutants in the Verdict tab, and ``unmark`` (given a
    mutant id) drops an equivalent mark from an Unmark button beside it; ``figures``
    draws the Figures tab (the step's figures with what an author can do with them);
    ``students`` draws how the class did on the step beside its verdict."""
    texts = shown(step)
    for name in TRIMMED:
        label = f"{name.capitalize()} of step {number}"
        st.text_input(label, value=texts[name], key=f"{name}_{key}", persist_state="session")
    tabs_key = f"tabs_{selector}"
    tabs = st.tabs(TABS, key=tabs_key, on_change=follow_tab, args=(tabs_key, selector))
    with tabs[0]:
        _area(f"Story of step {number}", f"story_{key}", value=texts["story"], height=220)
    with tabs[1]:
        theory = _area(
            f"Theory of step {number}", f"theory_{key}", value=texts["theory"], height=260
        )
        with st.expander("Preview"):
            markdown_with_figures(theory, step)
    with tabs[2]:
        _area(
            f"Links of step {number} (one per line: title | url)",
            f"links_{key}",
            value=texts["links"],
            height=120,
        )
    with tabs[3]:
        _area(
            f"Requirements of step {number} (one per line)",
            f"reqs_{key}",
            value=texts["reqs"],
        )
    for tab, part in zip(tabs[4:7], CODE_PARTS, strict=True):
        with tab:
            _code(part, texts[f"code_{part}"], key=key, number=number)
    with tabs[7]:
        if figures is not None:
            figures()
        else:
            for figure in step.figures:
                markdown_with_figures(f"![{figure.caption}](figure:{figure.name})", step)
    with tabs[8]:
        if step.flags:
            for flag in step.flags:
                st.warning(flag, icon=":material/flag:")
        verdict_details(step.verdict, tools=survivor_tools)
        if students is not None:
            students()
        for mark in step.equivalent_mutants:
            said = f"Marked equivalent: `{mark.mutant_id}` — {mark.note}"
            if unmark is None:
                st.caption(said)
                continue
            row = st.columns([6, 1], vertical_alignment="center")
            row[0].caption(said)
            if row[1].button("Unmark", key=f"uneq_{key}_{mark.mutant_id}"):
                unmark(mark.mutant_id)
    with tabs[9]:
        student_preview(current(step, key=key))


def _code(part: str, text: str, *, key: str, number: int) -> None:
    """One code editor per code part (line numbers, Python highlighting), with its size."""
    label = f"{part.capitalize()} of step {number}"
    code = code_editor(label, key=f"code_{part}_{key}", value=text, height=300)
    count = len(code.splitlines())
    st.caption(f"{count} line{'s' if count != 1 else ''}")


def current(step: Step, *, key: str) -> Step:
    """The step as edited so far; the saved one while an edit is not valid yet."""
    try:
        return edited_step(step, key=key)
    except ValidationError:
        return step


def student_preview(step: Step) -> None:
    """The step as a student sees it: no reference solution, no tests."""
    st.caption("What the student sees: the reference solution and the tests stay hidden.")
    with st.container(border=True):
        st.markdown(f"### {step.title}")
        markdown_with_figures(step.story, step)
        markdown_with_figures(step.theory, step)
        placed = step.story + step.theory
        for figure in step.figures:  # a figure without an anchor follows the theory
            if f"(figure:{figure.name})" not in placed:
                markdown_with_figures(f"![{figure.caption}](figure:{figure.name})", step)
        if step.links:
            st.markdown("\n".join(f"- [{link.title}]({link.url})" for link in step.links))
        st.markdown("**Requirements**\n\n" + "\n".join(f"- {r}" for r in step.requirements))
        st.code(step.starter, language="python", line_numbers=True)


def shown(step: Step) -> dict[str, str]:
    """Each editable field as its widget shows it."""
    texts = {
        "title": step.title,
        "goal": step.goal,
        "story": step.story,
        "theory": step.theory,
        "links": "\n".join(f"{link.title} | {link.url}" for link in step.links),
        "reqs": "\n".join(step.requirements),
    }
    return texts | {f"code_{part}": str(getattr(step, part)) for part in CODE_PARTS}


def edited_step(step: Step, *, key: str) -> Step:
    """The step as the fields say; an untouched field keeps its exact value, and the
    verdict is dropped if code it judged changed."""
    values: dict[str, Any] = {}
    for name, before in shown(step).items():
        text = str(st.session_state.get(f"{name}_{key}", before))
        if text == before:
            continue
        if name == "links":
            values["links"] = links(text)
        elif name == "reqs":
            values["requirements"] = lines(text)
        else:
            values[name.removeprefix("code_")] = text.strip() if name in TRIMMED else text
    if not values:
        return step
    edited = Step.model_validate({**step.model_dump(), **values})
    if any(getattr(edited, part) != getattr(step, part) for part in CODE_PARTS):
        edited = edited.model_copy(update={"verdict": None})
    return edited


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def links(text: str) -> list[Link]:
    """``title | url`` lines; a bare URL is its own title."""
    found = []
    for line in lines(text):
        title, _, url = line.rpartition("|")
        url = url.strip()
        found.append(Link(title=(title.strip() or url)[:200], url=url))
    return found

"""The New task wizard's state: editable, reorderable lists of lessons and plan steps.

All of it lives in ``st.session_state`` under ``wz_`` keys (one browser session,
never shared), and widgets keep their values across pages (``persist_state``),
so an author can go back to any stage without losing the others.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from coauthor.schemas import Lesson, Plan, StepOutline

STAGES = ["Idea", "Lessons", "Details", "Plan"]
LESSONS = "wz_lessons"
STEPS = "wz_steps_list"


def state() -> Any:
    return st.session_state


def goto(stage: str) -> None:
    """Switch stage on the next run (the stage selector is already drawn in this one)."""
    state()["wz_goto"] = stage
    st.rerun()


def apply_goto() -> None:
    """Call before drawing the stage selector."""
    if "wz_goto" in state():
        state()["wz_stage"] = state().pop("wz_goto")


def new_id() -> int:
    number = int(state().get("wz_next_id", 0)) + 1
    state()["wz_next_id"] = number
    return number


def ids(list_key: str) -> list[int]:
    found: list[int] = state().setdefault(list_key, [])
    return found


def field(kind: str, item: int) -> str:
    return f"wz_{kind}_{item}"


def value(kind: str, item: int, *, default: Any = "") -> Any:
    return state().get(field(kind, item), default)


def set_lessons(lessons: list[Lesson]) -> None:
    items = []
    for lesson in lessons:
        item = new_id()
        state()[field("lesson_title", item)] = lesson.title
        state()[field("lesson_detail", item)] = lesson.detail
        items.append(item)
    state()[LESSONS] = items


def lessons() -> list[Lesson]:
    """The lessons as edited; rows left without a title are skipped."""
    found = []
    for item in ids(LESSONS):
        title = str(value("lesson_title", item)).strip()
        if title:
            found.append(Lesson(title=title, detail=str(value("lesson_detail", item)).strip()))
    return found


def set_plan(plan: Plan) -> None:
    state()["wz_plan_title"] = plan.title
    items = []
    for outline in plan.steps:
        item = new_id()
        state()[field("step_title", item)] = outline.title
        state()[field("step_goal", item)] = outline.goal
        state()[field("step_lessons", item)] = list(outline.lessons)
        items.append(item)
    state()[STEPS] = items


def plan() -> Plan:
    """The plan as edited; Pydantic says what is missing (an empty title or goal)."""
    steps = [
        StepOutline(
            title=str(value("step_title", item)),
            goal=str(value("step_goal", item)),
            lessons=list(value("step_lessons", item, default=[])),
        )
        for item in ids(STEPS)
    ]
    return Plan(title=str(state().get("wz_plan_title", "")), steps=steps)


def add(list_key: str) -> None:
    ids(list_key).append(new_id())


def remove(list_key: str, item: int) -> None:
    state()[list_key] = [other for other in ids(list_key) if other != item]


def move(list_key: str, item: int, *, delta: int) -> None:
    items = ids(list_key)
    here = items.index(item)
    there = here + delta
    if 0 <= there < len(items):
        items[here], items[there] = items[there], items[here]


def controls(list_key: str, item: int, *, what: str) -> None:
    """Up, down and delete buttons for one row; callbacks, so the list changes before
    the next run draws it."""
    items = ids(list_key)
    place = items.index(item)
    row = st.container(horizontal=True, gap="small")
    row.button(
        "Up",
        icon=":material/arrow_upward:",
        key=f"wz_up_{item}",
        help=f"Move this {what} up",
        disabled=place == 0,
        on_click=move,
        args=(list_key, item),
        kwargs={"delta": -1},
    )
    row.button(
        "Down",
        icon=":material/arrow_downward:",
        key=f"wz_down_{item}",
        help=f"Move this {what} down",
        disabled=place == len(items) - 1,
        on_click=move,
        args=(list_key, item),
        kwargs={"delta": 1},
    )
    row.button(
        "Delete",
        icon=":material/delete:",
        key=f"wz_del_{item}",
        help=f"Delete this {what}",
        on_click=remove,
        args=(list_key, item),
    )


def reset() -> None:
    """Forget the wizard (Start over)."""
    for key in [str(k) for k in state() if str(k).startswith("wz_")]:
        del state()[key]

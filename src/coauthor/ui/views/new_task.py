"""New task: idea -> lessons -> details -> plan -> generate, every stage revisitable."""

from __future__ import annotations

import streamlit as st

from coauthor.copilot.slots import DOMAIN_WORDS
from coauthor.pipeline.brief import make_brief
from coauthor.pipeline.lessons import lessons
from coauthor.pipeline.plan import plan
from coauthor.pipeline.runner import start_run
from coauthor.schemas import MAX_STEPS, Difficulty, Language, TaskBrief, TaskType
from coauthor.ui import common, resources, wizard
from coauthor.ui.wizard import LESSONS, STAGES, STEPS, field, state

DOMAINS = list(DOMAIN_WORDS)
LANGUAGE_LABELS = {"en": "English", "ru": "Russian"}


def main() -> None:
    st.title("New task")
    wizard.apply_goto()
    state().setdefault("wz_stage", STAGES[0])
    stage = st.segmented_control(
        "Stage", STAGES, key="wz_stage", required=True, persist_state="session"
    )
    pages = {"Idea": idea, "Lessons": lesson_list, "Details": details, "Plan": plan_editor}
    pages[stage or STAGES[0]]()
    st.divider()
    st.button("Start over", icon=":material/restart_alt:", on_click=wizard.reset)


def idea() -> None:
    st.text_area(
        "Task idea",
        key="wz_idea",
        height=140,
        placeholder="Students keep asking how to pick a sample size for an A/B test",
        help="A raw student request is fine.",
        persist_state="session",
    )
    language_choice()
    if st.button("Suggest lessons", type="primary", icon=":material/auto_awesome:"):
        with common.errors("suggest lessons"):
            suggest_lessons()
    if wizard.ids(LESSONS):
        st.caption("You have lessons already: suggesting again replaces them.")


def language_choice() -> None:
    st.selectbox(
        "Language of the task",
        list(LANGUAGE_LABELS),
        format_func=LANGUAGE_LABELS.__getitem__,
        key="wz_language",
        persist_state="session",
    )


def suggest_lessons() -> None:
    brief = make_brief(str(state().get("wz_idea", "")))
    config = resources.settings()
    wanted = language()
    with st.spinner("Finding the lessons this task should teach…"):
        found = resources.ask(
            config, wanted, lambda ctx: lessons(ctx, brief.idea), stage="wizard:lessons"
        )
    wizard.set_lessons(found)
    wizard.goto("Lessons")


def language() -> Language:
    return Language(state().get("wz_language", "en"))


def lesson_list() -> None:
    st.caption("What a student can do after the task. Edit, delete, add or reorder.")
    items = wizard.ids(LESSONS)
    if not items:
        st.info("No lessons yet: suggest them from the idea, or add your own.")
    for item in items:
        with st.container(border=True):
            st.text_input("Lesson title", key=field("lesson_title", item), persist_state="session")
            st.text_input(
                "Why it matters", key=field("lesson_detail", item), persist_state="session"
            )
            wizard.controls(LESSONS, item, what="lesson")
    st.button("Add lesson", icon=":material/add:", on_click=wizard.add, args=(LESSONS,))
    if st.button("Accept lessons", type="primary", icon=":material/check:"):
        if not wizard.lessons():
            st.error("Add at least one lesson with a title.")
            return
        wizard.goto("Details")


def details() -> None:
    typed = str(state().get("wz_domain") or "")
    st.selectbox(
        "Domain",
        DOMAINS if typed in DOMAINS or not typed else [*DOMAINS, typed],
        key="wz_domain",
        accept_new_options=True,
        help="Pick one or type your own.",
        persist_state="session",
    )
    st.selectbox(
        "Difficulty",
        [d.value for d in Difficulty],
        index=1,
        key="wz_difficulty",
        persist_state="session",
    )
    st.selectbox(
        "Task type",
        [t.value for t in TaskType],
        index=2,
        key="wz_type",
        persist_state="session",
    )
    st.number_input(
        "Number of steps",
        min_value=1,
        max_value=MAX_STEPS,
        value=3,
        key="wz_steps",
        persist_state="session",
    )
    language_choice()
    if st.button("Make plan", type="primary", icon=":material/account_tree:"):
        with common.errors("make the plan"):
            make_plan()


def brief() -> TaskBrief:
    made = make_brief(
        str(state().get("wz_idea", "")),
        domain=str(state().get("wz_domain") or DOMAINS[0]),
        difficulty=str(state().get("wz_difficulty", "junior")),
        task_type=str(state().get("wz_type", "quest")),
        language=str(state().get("wz_language", "en")),
        steps=int(state().get("wz_steps", 3)),
    )
    return made.model_copy(update={"lessons": wizard.lessons()})


def make_plan() -> None:
    wanted = brief()
    config = resources.settings()
    with st.spinner(f"Planning {wanted.steps} steps…"):
        made = resources.ask(
            config, wanted.language, lambda ctx: plan(ctx, wanted), stage="wizard:plan"
        )
    wizard.set_plan(made)
    wizard.goto("Plan")


def plan_editor() -> None:
    items = wizard.ids(STEPS)
    if not items:
        st.info("No plan yet: choose the details, then Make plan.")
        return
    st.text_input("Task title", key="wz_plan_title", persist_state="session")
    titles = [lesson.title for lesson in wizard.lessons()]
    for number, item in enumerate(items, 1):
        with st.container(border=True):
            st.markdown(f"**Step {number}**")
            st.text_input("Step title", key=field("step_title", item), persist_state="session")
            st.text_area(
                "Step goal", key=field("step_goal", item), height=80, persist_state="session"
            )
            chosen = list(wizard.value("step_lessons", item, default=[]))
            st.multiselect(
                "Lessons covered",
                list(dict.fromkeys([*titles, *chosen])),
                key=field("step_lessons", item),
                persist_state="session",
            )
            wizard.controls(STEPS, item, what="step")
    st.button("Add step", icon=":material/add:", on_click=wizard.add, args=(STEPS,))
    asked = int(state().get("wz_steps", len(items)))
    if asked != len(items):
        st.caption(f"The plan has {len(items)} steps (you asked for {asked}); it is used as is.")
    if st.button("Generate task", type="primary", icon=":material/rocket_launch:"):
        with common.errors("start the generation"):
            generate()


def generate() -> None:
    edited = wizard.plan()
    wanted = brief().model_copy(update={"steps": len(edited.steps)})
    config = resources.settings()
    db = resources.store()
    run = start_run(db, wanted, model=config.model, plan=edited)
    resources.launch(config, run.id)
    state()["run_id"] = run.id
    st.switch_page(common.RUN_VIEW, query_params={"run": str(run.id)})


common.page(main)

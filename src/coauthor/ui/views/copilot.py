"""Copilot: write to the copilot as to a colleague about the open task.

The core routes each message and keeps the chat history per task; this page shows
that history, sends new messages, and turns a reply's questions and offers into
buttons. A change is a new revision, with a button that opens it in the editor.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import streamlit as st

from coauthor.copilot import CopilotError, Intent, Reply, Slots, handle, put_into_theory
from coauthor.copilot.results import Checks, Clarify, Explanation, Proposal, WhichPart
from coauthor.schemas import Language
from coauthor.ui import common, resources
from coauthor.ui.chat_parts import (
    LastReply,
    bubble_text,
    changes,
    facts,
    forget,
    in_session,
    latest,
    prefill_wizard,
    remember,
)

Action = Callable[[], None]
NO_TASK = 0  # task ids start at 1
WITH_TASK = "make the story in step 1 shorter · verify step 2 · review the task"
WITHOUT_TASK = "what does the master document say about hints? · a new task about churn"


def main() -> None:
    st.title("Copilot")
    task_id = chosen_task()
    last = latest(task_id)
    history = resources.store().chat(task_id)
    if not history:
        st.caption(f"Try: {WITH_TASK if task_id is not None else WITHOUT_TASK}")
    for message in history:
        extra = last if last is not None and last.id == message.id else None
        with st.chat_message(message.role):
            bubble_text(message, failed=extra is not None and extra.reply.failed)
            if message.role == "assistant":
                changes(message, task_id=task_id)
                facts(message, None if extra is None else extra.reply)
            if extra is not None:
                actions(task_id, extra)
    where = f"task {task_id}" if task_id is not None else "no task"
    prompt = st.chat_input(f"Message the copilot ({where})")
    if prompt:
        with st.chat_message("user"):
            st.markdown(prompt)
        answer(task_id, prompt)


def chosen_task() -> int | None:
    """The task open in the studio (URL, then session, as the editor keeps it), or none."""
    titles = {info.id: info.title for info in resources.store().list_tasks()}
    wanted = common.query_id("task") or st.session_state.get("task_id")
    options = [NO_TASK, *titles]
    picked = st.selectbox(
        "Task",
        options,
        index=options.index(wanted) if wanted in titles else 0,
        format_func=lambda i: f"{i}: {titles[i]}" if i in titles else "No task: general questions",
        key="cp_task",
        help="The copilot edits, verifies and exports the task chosen here.",
    )
    if picked == NO_TASK:
        st.session_state.pop("task_id", None)
        if "task" in st.query_params:
            del st.query_params["task"]
        return None
    st.session_state["task_id"] = picked
    if common.query_id("task") != picked:
        st.query_params["task"] = str(picked)
    return int(picked)


def answer(
    task_id: int | None,
    message: str,
    *,
    intent: Intent | None = None,
    slots: Slots | None = None,
    rerun: bool = True,
) -> None:
    """Send one message to the core, which saves it and the reply in the chat history."""
    working = "Repairing (a few minutes per step)…" if slots and slots.repair else "Working on it…"
    with common.errors("answer"):
        with st.chat_message("assistant"), st.spinner(working):
            reply = in_session(
                task_id, lambda session: handle(session, message, intent=intent, slots=slots)
            )
        remember(task_id, message, reply)
        if rerun:
            st.rerun()


def actions(task_id: int | None, extra: LastReply) -> None:
    """Buttons for what the latest reply asks or offers."""
    found = offers(task_id, extra.reply, extra.message)
    if found:
        row = st.container(horizontal=True)
        for index, (label, act) in enumerate(found):
            if row.button(label[:1].upper() + label[1:], key=f"cp_act_{extra.id}_{index}"):
                act()


def offers(task_id: int | None, reply: Reply, message: str) -> list[tuple[str, Action]]:
    """What the reply lets the author do next: answer its question, use its offer.
    Generation is never started from here: a proposal opens the wizard."""
    result = reply.result
    if isinstance(result, Clarify):  # which of two intents
        labels = [*reply.suggestions, *(c.value for c in result.choices)][: len(result.choices)]
        return [
            (label, partial(answer, task_id, message, intent=choice))
            for label, choice in zip(labels, result.choices, strict=True)
        ]
    if isinstance(result, WhichPart):  # which part of the step
        return [
            (
                part.value,
                partial(
                    answer,
                    task_id,
                    message,
                    intent=reply.intent,
                    slots=Slots(result.step, part.value),
                ),
            )
            for part in result.choices
        ]
    if isinstance(result, Checks) and result.repairable:
        steps = ", ".join(map(str, result.repairable))
        return [(f"repair step(s) {steps}", partial(repair, task_id, result.repairable))]
    if isinstance(result, Explanation) and task_id is not None:
        return [
            (label, partial(into_theory, task_id, number, reply.text, result.language))
            for label, number in zip(reply.suggestions, result.offers, strict=True)
        ]
    if isinstance(result, Proposal):
        return [("open in the New task wizard", partial(prefill_wizard, result.brief))]
    return []


def repair(task_id: int | None, steps: list[int]) -> None:
    """Repair rounds for the failing steps, one message per step, as the author asked."""
    for number in steps:
        answer(
            task_id,
            f"repair step {number}",
            intent=Intent.verify,
            slots=Slots(step=number, repair=True),
            rerun=number == steps[-1],
        )


def into_theory(task_id: int, number: int, text: str, language: Language) -> None:
    """Put an explanation into step ``number``; the change joins the chat history."""
    with common.errors(f"add it to step {number}"):
        try:
            in_session(
                task_id, lambda session: put_into_theory(session, number, text, lang=language)
            )
        except CopilotError as exc:
            st.error(str(exc), icon=":material/error:")
            return
        forget(task_id)
        st.rerun()


common.page(main)

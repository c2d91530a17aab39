"""Copilot: write to the copilot as to a colleague about the open task.

The core routes each message and keeps the chat history per task; this page shows
that history, sends new messages, and turns a reply's questions and offers into
buttons. A change is a new revision, with a button that opens it in the editor.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

import streamlit as st

from coauthor.copilot import CopilotError, Intent, Reply, Slots, handle, put_into_theory
from coauthor.schemas import Language, TaskBrief
from coauthor.ui import resources, view
from coauthor.ui.copilot_view import (
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
        extra = last if last is not None and last["id"] == message.id else None
        with st.chat_message(message.role):
            bubble_text(message, failed=extra is not None and "error" in extra["reply"].data)
            if message.role == "assistant":
                changes(message, task_id=task_id)
            if extra is not None:
                facts(extra["reply"])
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
    wanted = view.query_id("task") or st.session_state.get("task_id")
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
    if view.query_id("task") != picked:
        st.query_params["task"] = str(picked)
    return int(picked)


def answer(
    task_id: int | None, message: str, *, intent: Intent | None = None, slots: Slots | None = None
) -> None:
    """Send one message to the core, which saves it and the reply in the chat history."""
    with view.errors("answer"):
        with st.chat_message("assistant"), st.spinner("Working on it…"):
            reply = in_session(
                task_id, lambda session: handle(session, message, intent=intent, slots=slots)
            )
        remember(task_id, message, reply)
        st.rerun()


def actions(task_id: int | None, extra: dict[str, Any]) -> None:
    """Buttons for what the latest reply asks or offers."""
    found = offers(task_id, extra["reply"], str(extra["message"]))
    if found:
        row = st.container(horizontal=True)
        for index, (label, act) in enumerate(found):
            if row.button(label[:1].upper() + label[1:], key=f"cp_act_{extra['id']}_{index}"):
                act()


def offers(task_id: int | None, reply: Reply, message: str) -> list[tuple[str, Action]]:
    """What the reply lets the author do next: answer its question, use its offer.
    Generation is never started from here: a proposal opens the wizard."""
    choices = [str(choice) for choice in reply.data.get("choices", [])]
    if reply.intent is None:  # a clarifying question: which of two intents
        labels = [*reply.suggestions, *choices][: len(choices)]
        return [
            (label, partial(answer, task_id, message, intent=Intent(choice)))
            for label, choice in zip(labels, choices, strict=True)
        ]
    if reply.intent is Intent.edit_step and choices:  # which part of the step
        step = int(reply.data["step"])
        return [
            (part, partial(answer, task_id, message, intent=reply.intent, slots=Slots(step, part)))
            for part in choices
        ]
    if reply.intent is Intent.explain and task_id is not None:
        return [(offer, partial(into_theory, task_id, offer, reply)) for offer in reply.suggestions]
    if reply.intent is Intent.new_task and "brief" in reply.data:
        brief = TaskBrief.model_validate(reply.data["brief"])
        return [("open in the New task wizard", partial(prefill_wizard, brief))]
    return []


def into_theory(task_id: int, offer: str, reply: Reply) -> None:
    """Put an explanation into the step the offer names; the change joins the chat history."""
    number = int(re.findall(r"\d+", offer)[-1])
    language = Language(str(reply.data.get("language", "en")))
    with view.errors(f"add it to step {number}"):
        try:
            done = in_session(
                task_id, lambda session: put_into_theory(session, number, reply.text, lang=language)
            )
        except CopilotError as exc:
            st.error(str(exc), icon=":material/error:")
            return
        meta = {
            "intent": Intent.explain.value,
            "revision": done.revision,
            "links": list(done.links),
        }
        resources.store().add_chat_message(task_id, "assistant", done.text, meta=meta)
        forget(task_id)
        st.rerun()


view.page(main)

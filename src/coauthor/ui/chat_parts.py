"""What the Copilot page draws and wires: the session for one message, a chat bubble
with what it changed, and the compact facts of a reply.

The copilot core does the work (routing, editing, saving, the chat history); this
module only builds its ``Session`` from the studio's resources and shows replies.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, NoReturn, TypeVar

import streamlit as st
from platformdirs import user_data_path

from coauthor.copilot import Reply, Session, open_session
from coauthor.copilot.results import Findings
from coauthor.pipeline.context import Context
from coauthor.schemas import Language, TaskBrief
from coauthor.store import ChatMessage
from coauthor.ui import common, resources, wizard

_TASK_LINK = re.compile(r"task:(\d+)@(\d+)")
_URL = re.compile(r"https?://\S+")
T = TypeVar("T")
Badge = tuple[str, str, Literal["green", "red", "orange"]]


def in_session(task_id: int | None, call: Callable[[Session], T]) -> T:
    """``call`` with a Session for one message, built as ``coauthor chat`` builds it.

    It runs through the resource factory on the studio's model thread (tests inject
    their model there); the embedded server starts only if the message needs the model.
    """
    config = resources.settings()
    db = resources.store()

    def with_session(ctx: Context) -> T:
        out = user_data_path("coauthor", appauthor=False) / "exports"
        session = open_session(db, config, model=ctx.model, task_id=task_id, out_dir=out)
        return call(session)  # no session.close(): the studio's model is shared

    # the copilot builds its own contexts in the task's language; this one only carries
    # the model and the master document
    return resources.ask(config, Language.en, with_session, stage="copilot:model", task_id=task_id)


def _last_key(task_id: int | None) -> str:
    return f"cp_last_{task_id if task_id is not None else 'none'}"


@dataclass(frozen=True)
class LastReply:
    """This session's latest reply, with the id of its chat message and the author's words."""

    id: int
    message: str
    reply: Reply


def remember(task_id: int | None, message: str, reply: Reply) -> None:
    """Keep this session's latest reply, so its buttons sit under its bubble after a rerun."""
    stored = resources.store().chat(task_id, limit=1)
    if stored:
        st.session_state[_last_key(task_id)] = LastReply(stored[-1].id, message, reply)


def forget(task_id: int | None) -> None:
    """The latest reply's offers are used up."""
    st.session_state.pop(_last_key(task_id), None)


def latest(task_id: int | None) -> LastReply | None:
    found = st.session_state.get(_last_key(task_id))
    return found if isinstance(found, LastReply) else None


def bubble_text(message: ChatMessage, *, failed: bool) -> None:
    if failed:
        st.error(message.content, icon=":material/error:")
    else:
        st.markdown(message.content)


def changes(message: ChatMessage, *, task_id: int | None) -> None:
    """What an assistant message changed or points to: its revision, tasks, pages, files."""
    revision = message.meta.get("revision")
    links = [str(link) for link in message.meta.get("links", [])]
    for index, link in enumerate(links):
        found = _TASK_LINK.fullmatch(link)
        key = f"cp_link_{message.id}_{index}"
        if found and int(found.group(1)) == task_id and int(found.group(2)) == revision:
            saved_button(task_id, revision, key=key)
        elif found:
            task_button(int(found.group(1)), current=int(found.group(1)) == task_id, key=key)
        elif link.startswith("file:"):
            st.caption(f"Written to `{link.removeprefix('file:')}`")
    urls = [link for link in links if _URL.fullmatch(link)]
    if urls:
        st.markdown(" · ".join(f"[{url}]({url})" for url in urls))


def saved_button(task_id: int, number: int, *, key: str) -> None:
    row = st.container(horizontal=True, vertical_alignment="center")
    row.badge(f"Saved as revision {number}", icon=":material/save:", color="green")
    if row.button(f"Open revision {number}", key=key, icon=":material/edit:"):
        open_revision(task_id, number)


def task_button(task_id: int, *, current: bool, key: str) -> None:
    label = "Open in the editor" if current else f"Open task {task_id}"
    if st.button(label, key=key, icon=":material/edit:"):
        open_revision(task_id, None)


def open_revision(task_id: int, number: int | None) -> NoReturn:
    """The task editor on revision ``number`` of ``task_id`` (None: the latest); the
    editor keeps the revision it edits under ``ed_base_ID``."""
    st.session_state["task_id"] = task_id
    if number is None:
        st.session_state.pop(f"ed_base_{task_id}", None)
    else:
        st.session_state[f"ed_base_{task_id}"] = number
    st.switch_page(common.EDITOR, query_params={"task": str(task_id)})


def stored_verdicts(message: ChatMessage) -> dict[int, bool]:
    """The steps an assistant message checked, as its stored meta says."""
    found = message.meta.get("verified")
    if not isinstance(found, dict):
        return {}
    return {int(n): bool(ok) for n, ok in found.items() if str(n).isdigit()}


def facts(message: ChatMessage, reply: Reply | None) -> None:
    """Verdicts of a message (from the stored chat, so they survive a redraw) and the
    findings of this session's latest reply, as one line of badges."""
    badges = _verdicts(stored_verdicts(message))
    result = None if reply is None else reply.result
    if isinstance(result, Findings) and result.findings:
        found = result.findings
        where = sorted({f"step {f.step}" if f.step else "whole task" for f in found})
        label = f"{len(found)} finding(s): " + ", ".join(where)
        badges.append((label, ":material/rule:", "orange"))
    elif isinstance(result, Findings):
        badges.append(("no findings", ":material/task_alt:", "green"))
    if badges:
        row = st.container(horizontal=True)
        for label, icon, color in badges:
            row.badge(label, icon=icon, color=color)


def _verdicts(per_step: dict[int, bool]) -> list[Badge]:
    return [
        (f"step {n} verified", ":material/verified:", "green")
        if ok
        else (f"step {n} not verified", ":material/cancel:", "red")
        for n, ok in sorted(per_step.items())
    ]


def prefill_wizard(brief: TaskBrief) -> NoReturn:
    """Start the New task wizard over with the proposed brief; the author generates there."""
    wizard.reset()
    state = wizard.state()
    state["wz_idea"] = brief.idea
    state["wz_domain"] = brief.domain
    state["wz_difficulty"] = brief.difficulty.value
    state["wz_type"] = brief.task_type.value
    state["wz_language"] = brief.language.value
    state["wz_steps"] = brief.steps
    st.switch_page(common.NEW_TASK)

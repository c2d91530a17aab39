"""What every page shares: errors as one-line messages, ids from the URL, page paths."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

import streamlit as st
from pydantic import ValidationError

from coauthor.export import ExportError
from coauthor.llm.base import ModelError, ModelUnavailableError
from coauthor.pipeline.brief import BriefError
from coauthor.prompts import MasterDocumentError
from coauthor.queue.jobs import QueueLimitError
from coauthor.queue.local import QueueServerError
from coauthor.sandbox import SandboxUnavailableError
from coauthor.store import ConflictError, NotFoundError, PermissionDenied, StoreError

log = logging.getLogger("coauthor.ui")

NEW_TASK = "views/new_task.py"
RUN_VIEW = "views/run_view.py"
QUEUE = "views/queue_view.py"
EDITOR = "views/task_editor.py"
LIBRARY = "views/library.py"
SETTINGS = "views/studio_settings.py"
COPILOT = "views/copilot.py"
TEAM = "views/team.py"
LOGBOOK = "views/logbook.py"
METRICS = "views/metrics.py"

KNOWN = (
    BriefError,
    ConflictError,
    NotFoundError,
    ExportError,
    SandboxUnavailableError,
    MasterDocumentError,
    StoreError,
    QueueLimitError,
    QueueServerError,
    ValueError,
)


def message(exc: BaseException) -> str:
    """One line an author can act on, for an error we know."""
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = " → ".join(str(part) for part in first["loc"]) or "input"
        return f"Invalid {where}: {first['msg']}"
    if isinstance(exc, ModelUnavailableError):
        return f"The model is not available: {exc}. Check the model on the Settings page."
    if isinstance(exc, ModelError):
        return f"The model failed: {exc}"
    if isinstance(exc, ConflictError):
        return f"Someone saved this task in the meantime: {exc}."
    if isinstance(exc, PermissionDenied):
        return f"Not allowed: {exc}"
    if isinstance(exc, SandboxUnavailableError):
        return f"The sandbox cannot run code here: {exc}"
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


@contextmanager
def errors(doing: str = "") -> Iterator[None]:
    """Turn failures into ``st.error`` lines: never a traceback on the page.

    Streamlit's own control flow (rerun, stop, page switch) is a BaseException and
    passes through untouched.
    """
    try:
        yield
    except (ModelError, *KNOWN) as exc:
        prefix = f"Could not {doing}: " if doing else ""
        st.error(prefix + message(exc), icon=":material/error:")
    except Exception:
        log.exception("unexpected error in the studio")
        st.error(
            "Something unexpected went wrong; the details are in the studio's log. "
            "Your saved work is safe.",
            icon=":material/error:",
        )


Outcome = Literal["success", "warning", "error", "info"]


def flash(text: str, *, outcome: Outcome = "success") -> None:
    """A message for the next run (an action that reruns the page), shown as what the
    action's outcome was: only a real success is green."""
    st.session_state["flash"] = (outcome, text)


def say(text: str, *, outcome: Outcome) -> None:
    """One message in the colour and icon of its outcome."""
    if outcome == "success":
        st.success(text, icon=":material/check:")
    elif outcome == "warning":
        st.warning(text, icon=":material/warning:")
    elif outcome == "error":
        st.error(text, icon=":material/cancel:")
    else:
        st.info(text, icon=":material/info:")


def page(body: Callable[[], None]) -> None:
    """Run a page's body with errors shown as messages."""
    pending = st.session_state.pop("flash", None)
    if isinstance(pending, tuple):
        outcome, text = pending
        say(str(text), outcome=outcome)
    with errors():
        body()


def query_id(name: str) -> int | None:
    """An integer id from the URL (``?task=3``), or None when absent or malformed."""
    raw = st.query_params.get(name)
    if raw is None or not str(raw).strip().isdigit():
        return None
    return int(str(raw))


def ago(seconds: float) -> str:
    """A duration as an author reads it: ``42 s``, ``3 min 05 s``."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    return f"{whole // 60} min {whole % 60:02d} s"

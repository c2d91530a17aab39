"""Store methods beside tasks and runs: versioned documents, chat history, external pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coauthor.store.redact import redact
from coauthor.store.tables import ChatRow, DocumentRow, ExternalPageRow, ProgressRow, utcnow


@dataclass(frozen=True)
class DocumentVersion:
    name: str
    number: int
    text: str
    note: str
    created_at: datetime


@dataclass(frozen=True)
class ChatMessage:
    id: int
    task_id: int | None
    role: str
    content: str
    meta: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class RunProgress:
    run_id: int
    data: dict[str, Any]
    cancel_requested: bool
    worker_pid: int | None
    updated_at: datetime


class SideTables:
    """Mixed into ``Store``; relies on its ``_session``."""

    def _session(self) -> Session:
        raise NotImplementedError

    # -- documents -------------------------------------------------------------------
    def save_document(self, name: str, text: str, *, note: str = "") -> DocumentVersion:
        """A new version of document ``name``; earlier versions stay readable."""
        with self._session() as s, s.begin():
            last = s.scalar(
                sa.select(sa.func.max(DocumentRow.number)).where(DocumentRow.name == name)
            )
            row = DocumentRow(
                name=name, number=(last or 0) + 1, text=text, note=note, created_at=utcnow()
            )
            s.add(row)
            s.flush()
            return _document(row)

    def document(self, name: str, number: int | None = None) -> DocumentVersion | None:
        """Version ``number`` (default: the latest) of ``name``, or None if there is none."""
        query = sa.select(DocumentRow).where(DocumentRow.name == name)
        if number is None:
            query = query.order_by(DocumentRow.number.desc()).limit(1)
        else:
            query = query.where(DocumentRow.number == number)
        with self._session() as s:
            row = s.scalar(query)
            return None if row is None else _document(row)

    def document_versions(self, name: str) -> list[DocumentVersion]:
        query = sa.select(DocumentRow).where(DocumentRow.name == name).order_by(DocumentRow.number)
        with self._session() as s:
            return [_document(row) for row in s.scalars(query)]

    # -- chat ------------------------------------------------------------------------
    def add_chat_message(
        self, task_id: int | None, role: str, content: str, *, meta: dict[str, Any] | None = None
    ) -> ChatMessage:
        with self._session() as s, s.begin():
            row = ChatRow(
                task_id=task_id,
                role=role,
                content=redact(content),
                meta=meta or {},
                created_at=utcnow(),
            )
            s.add(row)
            s.flush()
            return _chat(row)

    def chat(self, task_id: int | None, *, limit: int = 200) -> list[ChatMessage]:
        """The latest ``limit`` messages of a task's chat, oldest first."""
        column = ChatRow.task_id
        where = column.is_(None) if task_id is None else column == task_id
        query = sa.select(ChatRow).where(where).order_by(ChatRow.id.desc()).limit(limit)
        with self._session() as s:
            return [_chat(row) for row in reversed(list(s.scalars(query)))]

    # -- pages exported elsewhere ----------------------------------------------------
    def external_page(self, task_id: int, target: str) -> str | None:
        query = sa.select(ExternalPageRow.external_id).where(
            ExternalPageRow.task_id == task_id, ExternalPageRow.target == target
        )
        with self._session() as s:
            return s.scalar(query)

    def remember_external_page(self, task_id: int, target: str, external_id: str) -> None:
        with self._session() as s, s.begin():
            row = s.scalar(
                sa.select(ExternalPageRow).where(
                    ExternalPageRow.task_id == task_id, ExternalPageRow.target == target
                )
            )
            if row is None:
                row = ExternalPageRow(
                    task_id=task_id, target=target, external_id=external_id, updated_at=utcnow()
                )
                s.add(row)
            else:
                row.external_id = external_id
                row.updated_at = utcnow()

    # -- live progress of runs -------------------------------------------------------
    def set_progress(
        self, run_id: int, data: dict[str, Any], *, worker_pid: int | None = None
    ) -> None:
        """Overwrite the live state of a run (a worker calls this as it goes)."""
        with self._session() as s, s.begin():
            row = _progress_row(s, run_id)
            row.data = data
            row.updated_at = utcnow()
            if worker_pid is not None:
                row.worker_pid = worker_pid

    def progress(self, run_id: int) -> RunProgress | None:
        with self._session() as s:
            row = s.get(ProgressRow, run_id)
            if row is None:
                return None
            return RunProgress(
                row.run_id, dict(row.data), row.cancel_requested, row.worker_pid, row.updated_at
            )

    def request_cancel(self, run_id: int) -> None:
        """Ask the worker to stop; it does at its next chance and marks the run cancelled."""
        with self._session() as s, s.begin():
            row = _progress_row(s, run_id)
            row.cancel_requested = True
            row.updated_at = utcnow()

    def clear_cancel(self, run_id: int) -> None:
        with self._session() as s, s.begin():
            _progress_row(s, run_id).cancel_requested = False

    def cancel_requested(self, run_id: int) -> bool:
        with self._session() as s:
            row = s.get(ProgressRow, run_id)
            return row is not None and row.cancel_requested


def _progress_row(s: Session, run_id: int) -> ProgressRow:
    row = s.get(ProgressRow, run_id)
    if row is None:
        row = ProgressRow(
            run_id=run_id, data={}, cancel_requested=False, worker_pid=None, updated_at=utcnow()
        )
        s.add(row)
    return row


def _document(row: DocumentRow) -> DocumentVersion:
    return DocumentVersion(row.name, row.number, row.text, row.note, row.created_at)


def _chat(row: ChatRow) -> ChatMessage:
    return ChatMessage(row.id, row.task_id, row.role, row.content, dict(row.meta), row.created_at)

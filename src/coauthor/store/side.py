"""Store methods beside tasks and runs: documents, chat, external pages, the logbook."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from coauthor.schemas.calls import CallRecord
from coauthor.schemas.team import Action
from coauthor.store.base import StoreBase
from coauthor.store.prepared import Prepared
from coauthor.store.records import LogEntry, log_entry
from coauthor.store.redact import redact, redactor
from coauthor.store.tables import (
    ChatRow,
    DocumentRow,
    ExternalPageRow,
    JsonObject,
    LogRow,
    RunRow,
    utcnow,
)


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
    meta: JsonObject
    created_at: datetime


class SideStore(StoreBase):
    """Beside tasks and runs: versioned documents, chat history, external pages, the logbook."""

    # -- documents -------------------------------------------------------------------
    def save_document(self, name: str, text: str, *, note: str = "") -> DocumentVersion:
        """A new version of document ``name``; earlier versions stay readable. Documents are
        the team's settings and master document: an admin's."""
        with self._session() as s, s.begin():
            self._require(s, Action.admin)
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
        self, task_id: int | None, role: str, content: str, *, meta: JsonObject | None = None
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

    # -- logbook ---------------------------------------------------------------------
    def log_call(
        self,
        record: CallRecord,
        *,
        stage: str,
        run_id: int | None = None,
        task_id: int | None = None,
    ) -> None:
        """Keep one model request, with every secret redacted: one INSERT in its own short
        transaction (the logbook keeps every call, even of a run killed mid-stage); a run's
        worker records whoever started the run, read by the same statement."""
        clean = redactor()
        values: dict[str, object] = {
            "run_id": run_id,
            "task_id": task_id,
            "stage": clean(stage),
            "model": clean(record.model),
            "messages": [
                {"role": m["role"], "content": clean(m["content"])} for m in record.messages
            ],
            "reply": clean(record.reply),
            "tokens_in": record.usage.prompt_tokens,
            "tokens_out": record.usage.completion_tokens,
            "latency_ms": round(record.latency_s * 1000),
            "error": None if record.error is None else clean(record.error),
            "created_at": utcnow(),
        }
        with self._writing() as c:
            if self.user is None and run_id is not None:
                _LOG_BY_RUN_ACTOR.execute(c, {**values, "the_run": run_id})
            else:
                _LOG.execute(c, {**values, "actor": self.user})

    def logbook(self, *, run_id: int | None = None, task_id: int | None = None) -> list[LogEntry]:
        """Logged calls, oldest first, filtered by run and/or task."""
        query = sa.select(LogRow).order_by(LogRow.id)
        if run_id is not None:
            query = query.where(LogRow.run_id == run_id)
        if task_id is not None:
            query = query.where(LogRow.task_id == task_id)
        with self._session() as s:
            return [log_entry(row) for row in s.scalars(query)]


# Statements compiled once (store/prepared.py); the values come with each execution.
_LOG = Prepared(sa.insert(LogRow))
_LOG_BY_RUN_ACTOR = Prepared(
    sa.insert(LogRow).values(
        actor=sa.select(RunRow.actor)
        .where(RunRow.id == sa.bindparam("the_run", type_=sa.Integer))
        .scalar_subquery()
    )
)


def _document(row: DocumentRow) -> DocumentVersion:
    return DocumentVersion(row.name, row.number, row.text, row.note, row.created_at)


def _chat(row: ChatRow) -> ChatMessage:
    return ChatMessage(row.id, row.task_id, row.role, row.content, dict(row.meta), row.created_at)

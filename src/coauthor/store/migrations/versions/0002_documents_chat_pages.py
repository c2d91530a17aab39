"""Versioned documents, the copilot chat, ids of pages exported elsewhere.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_documents"),
        sa.UniqueConstraint("name", "number", name="uq_documents_name"),
    )
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_chat_messages"),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name="fk_chat_messages_task_id_tasks"),
    )
    op.create_index("ix_chat_messages_task_id", "chat_messages", ["task_id"])
    op.create_table(
        "external_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(50), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column("updated_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_external_pages"),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name="fk_external_pages_task_id_tasks"),
        sa.UniqueConstraint("task_id", "target", name="uq_external_pages_task_id"),
    )


def downgrade() -> None:
    op.drop_table("external_pages")
    op.drop_index("ix_chat_messages_task_id", table_name="chat_messages")
    op.drop_table("chat_messages")
    op.drop_table("documents")

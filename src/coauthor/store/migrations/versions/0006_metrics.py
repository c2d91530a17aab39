"""Metrics: the bug list, reports filed against a task, open or closed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "bugs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reporter", sa.String(200), nullable=True),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("closed_by", sa.String(200), nullable=True),
        sa.Column("closed_at", STAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_bugs"),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name="fk_bugs_task_id_tasks"),
    )
    op.create_index("ix_bugs_task_id", "bugs", ["task_id"])


def downgrade() -> None:
    op.drop_table("bugs")

"""Students' results: per task, source, student and step, the score a grader gave.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "step_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("file", sa.String(500), nullable=False),
        sa.Column("student", sa.String(500), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("possible", sa.Float(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("imported_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_step_results"),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name="fk_step_results_task_id_tasks"),
        sa.UniqueConstraint("task_id", "source", "student", "step", name="uq_step_results_score"),
    )
    op.create_index("ix_step_results_task_id", "step_results", ["task_id"])


def downgrade() -> None:
    op.drop_table("step_results")

"""The team: users and roles, who did what (actor columns), review status and ownership,
review moves, comments on steps, and the record of exports.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

STAMP = sa.DateTime(timezone=True)
ACTOR_TABLES = ("revisions", "runs", "logbook")


def upgrade() -> None:
    for table in ACTOR_TABLES:
        op.add_column(table, sa.Column("actor", sa.String(200), nullable=True))
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
    )
    op.create_table(
        "task_reviews",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("submitted_revision", sa.Integer(), nullable=True),
        sa.Column("approved_revision", sa.Integer(), nullable=True),
        sa.Column("waivers", sa.JSON(), nullable=False),
        sa.Column("assignments", sa.JSON(), nullable=False),
        sa.Column("updated_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("task_id", name="pk_task_reviews"),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name="fk_task_reviews_task_id_tasks"),
    )
    op.create_index("ix_task_reviews_status", "task_reviews", ["status"])
    op.create_table(
        "review_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("move", sa.String(30), nullable=False),
        sa.Column("before", sa.String(30), nullable=False),
        sa.Column("after", sa.String(30), nullable=False),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_review_events"),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name="fk_review_events_task_id_tasks"),
    )
    op.create_index("ix_review_events_task_id", "review_events", ["task_id"])
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("part", sa.String(30), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("resolved_by", sa.String(200), nullable=True),
        sa.Column("resolved_at", STAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_comments"),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name="fk_comments_task_id_tasks"),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["comments.id"], name="fk_comments_parent_id_comments"
        ),
    )
    op.create_index("ix_comments_task_id", "comments", ["task_id"])
    op.create_table(
        "exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(50), nullable=False),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("created_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_exports"),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name="fk_exports_task_id_tasks"),
    )
    op.create_index("ix_exports_task_id", "exports", ["task_id"])


def downgrade() -> None:
    for table in ("exports", "comments", "review_events", "task_reviews", "users"):
        op.drop_table(table)
    for table in ACTOR_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("actor")

"""Answers keep the timeline window and the budget status (three nullable lead columns, b0069f2).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def added_columns() -> list[sa.Column]:
    """The new lead columns (also read by leaddb.migrations to recognise, in a database made
    before Alembic, whether this revision's change is already there)."""
    return [
        sa.Column("timeline_earliest_days", sa.Integer(), nullable=True),
        sa.Column("timeline_latest_days", sa.Integer(), nullable=True),
        sa.Column("budget_status", sa.String(length=16), nullable=True),
    ]


def upgrade() -> None:
    with op.batch_alter_table("leads") as batch_op:
        for column in added_columns():
            batch_op.add_column(column)


def downgrade() -> None:
    with op.batch_alter_table("leads") as batch_op:
        for column in reversed(added_columns()):
            batch_op.drop_column(column.name)

"""Dialogue experiments: the variant each lead was given, once per experiment.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A development database made by create_all() after the models gained this table, and
    # adopted at an earlier revision, has it already.
    if "lead_experiments" in set(sa.inspect(op.get_bind()).get_table_names()):
        return
    op.create_table(
        "lead_experiments",
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("experiment", sa.String(length=64), nullable=False),
        sa.Column("variant", sa.String(length=64), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("lead_id", "experiment"),
    )


def downgrade() -> None:
    op.drop_table("lead_experiments")

"""Rep link token versions (per meeting and per rep, for rotation) and the times offered in chat
(so only an offered time can be booked).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 14:40:24.740569
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Development builds between the last create_all release and this one could already have
    # these parts (such a database is adopted as 0002): add only what is missing.
    inspector = sa.inspect(op.get_bind())
    tables = set(inspector.get_table_names())
    if "rep_link_state" not in tables:
        op.create_table(
            "rep_link_state",
            sa.Column("rep_id", sa.String(length=64), nullable=False),
            sa.Column("feed_token_version", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("rep_id"),
        )
    if "offered_times" not in tables:
        op.create_table(
            "offered_times",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("lead_id", sa.Integer(), nullable=False),
            sa.Column("batch", sa.Integer(), nullable=False),
            sa.Column("position", sa.Integer(), nullable=False),
            sa.Column("rep_id", sa.String(length=64), nullable=False),
            sa.Column("start", sa.DateTime(timezone=True), nullable=False),
            sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("offered_times", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_offered_times_lead_id"), ["lead_id"], unique=False)
    if "invite_token_version" not in {column["name"] for column in inspector.get_columns("meetings")}:
        with op.batch_alter_table("meetings", schema=None) as batch_op:
            batch_op.add_column(sa.Column("invite_token_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_column("invite_token_version")
    with op.batch_alter_table("offered_times", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offered_times_lead_id"))
    op.drop_table("offered_times")
    op.drop_table("rep_link_state")

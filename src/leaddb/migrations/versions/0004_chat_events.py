"""Chat events streamed from Rasa's event broker (production profile), read by reporting and the console.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 17:41:00.393728
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A development database made by create_all() after the models gained this table, and
    # adopted at an earlier revision, has it already.
    if "chat_events" in set(sa.inspect(op.get_bind()).get_table_names()):
        return
    op.create_table(
        "chat_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=64), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_key"),
    )
    op.create_index("ix_chat_events_sender_time", "chat_events", ["sender_id", "occurred_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_chat_events_sender_time", table_name="chat_events")
    op.drop_table("chat_events")

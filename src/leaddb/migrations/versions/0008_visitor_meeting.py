"""The visitor's side of a meeting: the real iCalendar SEQUENCE, when the visitor chose the
time, and when its reminder went out.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TIME_COLUMNS = ("scheduled_at", "reminded_at")


def upgrade() -> None:
    # A development database made by create_all() after the models gained these, and adopted
    # at an earlier revision, has them already: add only what is missing.
    present = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("meetings")}
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        if "sequence" not in present:
            batch_op.add_column(sa.Column("sequence", sa.Integer(), server_default=sa.text("0"), nullable=False))
        for name in _TIME_COLUMNS:
            if name not in present:
                batch_op.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    if "sequence" not in present:
        # What calendars already hold: before this revision a decided or cancelled meeting's
        # event went out with SEQUENCE 1, a booked one with 0.
        op.execute("UPDATE meetings SET sequence = 1 WHERE status <> 'booked'")


def downgrade() -> None:
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        for name in reversed(_TIME_COLUMNS):
            batch_op.drop_column(name)
        batch_op.drop_column("sequence")

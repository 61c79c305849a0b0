"""The lead's country, as the visitor answered when routing needed it and the time zone did not tell.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A development database made by create_all() after the model gained the column, and
    # adopted at an earlier revision, has it already.
    if "country" in {column["name"] for column in sa.inspect(op.get_bind()).get_columns("leads")}:
        return
    with op.batch_alter_table("leads") as batch_op:
        batch_op.add_column(sa.Column("country", sa.String(length=2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("leads") as batch_op:
        batch_op.drop_column("country")

"""Routing facts on the lead: the company's web domain, its industry and where that came from.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def added_columns() -> list[sa.Column]:
    return [
        sa.Column("company_domain", sa.String(length=255), nullable=True),
        sa.Column("industry", sa.String(length=128), nullable=True),
        sa.Column("industry_source", sa.String(length=32), nullable=True),
    ]


def upgrade() -> None:
    # A development database made by create_all() after the models gained these, and adopted
    # at an earlier revision, has them already: add only what is missing.
    present = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("leads")}
    with op.batch_alter_table("leads") as batch_op:
        for column in added_columns():
            if column.name not in present:
                batch_op.add_column(column)


def downgrade() -> None:
    with op.batch_alter_table("leads") as batch_op:
        for column in reversed(added_columns()):
            batch_op.drop_column(column.name)

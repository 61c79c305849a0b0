"""SLAs and the console's meeting actions: when a meeting's rep got it and its SLA steps, who
answers a person request and its SLA steps, and the handoff audit (who did what, when, why).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 07:30:01.606730
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_MEETING_COLUMNS = ("assigned_at", "sla_reminded_at", "sla_lapsed_at")
_REQUEST_COLUMNS = (
    ("rep_id", sa.String(length=64)),
    ("queue", sa.String(length=64)),
    ("sla_reminded_at", sa.DateTime(timezone=True)),
    ("sla_escalated_at", sa.DateTime(timezone=True)),
    ("answered_at", sa.DateTime(timezone=True)),
    ("answered_by", sa.String(length=64)),
)


def upgrade() -> None:
    # A development database made by create_all() after the models gained these, and adopted
    # at an earlier revision, has them already: add only what is missing.
    inspector = sa.inspect(op.get_bind())
    if "handoff_audit" not in set(inspector.get_table_names()):
        op.create_table(
            "handoff_audit",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("lead_id", sa.Integer(), nullable=False),
            sa.Column("meeting_id", sa.Integer(), nullable=True),
            sa.Column("person_request_id", sa.Integer(), nullable=True),
            sa.Column("action", sa.String(length=32), nullable=False),
            sa.Column("actor", sa.String(length=64), nullable=False),
            sa.Column("rep_id", sa.String(length=64), nullable=True),
            sa.Column("to_rep_id", sa.String(length=64), nullable=True),
            sa.Column("reason", sa.Text(), nullable=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("handoff_audit", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_handoff_audit_lead_id"), ["lead_id"], unique=False)
            batch_op.create_index(batch_op.f("ix_handoff_audit_meeting_id"), ["meeting_id"], unique=False)
    meeting_columns = {column["name"] for column in inspector.get_columns("meetings")}
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        for name in _MEETING_COLUMNS:
            if name not in meeting_columns:
                batch_op.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    request_columns = {column["name"] for column in inspector.get_columns("person_requests")}
    with op.batch_alter_table("person_requests", schema=None) as batch_op:
        for name, kind in _REQUEST_COLUMNS:
            if name not in request_columns:
                batch_op.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("person_requests", schema=None) as batch_op:
        for name, _ in reversed(_REQUEST_COLUMNS):
            batch_op.drop_column(name)
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        for name in reversed(_MEETING_COLUMNS):
            batch_op.drop_column(name)
    with op.batch_alter_table("handoff_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoff_audit_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_handoff_audit_lead_id"))
    op.drop_table("handoff_audit")

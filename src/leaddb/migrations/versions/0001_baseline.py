"""Baseline: the lead database as `create_all()` made it before Alembic, up to commit b0069f2^.

Revision ID: 0001
Revises:
Create Date: 2026-12-02

Written out in full, not imported from the models, so it stays what it was when the models
change. Datetime columns are the models' UTCDateTime, which is stored as DateTime(timezone=True).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

HOLDS_ITS_TIME = sa.text("status IN ('booked', 'accepted')")


def utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("visitor_id", sa.String(length=128), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("referrer", sa.Text(), nullable=True),
        sa.Column("utm_source", sa.String(length=255), nullable=True),
        sa.Column("utm_medium", sa.String(length=255), nullable=True),
        sa.Column("utm_campaign", sa.String(length=255), nullable=True),
        sa.Column("utm_term", sa.String(length=255), nullable=True),
        sa.Column("utm_content", sa.String(length=255), nullable=True),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.Column("occurred_at", utc(), nullable=False),
        sa.Column("received_at", utc(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("visitor_id", "event_id"),
    )
    op.create_table(
        "leads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visitor_id", sa.String(length=128), nullable=False),
        sa.Column("created_at", utc(), nullable=False),
        sa.Column("updated_at", utc(), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("need", sa.Text(), nullable=True),
        sa.Column("timeline_days", sa.Integer(), nullable=True),
        sa.Column("timeline_open_ended", sa.Boolean(), nullable=True),
        sa.Column("authority", sa.String(length=32), nullable=True),
        sa.Column("budget_amount", sa.Float(), nullable=True),
        sa.Column("budget_currency", sa.String(length=3), nullable=True),
        sa.Column("budget_period", sa.String(length=16), nullable=True),
        sa.Column("company", sa.String(length=255), nullable=True),
        sa.Column("company_size", sa.Integer(), nullable=True),
        sa.Column("person_name", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("email_domain", sa.String(length=255), nullable=True),
        sa.Column("email_is_free_mail", sa.Boolean(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("tier", sa.String(length=16), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=True),
        sa.Column("decided_at", utc(), nullable=True),
        sa.Column("handoff_requested_at", utc(), nullable=True),
        sa.Column("stopped_at", utc(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_leads_visitor_id", "leads", ["visitor_id"], unique=True)
    op.create_table(
        "named_locks",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("times_taken", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=1024), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", utc(), nullable=False),
        sa.Column("claimed_until", utc(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", utc(), nullable=False),
        sa.Column("sent_at", utc(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at"], unique=False)
    op.create_table(
        "round_robin_weights",
        sa.Column("pool", sa.String(length=64), nullable=False),
        sa.Column("rep_id", sa.String(length=64), nullable=False),
        sa.Column("current", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("pool", "rep_id"),
    )
    op.create_table(
        "lead_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.String(length=64), nullable=False),
        sa.Column("raw_text", sa.Text(), nullable=True),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", utc(), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_lead_answers_lead_id", "lead_answers", ["lead_id"], unique=False)
    op.create_table(
        "lead_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.String(length=64), nullable=True),
        sa.Column("queue", sa.String(length=64), nullable=True),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("created_at", utc(), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_lead_assignments_lead_id", "lead_assignments", ["lead_id"], unique=False)
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.String(length=64), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("start", utc(), nullable=False),
        sa.Column("end", utc(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", utc(), nullable=False),
        sa.Column("decided_at", utc(), nullable=True),
        sa.Column("ics_uid", sa.String(length=128), nullable=False),
        sa.Column("decision_token_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ics_uid"),
    )
    op.create_index("ix_meetings_lead_id", "meetings", ["lead_id"], unique=False)
    op.create_index("ix_meetings_rep_id", "meetings", ["rep_id"], unique=False)
    # Exactly one holding meeting per rep and start time.
    op.create_index(
        "uq_meetings_rep_start_holding",
        "meetings",
        ["rep_id", "start"],
        unique=True,
        sqlite_where=HOLDS_ITS_TIME,
        postgresql_where=HOLDS_ITS_TIME,
    )
    op.create_table(
        "person_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("created_at", utc(), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_person_requests_lead_id", "person_requests", ["lead_id"], unique=False)
    op.create_table(
        "qualification_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("created_at", utc(), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_qualification_decisions_lead_id", "qualification_decisions", ["lead_id"], unique=False)
    op.create_table(
        "stage_transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("from_stage", sa.String(length=32), nullable=True),
        sa.Column("to_stage", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", utc(), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_stage_transitions_lead_id", "stage_transitions", ["lead_id"], unique=False)


def downgrade() -> None:
    for table in (
        "stage_transitions",
        "qualification_decisions",
        "person_requests",
        "meetings",
        "lead_assignments",
        "lead_answers",
        "round_robin_weights",
        "outbox",
        "named_locks",
        "leads",
        "events",
    ):
        op.drop_table(table)  # their indexes go with them

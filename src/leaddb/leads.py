"""Leads: who the visitor is, what they answered, what was decided and when."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import relationship

from .base import Base, UTCDateTime, utcnow

# Lifecycle stages, in the order a lead normally moves through them.
STAGES = (
    "visitor",  # chatting, nothing decided yet
    "unqualified",
    "mql",
    "sql",
    "meeting_booked",
    "accepted",
    "opportunity",  # from the CRM (callback) or marked by hand in the console
    "won",
    "rejected",
    "nurture",
    "stopped",  # left the conversation; everything said is kept
)


class Lead(Base):
    __tablename__ = "leads"

    id = Column(Integer, primary_key=True)
    # The chat sender id, which is also the tracker.js visitor id.
    visitor_id = Column(String(128), nullable=False, unique=True, index=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    stage = Column(String(32), nullable=False, default="visitor")

    # Normalised answers; the raw text of each lives in LeadAnswer.
    need = Column(Text)
    timeline_days = Column(Integer)
    timeline_earliest_days = Column(Integer)  # the window a timeline answer allows
    timeline_latest_days = Column(Integer)
    timeline_open_ended = Column(Boolean)  # answered "just researching": no date
    authority = Column(String(32))
    budget_amount = Column(Float)
    budget_currency = Column(String(3))
    budget_period = Column(String(16))
    budget_status = Column(String(16))  # approved | pending | none | unstated
    company = Column(String(255))
    company_size = Column(Integer)
    person_name = Column(String(255))
    email = Column(String(320))
    email_domain = Column(String(255))
    email_is_free_mail = Column(Boolean)
    timezone = Column(String(64))
    # Routing facts derived before routing (handoff.company): the company's registrable web
    # domain, and its industry with where that came from ("domain table", "suffix rule", ...).
    company_domain = Column(String(255))
    industry = Column(String(128))
    industry_source = Column(String(32))
    country = Column(String(2))  # ISO 3166 alpha-2, as the visitor answered when routing asked

    tier = Column(String(16))
    score = Column(Float)
    reasons = Column(JSON)
    decided_at = Column(UTCDateTime)
    # When the visitor last asked for a person (see PersonRequest). The column keeps its first
    # name from before migrations (renaming it now takes a revision in leaddb/migrations).
    handoff_requested_at = Column(UTCDateTime)
    stopped_at = Column(UTCDateTime)

    answers = relationship("LeadAnswer", back_populates="lead", order_by="LeadAnswer.id")
    decisions = relationship("QualificationDecision", back_populates="lead", order_by="QualificationDecision.id")
    transitions = relationship("StageTransition", back_populates="lead", order_by="StageTransition.id")


class LeadAnswer(Base):
    """Every answer as typed, with what it was understood as (append-only history)."""

    __tablename__ = "lead_answers"

    id = Column(Integer, primary_key=True)
    lead_id = Column(Integer, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False, index=True)
    slot = Column(String(64), nullable=False)
    raw_text = Column(Text)
    value = Column(JSON)  # the normalised fields, or null when not understood
    status = Column(String(16), nullable=False)  # ok | unknown | invalid | uncertain or skipped (kept after two asks)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    lead = relationship("Lead", back_populates="answers")


class QualificationDecision(Base):
    __tablename__ = "qualification_decisions"

    id = Column(Integer, primary_key=True)
    lead_id = Column(Integer, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False, index=True)
    tier = Column(String(16), nullable=False)
    score = Column(Float, nullable=False)
    reasons = Column(JSON, nullable=False)  # sentences a sales rep can read
    parts = Column(JSON, nullable=False)  # [{rule, points, group, detail}]
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    lead = relationship("Lead", back_populates="decisions")


class StageTransition(Base):
    __tablename__ = "stage_transitions"

    id = Column(Integer, primary_key=True)
    lead_id = Column(Integer, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False, index=True)
    from_stage = Column(String(32))
    to_stage = Column(String(32), nullable=False)
    reason = Column(Text)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    lead = relationship("Lead", back_populates="transitions")


class PersonRequest(Base):
    """A visitor asked to talk to a person (or for a callback); someone must pick it up."""

    __tablename__ = "person_requests"

    id = Column(Integer, primary_key=True)
    lead_id = Column(Integer, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False, index=True)
    message = Column(Text)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    # Who was asked to answer: the routed rep, else a roster queue (null for rows before 0005).
    rep_id = Column(String(64))
    queue = Column(String(64))
    # SLA steps (set once each with a conditional UPDATE) and the answer that ends the SLA.
    sla_reminded_at = Column(UTCDateTime)
    sla_escalated_at = Column(UTCDateTime)
    answered_at = Column(UTCDateTime)
    answered_by = Column(String(64))

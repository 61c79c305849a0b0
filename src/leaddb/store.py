"""Reading and writing leads. Every write is its own transaction, so a visitor who leaves
halfway through the conversation is still a lead with everything they said."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .base import make_engine, make_session_factory, retry_when_database_is_away, session_scope, utcnow
from .leads import STAGES, Lead, LeadAnswer, QualificationDecision, StageTransition
from .meetings import Meeting
from .migrations import ensure_schema

# Lead columns an answer may set (the normalised fields of each form slot).
ANSWER_COLUMNS = frozenset(
    {
        "need",
        "timeline_days",
        "timeline_earliest_days",
        "timeline_latest_days",
        "timeline_open_ended",
        "authority",
        "budget_amount",
        "budget_currency",
        "budget_period",
        "budget_status",
        "company",
        "company_size",
        "person_name",
        "email",
        "email_domain",
        "email_is_free_mail",
        "timezone",
        "country",
        "industry",
        "industry_source",
    }
)


def move_stage(session: Session, lead: Lead, to_stage: str, reason: str) -> None:
    """Change a lead's stage and keep the transition, so conversion rates and velocity can be
    computed later. Moving to the stage it is in records nothing."""
    if to_stage not in STAGES:
        raise ValueError(f"unknown stage {to_stage!r}")
    if lead.stage == to_stage:
        return
    session.add(StageTransition(lead_id=lead.id, from_stage=lead.stage, to_stage=to_stage, reason=reason))
    lead.stage = to_stage


def lead_as_dict(lead: Lead) -> dict[str, Any]:
    return {column.name: getattr(lead, column.name) for column in Lead.__table__.columns}


class LeadStore:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._sessions = make_session_factory(engine)

    @classmethod
    def from_url(cls, url: str, migrate: bool = True) -> LeadStore:
        store = cls(make_engine(url))
        if migrate:
            store.migrate()
        return store

    def migrate(self) -> None:
        """Bring the schema to the head revision (one query when it is there already)."""
        ensure_schema(self.engine)

    create_tables = migrate  # the name from before migrations, for callers not yet renamed

    def session(self):
        return session_scope(self._sessions)

    # -- leads ---------------------------------------------------------------------------

    def _lead(self, session: Session, visitor_id: str) -> Lead:
        lead = session.execute(select(Lead).where(Lead.visitor_id == visitor_id)).scalar_one_or_none()
        if lead is None:
            lead = Lead(visitor_id=visitor_id, stage="visitor")
            session.add(lead)
            session.flush()
        return lead

    @retry_when_database_is_away
    def ensure_lead(self, visitor_id: str) -> None:
        """Register a visitor as a lead at their first message, before they answer anything."""
        with self.session() as session:
            self._lead(session, visitor_id)

    def get_lead(self, visitor_id: str) -> dict[str, Any] | None:
        with self.session() as session:
            lead = session.execute(select(Lead).where(Lead.visitor_id == visitor_id)).scalar_one_or_none()
            return lead_as_dict(lead) if lead else None

    def answers(self, visitor_id: str) -> list[dict[str, Any]]:
        with self.session() as session:
            rows = session.execute(
                select(LeadAnswer).join(Lead).where(Lead.visitor_id == visitor_id).order_by(LeadAnswer.id)
            ).scalars()
            return [
                {"slot": a.slot, "raw_text": a.raw_text, "value": a.value, "status": a.status, "at": a.created_at}
                for a in rows
            ]

    @retry_when_database_is_away
    def record_answer(
        self,
        visitor_id: str,
        slot: str,
        raw_text: str | None,
        fields: dict[str, Any] | None,
        status: str = "ok",
    ) -> None:
        """Keep the raw answer and, when understood, copy its normalised fields onto the lead."""
        unknown = set(fields or {}) - ANSWER_COLUMNS
        if unknown:
            raise ValueError(f"not lead answer columns: {sorted(unknown)}")
        with self.session() as session:
            lead = self._lead(session, visitor_id)
            session.add(LeadAnswer(lead_id=lead.id, slot=slot, raw_text=raw_text, value=fields, status=status))
            for column, value in (fields or {}).items():
                setattr(lead, column, value)

    def decisions(self, visitor_id: str) -> list[dict[str, Any]]:
        """Every tier decision made for the visitor, oldest first."""
        with self.session() as session:
            rows = session.execute(
                select(QualificationDecision)
                .join(Lead)
                .where(Lead.visitor_id == visitor_id)
                .order_by(QualificationDecision.id)
            ).scalars()
            return [{"tier": d.tier, "score": d.score, "reasons": list(d.reasons or [])} for d in rows]

    def meetings(self, visitor_id: str) -> list[dict[str, Any]]:
        """The visitor's meetings, whatever their status, oldest first."""
        with self.session() as session:
            rows = session.execute(
                select(Meeting).join(Lead, Lead.id == Meeting.lead_id).where(Lead.visitor_id == visitor_id)
            ).scalars()
            return [
                {"id": m.id, "rep_id": m.rep_id, "start": m.start, "status": m.status, "reason": m.reason}
                for m in sorted(rows, key=lambda m: m.id)
            ]

    @retry_when_database_is_away
    def set_fields(self, visitor_id: str, **fields: Any) -> None:
        """Set lead columns that are not answers to a question (for example the timezone)."""
        unknown = set(fields) - ANSWER_COLUMNS
        if unknown:
            raise ValueError(f"not settable lead columns: {sorted(unknown)}")
        with self.session() as session:
            lead = self._lead(session, visitor_id)
            for column, value in fields.items():
                setattr(lead, column, value)

    @retry_when_database_is_away
    def record_decision(
        self, visitor_id: str, tier: str, score: float, reasons: Iterable[str], parts: Iterable[dict]
    ) -> None:
        reasons, parts = list(reasons), list(parts)
        with self.session() as session:
            lead = self._lead(session, visitor_id)
            session.add(QualificationDecision(lead_id=lead.id, tier=tier, score=score, reasons=reasons, parts=parts))
            lead.tier, lead.score, lead.reasons, lead.decided_at = tier, score, reasons, utcnow()
            move_stage(session, lead, tier, reason="; ".join(reasons[:3]))

    def change_stage(self, visitor_id: str, to_stage: str, reason: str = "") -> None:
        with self.session() as session:
            move_stage(session, self._lead(session, visitor_id), to_stage, reason)

    @retry_when_database_is_away
    def record_stop(self, visitor_id: str, message: str | None) -> None:
        with self.session() as session:
            lead = self._lead(session, visitor_id)
            lead.stopped_at = utcnow()
            if lead.tier is None:
                move_stage(session, lead, "stopped", reason=f"visitor stopped: {message or ''}".strip())

    def transitions(self, visitor_id: str) -> list[tuple[str | None, str]]:
        with self.session() as session:
            rows = session.execute(
                select(StageTransition).join(Lead).where(Lead.visitor_id == visitor_id).order_by(StageTransition.id)
            ).scalars()
            return [(t.from_stage, t.to_stage) for t in rows]

"""What the console reads from the lead database (blocking; views call it in a thread)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select

from leaddb import LeadStore
from leaddb.chat_events import transcript
from leaddb.events import Event
from leaddb.leads import Lead, LeadAnswer, PersonRequest, QualificationDecision, StageTransition
from leaddb.meetings import HandoffAudit, LeadAssignment, Meeting


def _owners(session, lead_ids: list[int] | None = None) -> dict[int, str | None]:
    """Each lead's current rep: the rep of its latest assignment."""
    latest = select(LeadAssignment.lead_id, func.max(LeadAssignment.id).label("id")).group_by(LeadAssignment.lead_id)
    if lead_ids is not None:
        latest = latest.where(LeadAssignment.lead_id.in_(lead_ids))
    ids = [row.id for row in session.execute(latest)]
    rows = session.execute(select(LeadAssignment.lead_id, LeadAssignment.rep_id).where(LeadAssignment.id.in_(ids)))
    return dict(rows.all())


def list_leads(
    store: LeadStore, rep_id: str | None, query: str = "", stage: str = "", limit: int = 200
) -> list[dict[str, Any]]:
    """Newest first; `rep_id` limits to that rep's leads (None: everyone's)."""
    with store.session() as session:
        owners = _owners(session)
        statement = select(Lead).order_by(Lead.created_at.desc(), Lead.id.desc())
        if query:
            like = f"%{query}%"
            statement = statement.where(
                or_(Lead.company.ilike(like), Lead.person_name.ilike(like), Lead.email.ilike(like))
            )
        if stage:
            statement = statement.where(Lead.stage == stage)
        if rep_id is not None:
            statement = statement.where(Lead.id.in_([i for i, rep in owners.items() if rep == rep_id]))
        return [
            {
                "id": lead.id,
                "created_at": lead.created_at.isoformat(),
                "stage": lead.stage,
                "company": lead.company,
                "person_name": lead.person_name,
                "email": lead.email,
                "tier": lead.tier,
                "score": lead.score,
                "rep_id": owners.get(lead.id),
            }
            for lead in session.scalars(statement.limit(limit))
        ]


def lead_owner(store: LeadStore, lead_id: int) -> tuple[bool, str | None]:
    """(exists, current rep)."""
    with store.session() as session:
        if session.get(Lead, lead_id) is None:
            return False, None
        return True, _owners(session, [lead_id]).get(lead_id)


def meeting_owner(store: LeadStore, meeting_id: int) -> tuple[int, str] | None:
    """(lead id, the meeting's rep), or None when there is no such meeting."""
    with store.session() as session:
        meeting = session.get(Meeting, meeting_id)
        return (meeting.lead_id, meeting.rep_id) if meeting else None


def request_owner(store: LeadStore, request_id: int) -> tuple[int, str | None] | None:
    """(lead id, the rep asked), or None when there is no such person request."""
    with store.session() as session:
        request = session.get(PersonRequest, request_id)
        return (request.lead_id, request.rep_id) if request else None


def lead_detail(store: LeadStore, lead_id: int) -> dict[str, Any] | None:
    with store.session() as session:
        lead = session.get(Lead, lead_id)
        if lead is None:
            return None
        fields = (
            *("stage", "company", "company_size", "person_name", "email", "need", "authority", "timezone"),
            *("timeline_days", "budget_amount", "budget_currency", "budget_period", "budget_status"),
        )
        events = session.scalars(select(Event).where(Event.visitor_id == lead.visitor_id).order_by(Event.occurred_at))
        return {
            "id": lead.id,
            "visitor_id": lead.visitor_id,
            "created_at": lead.created_at.isoformat(),
            "tier": lead.tier,
            "score": lead.score,
            "reasons": lead.reasons or [],
            "normalised": {name: getattr(lead, name) for name in fields},
            "answers": [
                {
                    "slot": a.slot,
                    "raw_text": a.raw_text,
                    "value": a.value,
                    "status": a.status,
                    "at": a.created_at.isoformat(),
                }
                for a in session.scalars(
                    select(LeadAnswer).where(LeadAnswer.lead_id == lead.id).order_by(LeadAnswer.id)
                )
            ],
            "score_parts": [
                part
                for d in session.scalars(
                    select(QualificationDecision)
                    .where(QualificationDecision.lead_id == lead.id)
                    .order_by(QualificationDecision.id.desc())
                    .limit(1)
                )
                for part in d.parts
            ],
            "timeline": [{"type": e.type, "url": e.url, "at": e.occurred_at.isoformat()} for e in events],
            "routing": [
                {
                    "rep_id": a.rep_id,
                    "queue": a.queue,
                    "rule": a.rule,
                    "reasons": a.reasons,
                    "at": a.created_at.isoformat(),
                }
                for a in session.scalars(
                    select(LeadAssignment).where(LeadAssignment.lead_id == lead.id).order_by(LeadAssignment.id)
                )
            ],
            "meetings": [
                {"id": m.id, "rep_id": m.rep_id, "start": m.start.isoformat(), "status": m.status, "reason": m.reason}
                for m in session.scalars(select(Meeting).where(Meeting.lead_id == lead.id).order_by(Meeting.id))
            ],
            "person_requests": [
                {
                    "id": r.id,
                    "message": r.message,
                    "at": r.created_at.isoformat(),
                    "asked": r.rep_id or r.queue,
                    "answered_at": r.answered_at.isoformat() if r.answered_at else None,
                    "answered_by": r.answered_by,
                }
                for r in session.scalars(
                    select(PersonRequest).where(PersonRequest.lead_id == lead.id).order_by(PersonRequest.id)
                )
            ],
            # Who accepted, rejected, reassigned or answered, and each SLA step.
            "actions": [
                {
                    "action": a.action,
                    "actor": a.actor,
                    "rep_id": a.rep_id,
                    "to_rep_id": a.to_rep_id,
                    "reason": a.reason,
                    "at": a.created_at.isoformat(),
                }
                for a in session.scalars(
                    select(HandoffAudit).where(HandoffAudit.lead_id == lead.id).order_by(HandoffAudit.id)
                )
            ],
            # Streamed by the production profile's event broker (empty in the embedded profile).
            "transcript": [
                {"who": line["who"], "text": line["text"], "at": line["at"].isoformat()}
                for line in transcript(store.engine, lead.visitor_id)
            ],
            "stages": [
                {"from": t.from_stage, "to": t.to_stage, "reason": t.reason, "at": t.created_at.isoformat()}
                for t in session.scalars(
                    select(StageTransition).where(StageTransition.lead_id == lead.id).order_by(StageTransition.id)
                )
            ],
        }

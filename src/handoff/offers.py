"""The meeting times offered to a visitor, kept in the lead database, and the booking gate.

The chat books only a time that was offered to this visitor in this conversation (the
conversation is the visitor: the chat sender id), with the rep it was offered for, and only
for a lead whose stored decision is SQL. Slots cannot decide any of it: a chat client can set
them to anything.

    record_offer(db, visitor_id, rep_id, times, now)   # when the buttons are shown
    current_offer(db, visitor_id)       # -> Offer(rep_id, starts, batch) | None: the newest one
    offered_rep(db, visitor_id, start)  # -> the rep `start` was offered with, or None
    may_book(lead)                      # only an SQL (by the lead row) may see times or book
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select

from leaddb import LeadStore
from leaddb.leads import Lead
from leaddb.meetings import OfferedTime

from .db import lead_for
from .meeting_times import MeetingTime


@dataclass(frozen=True)
class Offer:
    """One offer as shown: the rep and the start times (aware UTC) in button order."""

    rep_id: str
    starts: tuple[datetime, ...]
    batch: int

    @property
    def payloads(self) -> list[str]:
        return [start.astimezone(timezone.utc).isoformat() for start in self.starts]


def may_book(lead: dict | None) -> bool:
    """Only a sales-qualified lead is offered times or books a meeting; the tier is the stored
    decision's (the lead row), never a value the chat client could have set."""
    return lead is not None and lead.get("tier") == "sql"


def record_offer(db: LeadStore, visitor_id: str, rep_id: str, times: Sequence[MeetingTime], now: datetime) -> int:
    """Keep the times just shown to the visitor as one new offer; returns its batch number."""
    with db.session() as session:
        lead = lead_for(session, visitor_id)
        last = session.execute(
            select(func.max(OfferedTime.batch)).where(OfferedTime.lead_id == lead.id)
        ).scalar_one_or_none()
        batch = (last or 0) + 1
        for position, meeting_time in enumerate(times):
            session.add(
                OfferedTime(
                    lead_id=lead.id,
                    batch=batch,
                    position=position,
                    rep_id=rep_id,
                    start=meeting_time.start.astimezone(timezone.utc),
                    offered_at=now,
                )
            )
        return batch


def current_offer(db: LeadStore, visitor_id: str) -> Offer | None:
    """The newest offer shown to the visitor, or None if they were never offered a time."""
    with db.session() as session:
        rows = list(
            session.execute(
                select(OfferedTime)
                .join(Lead, Lead.id == OfferedTime.lead_id)
                .where(Lead.visitor_id == visitor_id)
                .order_by(OfferedTime.batch.desc(), OfferedTime.position)
            ).scalars()
        )
    if not rows:
        return None
    newest = [row for row in rows if row.batch == rows[0].batch]
    return Offer(newest[0].rep_id, tuple(row.start for row in newest), newest[0].batch)


def offered_rep(db: LeadStore, visitor_id: str, start: datetime) -> str | None:
    """The rep with whom `start` was offered to this visitor (the newest such offer), or None
    when it was never offered to them. Times are compared as UTC instants."""
    if start.tzinfo is None:
        return None
    start = start.astimezone(timezone.utc)
    with db.session() as session:
        return session.execute(
            select(OfferedTime.rep_id)
            .join(Lead, Lead.id == OfferedTime.lead_id)
            .where(Lead.visitor_id == visitor_id, OfferedTime.start == start)
            .order_by(OfferedTime.batch.desc())
            .limit(1)
        ).scalar_one_or_none()

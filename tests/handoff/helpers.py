"""Small helpers shared by the handoff tests."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from handoff.db import lead_for
from leaddb import LeadStore
from leaddb.meetings import Meeting


def add_meeting(store: LeadStore, rep_id: str, start: datetime, created_at: datetime, minutes: int = 30) -> int:
    """A booked meeting written directly, to set up a calendar."""
    with store.session() as session:
        lead = lead_for(session, f"visitor-{uuid.uuid4().hex[:8]}")
        meeting = Meeting(
            rep_id=rep_id,
            lead_id=lead.id,
            start=start,
            end=start + timedelta(minutes=minutes),
            status="booked",
            created_at=created_at,
            ics_uid=f"{uuid.uuid4()}@test",
            decision_token_hash="0" * 64,
        )
        session.add(meeting)
        session.flush()
        return meeting.id

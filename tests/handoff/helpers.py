"""Small helpers shared by the handoff tests."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta, timezone

from handoff import Roster
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


def fill_every_day(store: LeadStore, roster: Roster, rep_id: str, now: datetime) -> None:
    """Book the rep up to the daily cap on every local day of the booking horizon (afternoons,
    one hour apart), all booked `now`."""
    rep = roster.rep(rep_id)
    today = now.astimezone(rep.zone).date()
    for offset in range(roster.meetings.horizon.days + 1):
        day = today + timedelta(days=offset)
        for hour in range(13, 13 + rep.daily_meeting_cap):
            start = datetime.combine(day, time(hour), tzinfo=rep.zone).astimezone(timezone.utc)
            add_meeting(store, rep_id, start, created_at=now)

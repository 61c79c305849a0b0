"""Moving a booked meeting to another rep: by a manager in the console, or by the SLA check
when the rep let it lapse. The visitor keeps the time (and their invite link: the meeting row
stays, with the new rep); the new rep gets the booking email with a fresh accept/reject token
and the invite, the old rep a cancellation (METHOD:CANCEL) of theirs, and the visitor the updated
invite (organiser: the new rep) with their reschedule and cancel links."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from leaddb import LeadStore, utcnow
from leaddb.chat_events import transcript
from leaddb.leads import Lead
from leaddb.meetings import Meeting

from .booking import DecisionRefused, _hash, _meeting_for
from .db import take_lock, write_audit
from .ics import meeting_invite
from .meeting_times import MeetingTime, clashing_meeting, day_is_full, format_meeting_time
from .notify import Notifications, enqueue_booking_news, enqueue_visitor_news, who_is
from .outbox import enqueue
from .roster import Rep, Roster
from .routing import RoutingDecision, record_assignment


@dataclass(frozen=True)
class Reassignment:
    meeting_id: int
    from_rep: str
    to_rep: str


def can_take(session: Session, roster: Roster, rep: Rep, meeting: Meeting) -> bool:
    """Whether `rep` could hold this meeting's time: active, at work for all of it, no other
    meeting within the buffer, and their day not at the cap."""
    if not rep.active or rep.id == meeting.rep_id:
        return False
    local_day = meeting.start.astimezone(rep.zone).date()
    at_work = any(
        datetime.combine(local_day, opens, rep.zone) <= meeting.start
        and meeting.end <= datetime.combine(local_day, closes, rep.zone)
        for opens, closes in rep.working_hours.get(local_day.weekday(), ())
    )
    if not at_work:
        return False
    meeting_time = MeetingTime(meeting.start, meeting.end)
    if clashing_meeting(session, rep, meeting_time, roster.meetings.buffer, meeting.id) is not None:
        return False
    return not day_is_full(session, rep, local_day, meeting.id)


def eligible_reps(db: LeadStore, roster: Roster, meeting_id: int) -> list[Rep]:
    """The reps a manager may move the meeting to (for the console's choice)."""
    with db.session() as session:
        meeting = session.get(Meeting, meeting_id)
        if meeting is None or meeting.status != "booked":
            return []
        return [rep for rep in roster.reps.values() if can_take(session, roster, rep, meeting)]


def reassign_meeting(
    db: LeadStore,
    meeting_id: int,
    to_rep_id: str,
    actor: str,
    reason: str | None,
    roster: Roster,
    now: datetime | None = None,
    notifications: Notifications | None = None,
) -> Reassignment:
    """A manager moves a booked meeting to `to_rep_id`; raises DecisionRefused (not_found |
    reason_required | not_booked | not_eligible)."""
    now = now or utcnow()
    reason = (reason or "").strip() or None
    if not reason:
        raise DecisionRefused("reason_required", "a reassignment needs a reason")
    with db.session() as session:
        meeting = _meeting_for(session, meeting_id, None)
        if to_rep_id not in roster.reps:
            raise DecisionRefused("not_eligible", f"{to_rep_id!r} is not a rep on the roster")
        new_rep, old_rep_id = roster.reps[to_rep_id], meeting.rep_id
        move_meeting(session, meeting, new_rep, roster, now, notifications)
        decision = RoutingDecision(new_rep.id, "reassigned", (f"reassigned by {actor}: {reason}",))
        record_assignment(session, meeting.lead_id, decision, now)
        write_audit(
            session,
            meeting.lead_id,
            "reassigned",
            actor,
            now,
            rep_id=old_rep_id,
            to_rep_id=new_rep.id,
            meeting_id=meeting.id,
            reason=reason,
        )
        return Reassignment(meeting.id, old_rep_id, new_rep.id)


def move_meeting(
    session: Session,
    meeting: Meeting,
    new_rep: Rep,
    roster: Roster,
    now: datetime,
    notifications: Notifications | None,
) -> None:
    """Give the booked meeting to `new_rep` in the caller's transaction, and queue the emails.
    The caller writes the routing audit. Raises DecisionRefused (not_booked | not_eligible)."""
    take_lock(session, f"booking:{new_rep.id}")  # as a booking does: no double-booking race
    session.refresh(meeting)
    if meeting.status != "booked":
        raise DecisionRefused("not_booked", f"only a booked meeting can be reassigned; this one is {meeting.status}")
    if meeting.start <= now:
        raise DecisionRefused("not_booked", "this meeting has already started")
    if not can_take(session, roster, new_rep, meeting):
        raise DecisionRefused(
            "not_eligible", f"{new_rep.name} cannot take this meeting (inactive, not at work, busy or fully booked)"
        )
    old_rep = roster.rep(meeting.rep_id)
    lead = session.get(Lead, meeting.lead_id)
    token = secrets.token_urlsafe(24)
    session.execute(
        update(Meeting)
        .where(Meeting.id == meeting.id)
        .values(
            rep_id=new_rep.id,
            decision_token_hash=_hash(token),
            assigned_at=now,
            sla_reminded_at=None,
            sla_lapsed_at=None,
            sequence=Meeting.sequence + 1,  # the old rep's cancellation and the new invite revise it
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(meeting)
    cancelled = Meeting(  # the old rep's copy of the event, never stored: what their calendar drops
        **{column.name: getattr(meeting, column.name) for column in Meeting.__table__.columns},
    )
    cancelled.status, cancelled.reason, cancelled.decided_at = "cancelled", f"reassigned to {new_rep.name}", now
    if notifications is None:
        return
    lines = [(line["who"], line["text"]) for line in transcript(session.get_bind(), lead.visitor_id)]
    enqueue_booking_news(session, notifications, new_rep, meeting, lead, token, lines, now)
    # Same row, same time: the visitor's links keep working; their invite gets the new organiser.
    enqueue_visitor_news(session, notifications, "reassigned", new_rep, meeting, lead, now)
    if notifications.email_reps:
        when = format_meeting_time(MeetingTime(meeting.start, meeting.end), old_rep.timezone)
        enqueue(
            session,
            "email",
            old_rep.email,
            {
                "subject": f"Cancelled: {who_is(lead)} – {when} (now with {new_rep.name})",
                "text": (
                    f"Hi {old_rep.name.split()[0]},\n\n"
                    f"The meeting with {who_is(lead)} on {when} ({old_rep.timezone}) has been moved to "
                    f"{new_rep.name}. You need do nothing; the attached cancellation removes it from your calendar.\n"
                ),
                "attachments": [
                    {
                        "filename": "cancel.ics",
                        "content_type": "text/calendar",
                        "method": "CANCEL",
                        "content": meeting_invite(cancelled, old_rep, lead, "CANCEL"),
                    }
                ],
            },
            now,
        )

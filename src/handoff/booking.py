"""Booking a meeting, and the rep accepting or rejecting the lead.

Racing bookings of one time are settled by the database: a unique index on (rep_id, start)
over holding meetings lets exactly one INSERT win; the others get `TimeTaken`. Buffers and the
daily cap involve other rows, so they are checked after the insert under the rep's booking
lock, which makes concurrent bookings of different times for one rep take turns.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leaddb import LeadStore, utcnow
from leaddb.leads import Lead
from leaddb.meetings import HOLDING_STATUSES, Meeting

from .db import lead_for, move_stage, take_lock, write_audit
from .facts import LeadFacts
from .meeting_times import MeetingTime, clashing_meeting, day_is_full, format_meeting_time, is_offerable
from .notify import (
    Notifications,
    Transcript,
    enqueue_booking_news,
    enqueue_crm_push,
    enqueue_rep_news,
    enqueue_visitor_news,
)
from .nurture import NurtureConfig, Track, choose_track, enqueue_enrolment
from .roster import Roster


@dataclass(frozen=True)
class Booking:
    meeting_id: int
    rep_id: str
    visitor_id: str
    start: datetime
    end: datetime
    ics_uid: str
    # The rep's accept/reject token, in plain text only here (the database keeps its hash).
    decision_token: str


@dataclass(frozen=True)
class TimeTaken:
    """The time was open when offered but is gone now: offer fresh times."""

    rep_id: str
    start: datetime
    reason: str


@dataclass(frozen=True)
class TimeNotOffered:
    """Not a time this rep's meeting times would ever include now (bad or stale payload)."""

    rep_id: str
    start: datetime
    reason: str


@dataclass(frozen=True)
class UpcomingMeeting:
    """The meeting a visitor already holds: a returning visitor is greeted for it, not qualified again."""

    meeting_id: int
    rep_id: str
    start: datetime
    end: datetime
    visitor_has_email: bool = False  # their confirmation, with the change and cancel links, went there


BookingResult = Booking | TimeTaken | TimeNotOffered


class _Clash(Exception):
    """Rolls the booking back: it collides with another meeting or a full day."""


def upcoming_meeting(db: LeadStore, visitor_id: str, now: datetime) -> UpcomingMeeting | None:
    """The visitor's booked or accepted meeting that has not started yet, if any."""
    with db.session() as session:
        found = session.execute(
            select(Meeting, Lead.email)
            .join(Lead, Lead.id == Meeting.lead_id)
            .where(Lead.visitor_id == visitor_id, Meeting.status.in_(HOLDING_STATUSES), Meeting.start > now)
            .order_by(Meeting.start)
        ).first()
        if found is None:
            return None
        row, email = found
        return UpcomingMeeting(row.id, row.rep_id, row.start, row.end, visitor_has_email=bool(email))


def book_meeting(
    db: LeadStore,
    rep_id: str,
    visitor_id: str,
    start: datetime,
    roster: Roster,
    now: datetime,
    notifications: Notifications | None = None,
    transcript: Transcript = (),
    replaces: int | None = None,
) -> BookingResult:
    """Book `start` with the rep for the visitor. With `notifications`, the rep's email (with
    invite), Slack note, CRM push and the visitor's confirmation (invite, reschedule and cancel
    links) are queued in the booking's transaction. `replaces` names the visitor's earlier
    meeting when they move it: it is cancelled in the same transaction (both calendars get its
    cancellation), so the visitor never holds two meetings nor loses the old one to a failed
    booking."""
    if start.tzinfo is None:
        return TimeNotOffered(rep_id, start, "the start time has no UTC offset")
    start = start.astimezone(timezone.utc)
    if rep_id not in roster.reps or not roster.reps[rep_id].active:
        return TimeNotOffered(rep_id, start, f"{rep_id!r} is not an active rep")
    rep = roster.reps[rep_id]
    settings = roster.meetings
    if not is_offerable(rep, settings, start, now):
        return TimeNotOffered(rep_id, start, "not one of the rep's meeting times (working hours, notice, horizon)")

    meeting_time = MeetingTime(start, start + settings.length)
    token = secrets.token_urlsafe(24)
    try:
        with db.session() as session:
            lead = lead_for(session, visitor_id)
            meeting = Meeting(
                rep_id=rep.id,
                lead_id=lead.id,
                start=meeting_time.start,
                end=meeting_time.end,
                status="booked",
                created_at=now,
                ics_uid=f"{uuid.uuid4()}@leadqual",
                decision_token_hash=_hash(token),
                assigned_at=now,
                scheduled_at=now,
                sequence=0,
            )
            if replaces is not None:
                _cancel_moved_meeting(session, roster, lead, replaces, meeting_time, notifications, now)
            session.add(meeting)
            session.flush()  # the unique index on (rep_id, start) decides races here
            take_lock(session, f"booking:{rep.id}")
            if clashing_meeting(session, rep, meeting_time, settings.buffer, meeting.id):
                raise _Clash("too close to another meeting of the rep")
            if day_is_full(session, rep, meeting_time.start.astimezone(rep.zone).date(), meeting.id):
                raise _Clash("the rep's day is fully booked")
            move_stage(session, lead, "meeting_booked", f"meeting with {rep.name} at {meeting_time.start.isoformat()}")
            if notifications is not None:
                enqueue_booking_news(session, notifications, rep, meeting, lead, token, transcript, now)
                enqueue_visitor_news(session, notifications, "booked", rep, meeting, lead, now)
            booking = Booking(
                meeting.id, rep.id, visitor_id, meeting_time.start, meeting_time.end, meeting.ics_uid, token
            )
    except _Clash as clash:
        return TimeTaken(rep_id, start, str(clash))
    except IntegrityError:
        if not _time_is_held(db, rep.id, meeting_time.start):
            raise  # some other constraint failed: a bug, not a race
        return TimeTaken(rep_id, start, "someone else booked this time a moment ago")
    return booking


def _cancel_moved_meeting(
    session: Session,
    roster: Roster,
    lead: Lead,
    meeting_id: int,
    new_time: MeetingTime,
    notifications: Notifications | None,
    now: datetime,
) -> None:
    old = session.get(Meeting, meeting_id)
    if old is None or old.lead_id != lead.id or old.status not in HOLDING_STATUSES:
        return  # nothing (or someone else's meeting) to move: book the new time only
    old.status = "cancelled"
    old.reason = f"moved by the visitor to {new_time.start.isoformat()}"
    old.sequence = (old.sequence or 0) + 1
    session.flush()  # frees the old time before the new one is inserted
    old_rep = roster.reps.get(old.rep_id)
    if notifications is not None and old_rep is not None:  # the old event leaves both calendars
        enqueue_rep_news(session, notifications, "cancelled", old_rep, old, lead, now)
        enqueue_visitor_news(session, notifications, "cancelled", old_rep, old, lead, now)


@dataclass(frozen=True)
class MeetingDecision:
    meeting_id: int
    rep_id: str
    visitor_id: str
    status: str  # accepted | rejected
    nurture_track: str | None = None  # the track a rejected lead was recycled into


class DecisionRefused(Exception):
    """`code`: not_found | bad_token | expired | reason_required | already_decided, and for
    reassignments not_eligible (the rep cannot take it) and not_booked."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def decide_meeting(
    db: LeadStore,
    meeting_id: int,
    token: str,
    accept: bool,
    reason: str | None,
    roster: Roster,
    now: datetime | None = None,
    notifications: Notifications | None = None,
    nurture: NurtureConfig | None = None,
) -> MeetingDecision:
    """The rep accepts or rejects (with a reason) a booked lead, with the token of their email.
    A rejection frees the time and recycles the lead to nurture: with `nurture`, the track is
    chosen and its enrolment queued. Repeating the same decision returns it again; changing it
    raises DecisionRefused."""
    now = now or utcnow()
    reason = _checked_reason(accept, reason)
    with db.session() as session:
        meeting = _meeting_for_token(session, meeting_id, token, roster, now)
        return _decide(session, meeting, accept, reason, roster, now, notifications, nurture, "email link")


def decide_meeting_as(
    db: LeadStore,
    meeting_id: int,
    actor: str,
    accept: bool,
    reason: str | None,
    roster: Roster,
    now: datetime | None = None,
    notifications: Notifications | None = None,
    nurture: NurtureConfig | None = None,
    only_rep: str | None = None,
) -> MeetingDecision:
    """The same decision taken by a signed-in console user `actor` instead of a token. With
    `only_rep` (a sales rep acting), the meeting must be that rep's, checked in the decision's
    own transaction so a reassignment in between cannot slip through. Raises DecisionRefused
    (not_found | not_yours | reason_required | already_decided)."""
    now = now or utcnow()
    reason = _checked_reason(accept, reason)
    with db.session() as session:
        meeting = _meeting_for(session, meeting_id, only_rep)
        return _decide(session, meeting, accept, reason, roster, now, notifications, nurture, actor)


def _meeting_for(session: Session, meeting_id: int, only_rep: str | None) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    # Another rep's meeting answers like a missing one, so ids cannot be probed.
    if meeting is None or (only_rep is not None and meeting.rep_id != only_rep):
        raise DecisionRefused("not_found", f"no meeting {meeting_id} among yours")
    return meeting


def _checked_reason(accept: bool, reason: str | None) -> str | None:
    reason = (reason or "").strip() or None
    if not accept and not reason:
        raise DecisionRefused("reason_required", "a rejection needs a reason")
    return reason


def _decide(
    session: Session,
    meeting: Meeting,
    accept: bool,
    reason: str | None,
    roster: Roster,
    now: datetime,
    notifications: Notifications | None,
    nurture: NurtureConfig | None,
    actor: str,
) -> MeetingDecision:
    status = "accepted" if accept else "rejected"
    lead = session.get(Lead, meeting.lead_id)
    if meeting.status == status:
        return MeetingDecision(meeting.id, meeting.rep_id, lead.visitor_id, status)
    # A conditional UPDATE, so two decisions at once (the email link and the console, or two
    # tabs) cannot both pass the check: the second finds the meeting decided.
    claimed = session.execute(
        update(Meeting)
        .where(Meeting.id == meeting.id, Meeting.status == "booked")
        .values(status=status, reason=reason, decided_at=now, sequence=Meeting.sequence + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        session.refresh(meeting)
        if meeting.status == status:
            return MeetingDecision(meeting.id, meeting.rep_id, lead.visitor_id, status)
        raise DecisionRefused("already_decided", f"this meeting is already {meeting.status}")
    session.refresh(meeting)
    rep = roster.rep(meeting.rep_id)
    write_audit(session, lead.id, status, actor, rep_id=rep.id, meeting_id=meeting.id, reason=reason, now=now)
    track: Track | None = None
    if accept:
        move_stage(session, lead, "accepted", f"{rep.name} accepted" + (f": {reason}" if reason else ""))
    else:
        move_stage(session, lead, "rejected", f"{rep.name} rejected: {reason}")
        if nurture is not None:  # chosen while the stage says "rejected", for rules on it
            track = choose_track(nurture, LeadFacts.from_lead(_columns(lead)))
        move_stage(session, lead, "nurture", "recycled after the rep's rejection")
        if track is not None and notifications is not None and notifications.marketing_webhook_url:
            enqueue_enrolment(session, notifications.marketing_webhook_url, track, lead, now)
    if notifications is not None:
        enqueue_crm_push(session, notifications, f"meeting.{status}", rep, meeting, lead, now)
        # The visitor's links now answer "cancelled": tell them, unless the meeting has already
        # taken place (a rep may reject a lead afterwards). This runs only in the transaction
        # that made the change, so a repeated rejection queues nothing more.
        if not accept and meeting.start > now:
            enqueue_visitor_news(session, notifications, "rejected", rep, meeting, lead, now)
    return MeetingDecision(meeting.id, meeting.rep_id, lead.visitor_id, status, track.id if track else None)


def _hash(token: str) -> str:
    # surrogatepass: a JSON body can carry a lone surrogate; it hashes (and matches nothing).
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _meeting_for_token(session: Session, meeting_id: int, token: object, roster: Roster, now: datetime) -> Meeting:
    """The meeting, once the token is its decision token and the link has not expired.

    The token is checked before anything about the meeting is used, and an expired link is
    refused whatever the meeting's state: `decision_link_days` after the meeting's end."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise DecisionRefused("not_found", f"no meeting {meeting_id}")
    if not isinstance(token, str) or not token or not hmac.compare_digest(_hash(token), meeting.decision_token_hash):
        raise DecisionRefused("bad_token", "this link is not valid for this meeting")
    if now >= meeting.end + roster.meetings.decision_link_lifetime:
        raise DecisionRefused("expired", "this link has expired")
    return meeting


def _columns(lead: Lead) -> dict:
    return {column.name: getattr(lead, column.name) for column in Lead.__table__.columns}


def _time_is_held(db: LeadStore, rep_id: str, start: datetime) -> bool:
    with db.session() as session:
        return (
            session.execute(
                select(Meeting.id).where(
                    Meeting.rep_id == rep_id, Meeting.start == start, Meeting.status.in_(HOLDING_STATUSES)
                )
            ).first()
            is not None
        )


def meeting_summary(
    db: LeadStore, roster: Roster, meeting_id: int, token: str | None, now: datetime | None = None
) -> dict:
    """What a rep sees before accepting or rejecting: the meeting, in their timezone, and the lead.

    Only for the meeting's valid, unexpired decision token, and only while the meeting waits for
    a decision; raises DecisionRefused (not_found | bad_token | expired | already_decided) otherwise,
    and the refusal carries nothing about the lead."""
    with db.session() as session:
        meeting = _meeting_for_token(session, meeting_id, token, roster, now or utcnow())
        if meeting.status != "booked":
            raise DecisionRefused("already_decided", f"this meeting is already {meeting.status}")
        lead = session.get(Lead, meeting.lead_id)
        rep = roster.rep(meeting.rep_id)
        return {
            "id": meeting.id,
            "status": meeting.status,
            "reason": meeting.reason,
            "when": format_meeting_time(MeetingTime(meeting.start, meeting.end), rep.timezone),
            "rep_name": rep.name,
            "lead_name": lead.person_name or lead.email or "a website visitor",
            "company": lead.company,
            "email": lead.email,
            "tier": lead.tier,
            "score": lead.score,
            "reasons": list(lead.reasons or []),
            "need": lead.need,
        }

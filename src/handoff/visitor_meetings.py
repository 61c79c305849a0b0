"""The visitor's own links to their meeting, from their confirmation email: see it, move it to
another open time of the same rep, or cancel it. The web app serves the pages
(`webapp.visitor_meetings`); everything that decides lives here.

    meeting = visitor_meeting(db, roster, secret, meeting_id, token, now)    # -> VisitorMeeting
    times = reschedule_times(db, roster, meeting, now, count, after)        # open times of its rep
    moved = move_meeting_by_visitor(db, roster, notifications, secret, meeting_id, token, start, now)
    cancelled = cancel_meeting_by_visitor(db, roster, notifications, secret, meeting_id, token, now)
        # all raise VisitorLinkRefused(code): not_found | bad_token | cancelled | started |
        # not_offered | time_taken

The token is `ics.visitor_link_token` (signed with LEADQUAL_SECRET_KEY and the meeting's
invite_token_version, so `rotate-invite` revokes it); it stops working once the meeting has
started or is cancelled (or rejected). A move keeps the meeting's row, so its UID and links stay,
and raises its SEQUENCE: the rep's calendar updates the event. It happens in one transaction
under the rep's booking lock, with the unique index on (rep_id, start) as the last word, so the
time can never be booked twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leaddb import LeadStore
from leaddb.leads import Lead
from leaddb.meetings import HOLDING_STATUSES, Meeting

from .db import move_stage, take_lock, write_audit
from .ics import check_visitor_link_token
from .meeting_times import MeetingTime, clashing_meeting, day_is_full, format_meeting_time, is_offerable, open_times
from .notify import Notifications, enqueue_crm_push, enqueue_rep_news, enqueue_visitor_news, visitor_zone
from .roster import Roster

ACTOR = "visitor link"


class VisitorLinkRefused(Exception):
    """`code`: not_found | bad_token | cancelled | started (the link is spent or never was),
    not_offered | time_taken (the chosen time cannot be had)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class VisitorMeeting:
    """What the visitor's pages show: their meeting, in their time zone."""

    id: int
    rep_id: str
    rep_name: str
    start: datetime
    end: datetime
    zone: str
    when: str  # "Tue 10 Mar 2026, 15:00–15:30 CET"
    status: str


class _Clash(Exception):
    """Rolls a move back: the new time collides with another meeting or a full day."""


def _checked(session: Session, secret: str, meeting_id: int, token: object, now: datetime) -> Meeting:
    """The meeting, once the token is its visitor token and the link is still alive."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise VisitorLinkRefused("not_found", f"there is no meeting {meeting_id}")
    token_text = token if isinstance(token, str) else None
    if not check_visitor_link_token(secret, meeting_id, token_text, meeting.invite_token_version or 0):
        raise VisitorLinkRefused("bad_token", "this link is not valid for this meeting")
    if meeting.status not in HOLDING_STATUSES:
        raise VisitorLinkRefused("cancelled", "this meeting is cancelled, so its links no longer work")
    if meeting.start <= now:
        raise VisitorLinkRefused("started", "this meeting has already started, so its links no longer work")
    return meeting


def _shown(session: Session, roster: Roster, meeting: Meeting) -> VisitorMeeting:
    rep = roster.reps.get(meeting.rep_id)  # None: since removed from the roster
    lead = session.get(Lead, meeting.lead_id)
    shown_zone = visitor_zone(lead, rep)
    when = format_meeting_time(MeetingTime(meeting.start, meeting.end), shown_zone)
    rep_name = rep.name if rep is not None else "our team"
    return VisitorMeeting(
        meeting.id, meeting.rep_id, rep_name, meeting.start, meeting.end, shown_zone, when, meeting.status
    )


def visitor_meeting(
    db: LeadStore, roster: Roster, secret: str, meeting_id: int, token: object, now: datetime
) -> VisitorMeeting:
    """The meeting behind a live visitor link; VisitorLinkRefused otherwise."""
    with db.session() as session:
        return _shown(session, roster, _checked(session, secret, meeting_id, token, now))


def reschedule_times(
    db: LeadStore,
    roster: Roster,
    meeting: VisitorMeeting,
    now: datetime,
    count: int = 9,
    after: datetime | None = None,
) -> list[MeetingTime]:
    """The soonest open times of the meeting's rep within the booking horizon (after `after`),
    found by the same search the chat offers times with; [] when the rep is off the roster.
    The meeting itself is no clash (moving it frees its time and buffer, as the move checks),
    but its own time is not offered: choosing it would change nothing."""
    if meeting.rep_id not in roster.reps:
        return []
    found = open_times(roster, meeting.rep_id, db, now, count + 1, after, except_meeting_id=meeting.id)
    return [offered for offered in found if offered.start != meeting.start][:count]


def move_meeting_by_visitor(
    db: LeadStore,
    roster: Roster,
    notifications: Notifications,
    secret: str,
    meeting_id: int,
    token: object,
    start: datetime,
    now: datetime,
) -> VisitorMeeting:
    """Move the meeting to `start` (an open time of the same rep) in one transaction: the rep
    gets the updated invite (same UID, SEQUENCE + 1) and the visitor a new confirmation.
    Choosing the time it already has changes nothing."""
    settings = roster.meetings
    try:
        with db.session() as session:
            meeting = _checked(session, secret, meeting_id, token, now)
            rep = roster.reps.get(meeting.rep_id)
            if rep is None or not rep.active:
                raise VisitorLinkRefused(
                    "not_offered", "your contact cannot take new times; ask the chat on our website for another"
                )
            if start == meeting.start:
                return _shown(session, roster, meeting)
            if not is_offerable(rep, settings, start, now):
                raise VisitorLinkRefused("not_offered", "that time is not one we can offer; please pick another")
            take_lock(session, f"booking:{rep.id}")  # as a booking does: moves and bookings take turns
            was = MeetingTime(meeting.start, meeting.end)
            new_time = MeetingTime(start, start + settings.length)
            moved = session.execute(
                update(Meeting)
                .where(Meeting.id == meeting.id, Meeting.status.in_(HOLDING_STATUSES), Meeting.start > now)
                .values(
                    start=new_time.start,
                    end=new_time.end,
                    sequence=Meeting.sequence + 1,
                    scheduled_at=now,
                    reminded_at=None,
                )
                .execution_options(synchronize_session=False)
            )
            if moved.rowcount != 1:  # cancelled or started since it was read
                raise VisitorLinkRefused("cancelled", "this meeting can no longer be moved")
            session.flush()  # the unique index on (rep_id, start) decides races here
            if clashing_meeting(session, rep, new_time, settings.buffer, meeting.id):
                raise _Clash("too close to another meeting")
            if day_is_full(session, rep, new_time.start.astimezone(rep.zone).date(), meeting.id):
                raise _Clash("that day is fully booked")
            session.refresh(meeting)
            lead = session.get(Lead, meeting.lead_id)
            reason = f"moved by the visitor from {was.start.isoformat()} to {new_time.start.isoformat()}"
            write_audit(
                session, lead.id, "moved_by_visitor", ACTOR, now, rep_id=rep.id, meeting_id=meeting.id, reason=reason
            )
            enqueue_rep_news(session, notifications, "moved", rep, meeting, lead, now, was=was)
            enqueue_visitor_news(session, notifications, "moved", rep, meeting, lead, now)
            enqueue_crm_push(session, notifications, "meeting.moved", rep, meeting, lead, now)
            return _shown(session, roster, meeting)
    except _Clash as clash:
        raise VisitorLinkRefused(
            "time_taken", f"that time was taken a moment ago ({clash}); please pick another"
        ) from None
    except IntegrityError:
        raise VisitorLinkRefused("time_taken", "that time was taken a moment ago; please pick another") from None


def cancel_meeting_by_visitor(
    db: LeadStore,
    roster: Roster,
    notifications: Notifications,
    secret: str,
    meeting_id: int,
    token: object,
    now: datetime,
) -> VisitorMeeting:
    """Cancel the meeting: its time is free for others, the rep gets the cancellation
    (METHOD:CANCEL, SEQUENCE + 1), the visitor a confirmation, the lead is an SQL without a
    meeting again. Two cancels at once: one wins, the other is told it is cancelled."""
    with db.session() as session:
        meeting = _checked(session, secret, meeting_id, token, now)
        claimed = session.execute(
            update(Meeting)
            .where(Meeting.id == meeting.id, Meeting.status.in_(HOLDING_STATUSES), Meeting.start > now)
            .values(status="cancelled", reason="cancelled by the visitor", sequence=Meeting.sequence + 1)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            raise VisitorLinkRefused("cancelled", "this meeting is cancelled, so its links no longer work")
        session.refresh(meeting)
        lead = session.get(Lead, meeting.lead_id)
        write_audit(
            session,
            lead.id,
            "cancelled_by_visitor",
            ACTOR,
            now,
            rep_id=meeting.rep_id,
            meeting_id=meeting.id,
            reason=meeting.reason,
        )
        move_stage(session, lead, "sql", "the visitor cancelled the meeting")
        rep = roster.reps.get(meeting.rep_id)
        if rep is not None:  # a rep since removed from the roster has no calendar to update
            enqueue_rep_news(session, notifications, "cancelled", rep, meeting, lead, now)
            enqueue_visitor_news(session, notifications, "cancelled", rep, meeting, lead, now)
            enqueue_crm_push(session, notifications, "meeting.cancelled", rep, meeting, lead, now)
        return _shown(session, roster, meeting)

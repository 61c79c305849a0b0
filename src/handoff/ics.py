"""Calendar files: the invite attached to the rep's email, and a per-rep feed (a VCALENDAR of
all their meetings) that calendar apps subscribe to with a secret token in the URL."""

from __future__ import annotations

import hashlib
import hmac

from icalendar import STATUS, Calendar, Event, vCalAddress
from sqlalchemy import select

from leaddb import LeadStore
from leaddb.leads import Lead
from leaddb.meetings import Meeting

from .roster import Rep, Roster

PRODID = "-//leadqual//handoff//EN"

# Meeting status -> iCalendar STATUS, and SEQUENCE (a decision revises the event).
_ICS_STATUS = {
    "booked": STATUS.CONFIRMED,
    "accepted": STATUS.CONFIRMED,
    "rejected": STATUS.CANCELLED,
    "cancelled": STATUS.CANCELLED,
}


def meeting_invite(meeting: Meeting, rep: Rep, lead: Lead, method: str = "REQUEST") -> str:
    """A one-event VCALENDAR inviting the rep (organiser) and the lead (attendee)."""
    calendar = Calendar.new(prodid=PRODID, method=method)
    calendar.add_component(_event(meeting, rep, lead))
    return calendar.to_ical().decode("utf-8")


def invite_for(db: LeadStore, roster: Roster, meeting_id: int, method: str = "REQUEST") -> str:
    """The invite of a stored meeting. REQUEST is for the rep (the organiser's own calendar);
    for a file the visitor downloads from the chat, PUBLISH adds it without an RSVP."""
    with db.session() as session:
        meeting = session.get(Meeting, meeting_id)
        if meeting is None:
            raise ValueError(f"no meeting {meeting_id}")
        return meeting_invite(meeting, roster.rep(meeting.rep_id), session.get(Lead, meeting.lead_id), method)


def rep_feed(db: LeadStore, roster: Roster, rep_id: str) -> str:
    """Every meeting of the rep, cancelled ones included so subscribed calendars drop them."""
    rep = roster.rep(rep_id)
    calendar = Calendar.new(
        prodid=PRODID, uid=f"leadqual-feed-{rep.id}", name=f"{rep.name}: meetings booked by the website assistant"
    )
    with db.session() as session:
        rows = session.execute(
            select(Meeting, Lead)
            .join(Lead, Lead.id == Meeting.lead_id)
            .where(Meeting.rep_id == rep.id)
            .order_by(Meeting.start)
        ).all()
        for meeting, lead in rows:
            calendar.add_component(_event(meeting, rep, lead))
    return calendar.to_ical().decode("utf-8")


def _event(meeting: Meeting, rep: Rep, lead: Lead) -> Event:
    who = lead.person_name or lead.email or "website visitor"
    company = f" ({lead.company})" if lead.company else ""
    organizer = vCalAddress(f"mailto:{rep.email}")
    organizer.params["cn"] = rep.name
    attendees = []
    if lead.email:
        attendee = vCalAddress(f"mailto:{lead.email}")
        attendee.params["cn"] = who
        attendee.params["role"] = "REQ-PARTICIPANT"
        attendees.append(attendee)
    return Event.new(
        uid=meeting.ics_uid,
        start=meeting.start,
        end=meeting.end,
        stamp=meeting.decided_at or meeting.created_at,
        summary=f"Intro call: {who}{company} with {rep.name}",
        description=f"Booked in the website chat. Lead status: {meeting.status}."
        + (f"\nRep's note: {meeting.reason}" if meeting.reason else ""),
        organizer=organizer,
        attendees=attendees,
        status=_ICS_STATUS[meeting.status],
        sequence=0 if meeting.status == "booked" else 1,
    )


def _signed(secret: str, what: str) -> str:
    if not secret:
        raise ValueError("calendar links need a secret (LEADQUAL_SECRET_KEY)")
    return hmac.new(secret.encode(), what.encode(), hashlib.sha256).hexdigest()[:32]


def feed_token(secret: str, rep_id: str) -> str:
    """The secret token in a rep's feed URL; rotating `secret` revokes every feed URL."""
    return _signed(secret, f"ics-feed:{rep_id}")


def invite_token(secret: str, meeting_id: int) -> str:
    """The token in the visitor's invite link for one meeting."""
    return _signed(secret, f"ics-invite:{meeting_id}")


def check_invite_token(secret: str, meeting_id: int, token: str | None) -> bool:
    return bool(secret and token and hmac.compare_digest(invite_token(secret, meeting_id), token))


def invite_url(base_url: str, secret: str, meeting_id: int) -> str:
    return f"{base_url.rstrip('/')}/meetings/{meeting_id}/invite.ics?token={invite_token(secret, meeting_id)}"


def check_feed_token(secret: str, rep_id: str, token: str | None) -> bool:
    return bool(secret and token and hmac.compare_digest(feed_token(secret, rep_id), token))


def feed_url(base_url: str, secret: str, rep_id: str) -> str:
    return f"{base_url.rstrip('/')}/reps/{rep_id}/meetings.ics?token={feed_token(secret, rep_id)}"

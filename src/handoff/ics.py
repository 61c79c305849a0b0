"""Calendar files: the invite attached to the rep's email, and a per-rep feed (a VCALENDAR of
all their meetings) that calendar apps subscribe to with a secret token in the URL."""

from __future__ import annotations

import hashlib
import hmac

from icalendar import STATUS, Calendar, Event, vCalAddress
from sqlalchemy import func, select, update

from leaddb import LeadStore
from leaddb.leads import Lead
from leaddb.meetings import Meeting, RepLinkState

from .db import insert_unless_present
from .roster import Rep, Roster

PRODID = "-//leadqual//handoff//EN"

# Meeting status -> iCalendar STATUS. SEQUENCE is the meeting's own revision count
# (meetings.sequence): a decision, a reassignment, a move or a cancellation each raise it.
_ICS_STATUS = {
    "booked": STATUS.CONFIRMED,
    "accepted": STATUS.CONFIRMED,
    "rejected": STATUS.CANCELLED,
    "cancelled": STATUS.CANCELLED,
}


def meeting_invite(meeting: Meeting, rep: Rep, lead: Lead, method: str = "REQUEST", for_visitor: bool = False) -> str:
    """A one-event VCALENDAR inviting the rep (organiser) and the lead (attendee). The
    visitor's copy (`for_visitor`) leaves out the lead status and the rep's note: a rep's
    accept or reject reason is internal."""
    calendar = Calendar.new(prodid=PRODID, method=method)
    calendar.add_component(_event(meeting, rep, lead, for_visitor))
    return calendar.to_ical().decode("utf-8")


def invite_for(db: LeadStore, roster: Roster, meeting_id: int, method: str = "REQUEST") -> str:
    """The invite of a stored meeting. REQUEST is for the rep (the organiser's own calendar);
    for a file the visitor downloads from the chat, PUBLISH adds it without an RSVP (and,
    being the visitor's copy, without the rep's internal note)."""
    with db.session() as session:
        meeting = session.get(Meeting, meeting_id)
        if meeting is None:
            raise ValueError(f"no meeting {meeting_id}")
        lead = session.get(Lead, meeting.lead_id)
        return meeting_invite(meeting, roster.rep(meeting.rep_id), lead, method, for_visitor=method == "PUBLISH")


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


def _event(meeting: Meeting, rep: Rep, lead: Lead, for_visitor: bool = False) -> Event:
    who = lead.person_name or lead.email or "website visitor"
    company = f" ({lead.company})" if lead.company else ""
    description = "Booked in the website chat."
    if not for_visitor:  # the lead status and the rep's note are for the rep's calendar only
        description += f" Lead status: {meeting.status}."
        if meeting.reason:
            description += f"\nRep's note: {meeting.reason}"
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
        # The latest change we know the time of: a decision, or the visitor choosing the time.
        stamp=max(when for when in (meeting.decided_at, meeting.scheduled_at, meeting.created_at) if when),
        summary=f"Intro call: {who}{company} with {rep.name}",
        description=description,
        organizer=organizer,
        attendees=attendees,
        status=_ICS_STATUS[meeting.status],
        sequence=meeting.sequence or 0,
    )


def _signed(secret: str, what: str, version: int) -> str:
    if not secret:
        raise ValueError("calendar links need a secret (LEADQUAL_SECRET_KEY)")
    # Version 0 signs the string links had before versions existed, so they keep working.
    # No collision is possible: rep ids never hold ':' and meeting ids are integers.
    if version:
        what = f"{what}:v{version}"
    return hmac.new(secret.encode(), what.encode(), hashlib.sha256).hexdigest()[:32]


def _matches(expected: str, token: str | None) -> bool:
    """compare_digest on bytes: on str it raises TypeError for anything non-ASCII. A lone
    surrogate (JSON can carry one) encodes too, and simply does not match."""
    if not isinstance(token, str) or not token:
        return False
    return hmac.compare_digest(expected.encode(), token.encode("utf-8", "surrogatepass"))


def feed_token(secret: str, rep_id: str, version: int = 0) -> str:
    """The secret token in a rep's feed URL. `version` is the rep's feed_token_version
    (rotate_feed_token raises it, revoking that rep's old URL); rotating `secret` revokes all."""
    return _signed(secret, f"ics-feed:{rep_id}", version)


def invite_token(secret: str, meeting_id: int, version: int = 0) -> str:
    """The token in the visitor's invite link for one meeting; `version` is the meeting's
    invite_token_version (see rotate_invite_token)."""
    return _signed(secret, f"ics-invite:{meeting_id}", version)


def check_invite_token(secret: str, meeting_id: int, token: str | None, version: int = 0) -> bool:
    return bool(secret) and _matches(invite_token(secret, meeting_id, version), token)


def invite_url(base_url: str, secret: str, meeting_id: int, version: int = 0) -> str:
    token = invite_token(secret, meeting_id, version)
    return f"{base_url.rstrip('/')}/meetings/{meeting_id}/invite.ics?token={token}"


def visitor_link_token(secret: str, meeting_id: int, version: int = 0) -> str:
    """The token of the visitor's reschedule and cancel links for one meeting; `version` is the
    meeting's invite_token_version, so rotate_invite_token revokes these links too."""
    return _signed(secret, f"visitor-meeting:{meeting_id}", version)


def check_visitor_link_token(secret: str, meeting_id: int, token: str | None, version: int = 0) -> bool:
    return bool(secret) and _matches(visitor_link_token(secret, meeting_id, version), token)


def visitor_links(base_url: str, secret: str, meeting_id: int, version: int = 0) -> tuple[str, str]:
    """(reschedule URL, cancel URL) put in the visitor's emails; the web app serves them."""
    base = f"{base_url.rstrip('/')}/meetings/visitor/{meeting_id}"
    token = visitor_link_token(secret, meeting_id, version)
    return f"{base}/reschedule?token={token}", f"{base}/cancel?token={token}"


def check_feed_token(secret: str, rep_id: str, token: str | None, version: int = 0) -> bool:
    return bool(secret) and _matches(feed_token(secret, rep_id, version), token)


def feed_url(base_url: str, secret: str, rep_id: str, version: int = 0) -> str:
    return f"{base_url.rstrip('/')}/reps/{rep_id}/meetings.ics?token={feed_token(secret, rep_id, version)}"


# -- rotation: a new version per meeting or per rep, without touching LEADQUAL_SECRET_KEY -----


def invite_token_version(db: LeadStore, meeting_id: int) -> int | None:
    """The version signed into the meeting's invite token; None when there is no such meeting."""
    with db.session() as session:
        meeting = session.get(Meeting, meeting_id)
        return None if meeting is None else meeting.invite_token_version or 0


def rotate_invite_token(db: LeadStore, meeting_id: int) -> int:
    """Revoke the meeting's invite link; returns the new version (pass it to invite_url)."""
    with db.session() as session:
        raised = session.execute(
            update(Meeting)
            .where(Meeting.id == meeting_id)
            .values(invite_token_version=func.coalesce(Meeting.invite_token_version, 0) + 1)
        )
        if raised.rowcount != 1:
            raise ValueError(f"no meeting {meeting_id}")
        return session.execute(select(Meeting.invite_token_version).where(Meeting.id == meeting_id)).scalar_one()


def feed_token_version(db: LeadStore, rep_id: str) -> int:
    """The version signed into the rep's feed token (0 until first rotated)."""
    with db.session() as session:
        state = session.get(RepLinkState, rep_id)
        return state.feed_token_version if state else 0


def rotate_feed_token(db: LeadStore, rep_id: str) -> int:
    """Revoke the rep's calendar-feed URL; returns the new version (pass it to feed_url)."""
    with db.session() as session:
        insert_unless_present(session, RepLinkState, {"rep_id": rep_id, "feed_token_version": 0}, ["rep_id"])
        session.execute(
            update(RepLinkState)
            .where(RepLinkState.rep_id == rep_id)
            .values(feed_token_version=RepLinkState.feed_token_version + 1)
        )
        return session.execute(
            select(RepLinkState.feed_token_version).where(RepLinkState.rep_id == rep_id)
        ).scalar_one()

"""What happens after qualification: rep assignments, round-robin state, meetings.

The rules that fill these tables live in the `handoff` package; this module only says what
is stored.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Text, text

from .base import Base, UTCDateTime, utcnow

# A meeting holds its time while it is in one of these states; rejected and cancelled
# meetings free the time again.
HOLDING_STATUSES = ("booked", "accepted")
MEETING_STATUSES = ("booked", "accepted", "rejected", "cancelled")

_HOLDS_ITS_TIME = text("status IN ('booked', 'accepted')")


class LeadAssignment(Base):
    """One routing decision: which rep (or queue) got the lead, by which rule, and why."""

    __tablename__ = "lead_assignments"

    id = Column(Integer, primary_key=True)
    lead_id = Column(Integer, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False, index=True)
    rep_id = Column(String(64))  # null when the lead went to a queue
    queue = Column(String(64))
    rule = Column(String(64), nullable=False)  # "account_owner", a routing rule's name, or "fallback"
    reasons = Column(JSON, nullable=False)  # sentences
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class RoundRobinWeight(Base):
    """Smooth weighted round-robin state: each rep's current weight within one pool (a rule)."""

    __tablename__ = "round_robin_weights"

    pool = Column(String(64), primary_key=True)
    rep_id = Column(String(64), primary_key=True)
    current = Column(Integer, nullable=False, default=0)


class Meeting(Base):
    __tablename__ = "meetings"
    __table_args__ = (
        # Exactly one holding meeting per rep and start time, whatever races for it.
        Index(
            "uq_meetings_rep_start_holding",
            "rep_id",
            "start",
            unique=True,
            sqlite_where=_HOLDS_ITS_TIME,
            postgresql_where=_HOLDS_ITS_TIME,
        ),
    )

    id = Column(Integer, primary_key=True)
    rep_id = Column(String(64), nullable=False, index=True)
    lead_id = Column(Integer, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False, index=True)
    start = Column(UTCDateTime, nullable=False)
    end = Column(UTCDateTime, nullable=False)
    status = Column(String(16), nullable=False, default="booked")
    reason = Column(Text)  # why the rep accepted or rejected it, or why it was cancelled
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    decided_at = Column(UTCDateTime)
    ics_uid = Column(String(128), nullable=False, unique=True)
    # sha256 of the accept/reject token sent to the rep; the token itself is never stored.
    decision_token_hash = Column(String(64), nullable=False)
    # Signed into the visitor's invite link (handoff.ics); raising it revokes the old link.
    # Null means 0: meetings booked before rotation existed keep their links (revision 0003).
    invite_token_version = Column(Integer)
    # When the current rep got the meeting (booking, or a reassignment): the SLA counts from
    # here. Null means created_at (meetings from before revision 0005).
    assigned_at = Column(UTCDateTime)
    # Set once per rep by the SLA check, with a conditional UPDATE, so that several outbox
    # workers send one reminder and re-route once; a reassignment clears both.
    sla_reminded_at = Column(UTCDateTime)
    sla_lapsed_at = Column(UTCDateTime)
    # The iCalendar SEQUENCE: how many times the event was revised after the invite went out
    # (a decision, a reassignment, a move or a cancellation each add one), so calendars apply
    # every update in order.
    sequence = Column(Integer, nullable=False, default=0, server_default=text("0"))
    # When the visitor chose this time (booking, or moving it on the reschedule page); null
    # means created_at. A time chosen inside the reminder window needs no reminder.
    scheduled_at = Column(UTCDateTime)
    # Set once (conditional UPDATE) by the worker that queues the meeting's reminder emails;
    # moving the meeting clears it.
    reminded_at = Column(UTCDateTime)


class RepLinkState(Base):
    """Per-rep link state: the version signed into the rep's calendar-feed token. Raising it
    (`python -m handoff rotate-feed --rep ID`) revokes that rep's old feed URL without
    rotating LEADQUAL_SECRET_KEY. A rep with no row is at version 0."""

    __tablename__ = "rep_link_state"

    rep_id = Column(String(64), primary_key=True)
    feed_token_version = Column(Integer, nullable=False, default=0)


class OfferedTime(Base):
    """A meeting time shown to a visitor as a button: the only times the chat may book for them.

    Each offer (the three times shown at once, "other times" included) is one `batch`,
    numbered per lead from 1; the newest batch is the visitor's current offer. Kept here, not
    in a slot, because slots are whatever the chat client says they are."""

    __tablename__ = "offered_times"

    id = Column(Integer, primary_key=True)
    lead_id = Column(Integer, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False, index=True)
    batch = Column(Integer, nullable=False)
    position = Column(Integer, nullable=False)  # 0, 1, 2: the button's place in its offer
    rep_id = Column(String(64), nullable=False)
    start = Column(UTCDateTime, nullable=False)
    offered_at = Column(UTCDateTime, nullable=False, default=utcnow)


class HandoffAudit(Base):
    """Who did what to a lead's meeting or person request, when and why: a rep's or manager's
    accept, reject or reassignment (from the console or the email link) and each SLA step."""

    __tablename__ = "handoff_audit"

    id = Column(Integer, primary_key=True)
    lead_id = Column(Integer, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False, index=True)
    meeting_id = Column(Integer, index=True)
    person_request_id = Column(Integer)
    # accepted | rejected | reassigned | sla_reminder | sla_rerouted | sla_escalated | answered |
    # cancelled_by_visitor | moved_by_visitor
    action = Column(String(32), nullable=False)
    actor = Column(String(64), nullable=False)  # a console username, "email link", or "sla"
    rep_id = Column(String(64))  # the rep the action was about (who let an SLA lapse)
    to_rep_id = Column(String(64))  # the new rep of a reassignment or re-route
    reason = Column(Text)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

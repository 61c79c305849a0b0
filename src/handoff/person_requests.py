"""A visitor who asks for a person reaches one: the routed rep, or else a queue from the roster.

Asking for a human, "none of these times work", nobody with open times, and a support request
all end here. The request is stored and an email (and a Slack note, when configured) to that
person is written to the outbox in one transaction, with the visitor's answers, the transcript
and a reply link; the visitor is told honestly who will answer and when they are at work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlalchemy import select

from leaddb import LeadStore
from leaddb.leads import PersonRequest
from leaddb.meetings import LeadAssignment

from .db import lead_for
from .notify import Notifications, Transcript, lead_lines, slack_message, transcript_lines, who_is
from .outbox import enqueue
from .roster import WEEKDAYS, Roster

KINDS = ("sales", "support")
SUPPORT_QUEUE = "support"  # the roster's queue for existing customers, when it has one


@dataclass(frozen=True)
class PersonContact:
    """Who picks the request up, and when they are at work."""

    name: str  # "Anna Schmidt" or "the sales-inbox team"
    email: str
    timezone: str
    working_hours: dict[int, tuple[tuple[time, time], ...]]
    rep_id: str | None = None  # the rep asked, or else the queue
    queue: str | None = None

    def next_at_work(self, now: datetime) -> datetime | None:
        """`now` if they are at work, else when their next working period starts (within a week)."""
        zone = ZoneInfo(self.timezone)
        local = now.astimezone(zone)
        for offset in range(8):
            day = local.date() + timedelta(days=offset)
            for start, end in self.working_hours.get(day.weekday(), ()):
                opens = datetime.combine(day, start, zone)
                closes = datetime.combine(day, end, zone)
                if closes > local:
                    return now if opens <= local else opens
        return None

    def hours_text(self) -> str:
        """Their working hours as a person reads them: "Mon-Fri 08:00-18:00 (Europe/Berlin)"."""
        groups: list[tuple[list[int], str]] = []
        for day in range(7):
            ranges = ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in self.working_hours.get(day, ()))
            if ranges and groups and groups[-1][1] == ranges and groups[-1][0][-1] == day - 1:
                groups[-1][0].append(day)
            elif ranges:
                groups.append(([day], ranges))
        days = [
            (WEEKDAYS[d[0]] if len(d) == 1 else f"{WEEKDAYS[d[0]]}-{WEEKDAYS[d[-1]]}").title() + f" {r}"
            for d, r in groups
        ]
        return f"{'; '.join(days)} ({self.timezone})"

    def reply_promise(self, now: datetime, visitor_zone: str | None) -> str:
        """What the visitor is told about when to expect an answer."""
        at_work = self.next_at_work(now)
        if at_work is None:
            return f"as soon as they are back (their hours: {self.hours_text()})"
        if at_work == now:
            return "today: they are at work now"
        zone = ZoneInfo(visitor_zone) if visitor_zone else ZoneInfo(self.timezone)
        label = "your time" if visitor_zone else self.timezone
        return f"from {at_work.astimezone(zone):%A %H:%M} ({label}), when they are next at work"


def contact_for(roster: Roster, rep_id: str | None, kind: str = "sales") -> PersonContact:
    """The routed rep (for sales, when active), else the support queue or the fallback."""
    if kind not in KINDS:
        raise ValueError(f"unknown person request kind {kind!r} (expected one of {', '.join(KINDS)})")
    rep = roster.reps.get(rep_id) if rep_id and kind == "sales" else None
    if rep is not None and rep.active:
        return PersonContact(rep.name, rep.email, rep.timezone, rep.working_hours, rep_id=rep.id)
    queue_name = SUPPORT_QUEUE if kind == "support" and SUPPORT_QUEUE in roster.queues else roster.fallback_queue
    if queue_name is not None:
        queue = roster.queues[queue_name]  # the roster checks that the fallback queue exists
        return PersonContact(
            f"the {queue_name} team", queue.email, queue.timezone, queue.working_hours, queue=queue_name
        )
    fallback = roster.rep(roster.fallback_rep or "")
    return PersonContact(fallback.name, fallback.email, fallback.timezone, fallback.working_hours, rep_id=fallback.id)


def request_a_person(
    db: LeadStore,
    roster: Roster,
    notifications: Notifications,
    visitor_id: str,
    why: str,
    transcript: Transcript,
    now: datetime,
    kind: str = "sales",
) -> PersonContact:
    """Store the request and queue the email (and Slack note) to the person who answers it."""
    with db.session() as session:
        lead = lead_for(session, visitor_id)
        assignment = session.execute(
            select(LeadAssignment).where(LeadAssignment.lead_id == lead.id).order_by(LeadAssignment.id.desc())
        ).scalar()
        contact = contact_for(roster, assignment.rep_id if assignment else None, kind)
        session.add(
            PersonRequest(lead_id=lead.id, message=why, created_at=now, rep_id=contact.rep_id, queue=contact.queue)
        )
        lead.handoff_requested_at = now
        who = who_is(lead)
        if lead.email:
            reply = f"mailto:{lead.email}?subject={quote('Your question on our website')}"
        else:
            reply = "(the visitor left no email yet; their answers above are all we have)"
        text = "\n".join(
            [
                "A website visitor asked to talk to a person.",
                "",
                f"Why: {why}",
                f"Reply: {reply}",
                "",
                *lead_lines(lead),
                *[f"  - {reason}" for reason in (lead.reasons or [])],
                "",
                *transcript_lines(transcript),
            ]
        )
        subject = f"{'Support' if kind == 'support' else 'Sales'} request from {who}"
        enqueue(session, "email", contact.email, {"subject": subject, "text": text + "\n"}, now)
        if notifications.slack_webhook_url:
            note = f":raising_hand: {who} asked for a person ({why}); {contact.name} picks it up."
            enqueue(session, "webhook", notifications.slack_webhook_url, slack_message(note), now)
    return contact

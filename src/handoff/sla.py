"""Speed-to-lead SLAs (`config/sla.yml`), checked by the outbox worker every so often.

A booked meeting its rep has neither accepted nor rejected within `meetings.remind_after_minutes`
working minutes of getting it sends the rep a reminder; after `meetings.reroute_after_minutes`
it is re-routed (handoff.routing, without the reps who let it lapse before) to a rep who can
take its time, or, when nobody can, escalated to the manager. A visitor's request for a person
or a callback has its own SLA: a reminder to whoever was asked, then an escalation to the
manager, until someone marks it answered in the console.

Minutes are working minutes of whoever must act (roster.yml working hours, in their zone): a
meeting booked on Friday evening is not late on Saturday. Every step is written to the outbox
and the audit in the transaction that claims it with a conditional UPDATE, so any number of
workers checking at once send one reminder per rep and re-route once per lapse.

    sla = load_sla("config/sla.yml")
    report = check_slas(db, roster, sla, notifications, now)     # -> SlaReport(reminded, rerouted, escalated)
    watch = SlaWatch(db, roster, sla, notifications)             # watch.run_if_due() from the worker loop
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import root_validator
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from appconfig.yamlfile import Checked, ConfigModel, ProblemAt, Text, integer, parse_config
from leaddb import LeadStore, utcnow
from leaddb.leads import Lead, PersonRequest
from leaddb.meetings import HandoffAudit, Meeting

from .booking import DecisionRefused, _columns
from .db import write_audit
from .facts import LeadFacts
from .meeting_times import MeetingTime, format_meeting_time
from .notify import Notifications, lead_lines, who_is
from .outbox import enqueue
from .person_requests import PersonContact, contact_for
from .reassign import can_take, move_meeting
from .reminders import ReminderConfig
from .roster import EmailAddress, Roster
from .routing import RoutingDecision, decide_route, record_assignment

DEFAULT_MINUTES = 5
Hours = dict[int, tuple[tuple[time, time], ...]]
_MINUTES = integer(minimum=1, maximum=60 * 24 * 5)


class Manager(ConfigModel):
    name: Text
    email: Checked[str, EmailAddress]


class MeetingSla(ConfigModel):
    remind_after_minutes: Checked[int, _MINUTES] = DEFAULT_MINUTES
    reroute_after_minutes: Checked[int, _MINUTES] = 3 * DEFAULT_MINUTES

    @root_validator(skip_on_failure=True)
    def _reroute_after_reminder(cls, values):
        if values["reroute_after_minutes"] <= values["remind_after_minutes"]:
            raise ProblemAt(("reroute_after_minutes",), "must be more than remind_after_minutes")
        return values


class RequestSla(ConfigModel):
    remind_after_minutes: Checked[int, _MINUTES] = 15
    escalate_after_minutes: Checked[int, _MINUTES] = 60

    @root_validator(skip_on_failure=True)
    def _escalate_after_reminder(cls, values):
        if values["escalate_after_minutes"] <= values["remind_after_minutes"]:
            raise ProblemAt(("escalate_after_minutes",), "must be more than remind_after_minutes")
        return values


class SlaConfig(ConfigModel):
    check_every_seconds: Checked[int, integer(minimum=5, maximum=3600)] = 60
    manager: Manager
    meetings: MeetingSla = MeetingSla()
    person_requests: RequestSla = RequestSla()
    # Not an SLA, but checked by the same worker at the same pace (handoff.reminders).
    meeting_reminders: ReminderConfig = ReminderConfig()


def load_sla(path: Path | str) -> SlaConfig:
    """Validate the file (a ConfigError names the file, the key and the problem)."""
    return parse_config(SlaConfig, path)


def add_working_minutes(hours: Hours, zone_name: str, start: datetime, minutes: int) -> datetime:
    """The instant `minutes` working minutes after `start`, counting only the working hours
    (local times of `zone_name`, so DST is handled by the zone)."""
    zone = ZoneInfo(zone_name)
    remaining = timedelta(minutes=minutes)
    day = start.astimezone(zone).date()
    for _ in range(7 * 53):  # the roster gives every rep at least one working day a week
        for opens, closes in hours.get(day.weekday(), ()):
            begin = max(datetime.combine(day, opens, zone).astimezone(timezone.utc), start)
            end = datetime.combine(day, closes, zone).astimezone(timezone.utc)
            if end <= begin:
                continue
            if end - begin >= remaining:
                return begin + remaining
            remaining -= end - begin
        day += timedelta(days=1)
    raise ValueError(f"no working hours within a year in {hours!r}")


@dataclass(frozen=True)
class SlaReport:
    reminded: int = 0
    rerouted: int = 0
    escalated: int = 0

    def __bool__(self) -> bool:  # a round that did nothing is not worth a log line
        return bool(self.reminded or self.rerouted or self.escalated)


def check_slas(
    db: LeadStore, roster: Roster, sla: SlaConfig, notifications: Notifications, now: datetime | None = None
) -> SlaReport:
    """One round: every step that is due and not yet taken, each in its own transaction."""
    now = now or utcnow()
    reminded = rerouted = escalated = 0
    with db.session() as session:
        meetings = session.execute(
            select(Meeting.id, Meeting.rep_id, Meeting.assigned_at, Meeting.created_at, Meeting.sla_reminded_at).where(
                Meeting.status == "booked", Meeting.sla_lapsed_at.is_(None), Meeting.start > now
            )
        ).all()
        requests = (
            session.execute(
                select(PersonRequest).where(
                    PersonRequest.answered_at.is_(None), PersonRequest.sla_escalated_at.is_(None)
                )
            )
            .scalars()
            .all()
        )
    for meeting_id, rep_id, assigned_at, created_at, reminded_at in meetings:
        rep = roster.reps.get(rep_id)
        if rep is None:
            continue  # a rep since removed from the roster: nobody to remind, the manager sees it
        since = assigned_at or created_at
        if now >= add_working_minutes(rep.working_hours, rep.timezone, since, sla.meetings.reroute_after_minutes):
            outcome = _lapse(db, roster, sla, notifications, meeting_id, rep_id, now)
            rerouted += outcome == "rerouted"
            escalated += outcome == "escalated"
        elif reminded_at is None and now >= add_working_minutes(
            rep.working_hours, rep.timezone, since, sla.meetings.remind_after_minutes
        ):
            reminded += _remind_rep(db, roster, sla, notifications, meeting_id, rep_id, now)
    for request in requests:
        contact = _request_contact(roster, request)
        hours, zone, since = contact.working_hours, contact.timezone, request.created_at
        if now >= add_working_minutes(hours, zone, since, sla.person_requests.escalate_after_minutes):
            escalated += _escalate_request(db, sla, notifications, request.id, contact, now)
        elif request.sla_reminded_at is None and now >= add_working_minutes(
            hours, zone, since, sla.person_requests.remind_after_minutes
        ):
            reminded += _remind_contact(db, sla, notifications, request.id, contact, now)
    return SlaReport(reminded, rerouted, escalated)


class SlaWatch:
    """Runs `check_slas` at most once per `check_every_seconds` by the clock it is given; the
    outbox worker calls `run_if_due()` after each delivery round."""

    def __init__(
        self,
        db: LeadStore,
        roster: Roster,
        sla: SlaConfig,
        notifications: Notifications,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.db, self.roster, self.sla, self.notifications, self.clock = db, roster, sla, notifications, clock
        self.last_run: datetime | None = None

    def run_if_due(self) -> SlaReport | None:
        now = self.clock()
        if self.last_run is not None and now - self.last_run < timedelta(seconds=self.sla.check_every_seconds):
            return None
        self.last_run = now
        return check_slas(self.db, self.roster, self.sla, self.notifications, now)


# -- meetings ------------------------------------------------------------------------------------


def _claim(session: Session, model, row_id: int, column: str, now: datetime, *conditions) -> bool:
    """Set `column` to `now` where it is still empty (and `conditions` hold): exactly one of
    several workers checking at once gets rowcount 1 and takes the step."""
    result = session.execute(
        update(model)
        .where(model.id == row_id, getattr(model, column).is_(None), *conditions)
        .values({column: now})
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _console_link(notifications: Notifications, lead_id: int) -> str:
    return f"{notifications.public_base_url.rstrip('/')}/console/leads/{lead_id}"


def _remind_rep(
    db: LeadStore, roster: Roster, sla: SlaConfig, notifications: Notifications, meeting_id: int, rep_id: str, now
) -> bool:
    with db.session() as session:
        still_waiting = (Meeting.status == "booked", Meeting.rep_id == rep_id, Meeting.sla_lapsed_at.is_(None))
        if not _claim(session, Meeting, meeting_id, "sla_reminded_at", now, *still_waiting):
            return False
        meeting = session.get(Meeting, meeting_id)
        lead = session.get(Lead, meeting.lead_id)
        rep = roster.rep(rep_id)
        when = format_meeting_time(MeetingTime(meeting.start, meeting.end), rep.timezone)
        minutes, limit = sla.meetings.remind_after_minutes, sla.meetings.reroute_after_minutes
        enqueue(
            session,
            "email",
            rep.email,
            {
                "subject": f"Reminder: accept or reject {who_is(lead)} – {when}",
                "text": (
                    f"Hi {rep.name.split()[0]},\n\n"
                    f"The meeting with {who_is(lead)} on {when} has waited {minutes} working minutes for you "
                    f"to accept or reject it. After {limit} working minutes it goes to another rep.\n\n"
                    f"Accept or reject it with the links in the booking email, or in the console:\n"
                    f"  {_console_link(notifications, lead.id)}\n"
                ),
            },
            now,
        )
        write_audit(
            session,
            lead.id,
            "sla_reminder",
            "sla",
            now,
            rep_id=rep_id,
            meeting_id=meeting_id,
            reason=f"not accepted within {minutes} working minutes",
        )
        return True


def _lapse(
    db: LeadStore, roster: Roster, sla: SlaConfig, notifications: Notifications, meeting_id: int, rep_id: str, now
) -> str | None:
    """Re-route the meeting away from `rep_id`, or escalate it to the manager when no rep can
    take it: "rerouted" | "escalated" | None (another worker took this lapse)."""
    with db.session() as session:
        still_waiting = (Meeting.status == "booked", Meeting.rep_id == rep_id)
        if not _claim(session, Meeting, meeting_id, "sla_lapsed_at", now, *still_waiting):
            return None
        meeting = session.get(Meeting, meeting_id)
        lead = session.get(Lead, meeting.lead_id)
        old_rep = roster.rep(rep_id)
        minutes = sla.meetings.reroute_after_minutes
        why = f"re-routed: {old_rep.name} did not accept within {minutes} working minutes"
        lapsed = {rep_id} | set(
            session.scalars(
                select(HandoffAudit.rep_id).where(
                    HandoffAudit.meeting_id == meeting_id, HandoffAudit.action == "sla_rerouted"
                )
            )
        )
        busy = {rep.id for rep in roster.reps.values() if not can_take(session, roster, rep, meeting)}
        decision = decide_route(session, roster, LeadFacts.from_lead(_columns(lead)), now, frozenset(lapsed | busy))
        new_rep = roster.reps.get(decision.rep_id) if decision.rep_id else None
        if new_rep is not None:
            try:
                move_meeting(session, meeting, new_rep, roster, now, notifications)
            except DecisionRefused:
                new_rep = None  # taken in between: the manager decides
        if new_rep is not None:
            record_assignment(
                session,
                lead.id,
                RoutingDecision(new_rep.id, decision.rule, (why, *decision.reasons)),
                now,
            )
            write_audit(
                session,
                lead.id,
                "sla_rerouted",
                "sla",
                now,
                rep_id=rep_id,
                to_rep_id=new_rep.id,
                meeting_id=meeting_id,
                reason=why,
            )
            return "rerouted"
        reasons = (why, "no other rep can take the meeting's time", f"escalated to {sla.manager.name}")
        record_assignment(session, lead.id, RoutingDecision(None, "sla_escalation", reasons, "manager"), now)
        when = format_meeting_time(MeetingTime(meeting.start, meeting.end), old_rep.timezone)
        enqueue(
            session,
            "email",
            sla.manager.email,
            {
                "subject": f"Nobody accepted {who_is(lead)} – {when}",
                "text": "\n".join(
                    [
                        f"{old_rep.name} has not accepted the meeting with {who_is(lead)} on {when} "
                        f"({old_rep.timezone}) within {minutes} working minutes, and no other rep can take its time.",
                        "The meeting is still booked with them. Reassign or decide it in the console:",
                        f"  {_console_link(notifications, lead.id)}",
                        "",
                        *lead_lines(lead),
                    ]
                )
                + "\n",
            },
            now,
        )
        write_audit(
            session, lead.id, "sla_escalated", "sla", now, rep_id=rep_id, meeting_id=meeting_id, reason=reasons[1]
        )
        return "escalated"


# -- person requests -----------------------------------------------------------------------------


def _request_contact(roster: Roster, request: PersonRequest) -> PersonContact:
    """Who was asked: the stored rep or queue (a request from before revision 0005: the fallback)."""
    if request.rep_id is None and request.queue in roster.queues:
        queue = roster.queues[request.queue]
        return PersonContact(
            f"the {request.queue} team", queue.email, queue.timezone, queue.working_hours, queue=request.queue
        )
    return contact_for(roster, request.rep_id)


def _remind_contact(
    db: LeadStore, sla: SlaConfig, notifications: Notifications, request_id: int, contact: PersonContact, now
) -> bool:
    with db.session() as session:
        unanswered = (PersonRequest.answered_at.is_(None), PersonRequest.sla_escalated_at.is_(None))
        if not _claim(session, PersonRequest, request_id, "sla_reminded_at", now, *unanswered):
            return False
        request = session.get(PersonRequest, request_id)
        lead = session.get(Lead, request.lead_id)
        minutes = sla.person_requests.remind_after_minutes
        enqueue(
            session,
            "email",
            contact.email,
            {
                "subject": f"Reminder: {who_is(lead)} is waiting for a person",
                "text": (
                    f"{who_is(lead)} asked to talk to a person {minutes} working minutes ago ({request.message}) "
                    f"and nobody has marked it answered. After {sla.person_requests.escalate_after_minutes} "
                    f"working minutes it goes to {sla.manager.name}.\n\n"
                    f"Mark it answered in the console once you have replied:\n  {_console_link(notifications, lead.id)}\n"
                ),
            },
            now,
        )
        write_audit(
            session,
            lead.id,
            "sla_reminder",
            "sla",
            now,
            rep_id=contact.rep_id,
            person_request_id=request_id,
            reason=f"not answered within {minutes} working minutes",
        )
        return True


def _escalate_request(
    db: LeadStore, sla: SlaConfig, notifications: Notifications, request_id: int, contact: PersonContact, now
) -> bool:
    with db.session() as session:
        if not _claim(session, PersonRequest, request_id, "sla_escalated_at", now, PersonRequest.answered_at.is_(None)):
            return False
        request = session.get(PersonRequest, request_id)
        lead = session.get(Lead, request.lead_id)
        minutes = sla.person_requests.escalate_after_minutes
        why = f"{contact.name} did not answer within {minutes} working minutes"
        enqueue(
            session,
            "email",
            sla.manager.email,
            {
                "subject": f"Unanswered: {who_is(lead)} asked for a person",
                "text": "\n".join(
                    [
                        f"{who_is(lead)} asked to talk to a person ({request.message}); {why}.",
                        f"Please make sure someone replies, and mark it answered: {_console_link(notifications, lead.id)}",
                        "",
                        *lead_lines(lead),
                    ]
                )
                + "\n",
            },
            now,
        )
        write_audit(
            session,
            lead.id,
            "sla_escalated",
            "sla",
            now,
            rep_id=contact.rep_id,
            person_request_id=request_id,
            reason=why,
        )
        return True


def answer_person_request(
    db: LeadStore, request_id: int, actor: str, now: datetime | None = None, only_rep: str | None = None
) -> bool:
    """Mark a person request answered, which ends its SLA; False when it was already (or is
    not `only_rep`'s: a rep marks only requests that were sent to them)."""
    now = now or utcnow()
    with db.session() as session:
        conditions = [PersonRequest.rep_id == only_rep] if only_rep is not None else []
        if not _claim(session, PersonRequest, request_id, "answered_at", now, *conditions):
            return False
        request = session.get(PersonRequest, request_id)
        request.answered_by = actor[:64]
        write_audit(
            session, request.lead_id, "answered", actor, now, rep_id=request.rep_id, person_request_id=request_id
        )
        return True

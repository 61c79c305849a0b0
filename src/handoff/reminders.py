"""Reminder emails before a meeting, to the visitor (with their reschedule and cancel links)
and to the rep, `meeting_reminders.before_minutes` before it starts (config/sla.yml).

The outbox worker runs `ReminderWatch.run_if_due()` after each round. Each meeting's reminder
is claimed with a conditional UPDATE of `meetings.reminded_at`, in the transaction that queues
its emails, so any number of workers send it once. Moving the meeting clears the claim: the new
time gets its own reminder. A time chosen inside the window (booked for tomorrow morning with a
24-hour reminder) gets none, since its confirmation has only just gone out.

    sent = send_due_reminders(db, roster, config, notifications, now)
    watch = ReminderWatch(db, roster, config, notifications, check_every_seconds, clock=utcnow)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update

from appconfig.yamlfile import Checked, ConfigModel, Flag, integer
from leaddb import LeadStore, utcnow
from leaddb.leads import Lead
from leaddb.meetings import HOLDING_STATUSES, Meeting

from .notify import Notifications, enqueue_rep_news, enqueue_visitor_news
from .roster import Roster


class ReminderConfig(ConfigModel):
    """`meeting_reminders:` in config/sla.yml."""

    enabled: Checked[bool, Flag] = True
    before_minutes: Checked[int, integer(minimum=5, maximum=60 * 24 * 14)] = 24 * 60

    @property
    def before(self) -> timedelta:
        return timedelta(minutes=self.before_minutes)


def send_due_reminders(
    db: LeadStore, roster: Roster, config: ReminderConfig, notifications: Notifications, now: datetime | None = None
) -> int:
    """Queue the reminders that are due and not yet sent; returns how many meetings got one."""
    if not config.enabled:
        return 0
    now = now or utcnow()
    with db.session() as session:
        due = session.execute(
            select(Meeting.id, Meeting.start, Meeting.scheduled_at, Meeting.created_at).where(
                Meeting.status.in_(HOLDING_STATUSES),
                Meeting.reminded_at.is_(None),
                Meeting.start > now,
                Meeting.start <= now + config.before,
            )
        ).all()
    sent = 0
    for meeting_id, start, scheduled_at, created_at in due:
        if (scheduled_at or created_at) >= start - config.before:
            continue  # chosen inside the window: the confirmation was the reminder
        sent += _remind(db, roster, notifications, meeting_id, start, now)
    return sent


def _remind(
    db: LeadStore, roster: Roster, notifications: Notifications, meeting_id: int, start: datetime, now: datetime
) -> bool:
    with db.session() as session:
        claimed = session.execute(
            update(Meeting)
            .where(
                Meeting.id == meeting_id,
                Meeting.reminded_at.is_(None),
                Meeting.status.in_(HOLDING_STATUSES),
                Meeting.start == start,  # moved since it was read: the next round looks again
            )
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            return False  # another worker sent it, or the meeting changed
        meeting = session.get(Meeting, meeting_id)
        rep = roster.reps.get(meeting.rep_id)
        if rep is None:
            return False  # a rep since removed from the roster: nobody to meet
        lead = session.get(Lead, meeting.lead_id)
        enqueue_visitor_news(session, notifications, "reminder", rep, meeting, lead, now)
        enqueue_rep_news(session, notifications, "reminder", rep, meeting, lead, now)
        return True


class ReminderWatch:
    """Runs `send_due_reminders` at most once per `check_every_seconds` by the clock it is given."""

    def __init__(
        self,
        db: LeadStore,
        roster: Roster,
        config: ReminderConfig,
        notifications: Notifications,
        check_every_seconds: int = 60,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.db, self.roster, self.config, self.notifications = db, roster, config, notifications
        self.every, self.clock = timedelta(seconds=check_every_seconds), clock
        self.last_run: datetime | None = None

    def run_if_due(self) -> int | None:
        now = self.clock()
        if self.last_run is not None and now - self.last_run < self.every:
            return None
        self.last_run = now
        return send_due_reminders(self.db, self.roster, self.config, self.notifications, now)

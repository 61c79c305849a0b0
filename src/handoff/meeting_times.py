"""Open meeting times of a rep: working hours in the rep's time zone, minus booked meetings
and their buffers, past the minimum notice, within the booking horizon, under the daily cap.

Working hours are wall-clock times, so a 09:00 start stays 09:00 local across a DST change
(its UTC time moves). On a spring-forward night, local times that do not exist are skipped;
on a fall-back night, a repeated local time is offered once (its first occurrence).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterator, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from leaddb import LeadStore
from leaddb.meetings import HOLDING_STATUSES, Meeting

from .geo import zone
from .roster import MeetingSettings, Rep, Roster


@dataclass(frozen=True, order=True)
class MeetingTime:
    start: datetime  # aware, UTC
    end: datetime

    @property
    def payload(self) -> str:
        """The value a button sends back to book this time (see `parse_time_payload`)."""
        return self.start.astimezone(timezone.utc).isoformat()


def parse_time_payload(text: str) -> datetime:
    """A meeting time's payload (ISO 8601 with an offset) as an aware UTC datetime; ValueError otherwise."""
    try:
        start = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date and time") from None
    if start.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return start.astimezone(timezone.utc)


def format_meeting_time(meeting_time: MeetingTime, zone_name: str) -> str:
    """"Tue 10 Mar 2026, 15:00–15:30 CET" in the given IANA zone (the visitor's or the rep's)."""
    tz = zone(zone_name)
    start, end = meeting_time.start.astimezone(tz), meeting_time.end.astimezone(tz)
    return f"{start:%a} {start.day} {start:%b %Y}, {start:%H:%M}–{end:%H:%M} {start:%Z}"


def open_times(
    roster: Roster,
    rep_id: str,
    db: LeadStore,
    now: datetime,
    count: int = 3,
    after: Optional[datetime] = None,
) -> list[MeetingTime]:
    """The `count` soonest open times of the rep, starting after `after` when given
    (pass the last time shown to offer "other times")."""
    rep = roster.rep(rep_id)
    if not rep.active:
        return []
    settings = roster.meetings
    with db.session() as session:
        meetings = _holding_meetings(session, rep, now, settings)
    per_day = Counter(meeting.start.astimezone(rep.zone).date() for meeting in meetings)
    found: list[MeetingTime] = []
    for meeting_time in _offerable_times(rep, settings, now):
        if after is not None and meeting_time.start <= after:
            continue
        if per_day[meeting_time.start.astimezone(rep.zone).date()] >= rep.daily_meeting_cap:
            continue
        if _clashes(meeting_time, meetings, settings.buffer):
            continue
        found.append(meeting_time)
        if len(found) == count:
            break
    return found


def is_offerable(rep: Rep, settings: MeetingSettings, start: datetime, now: datetime) -> bool:
    """Whether `start` is the start of a meeting time we would ever show now: on the rep's working-hours
    grid, past the minimum notice and within the horizon (bookings are not considered)."""
    day = start.astimezone(rep.zone).date()
    return any(
        meeting_time.start == start and _within_notice_and_horizon(meeting_time, settings, now)
        for meeting_time in _working_times(rep, settings, day)
    )


def _offerable_times(rep: Rep, settings: MeetingSettings, now: datetime) -> Iterator[MeetingTime]:
    first_day = now.astimezone(rep.zone).date()
    last_day = (now + settings.horizon).astimezone(rep.zone).date()
    day = first_day
    while day <= last_day:
        for meeting_time in _working_times(rep, settings, day):
            if _within_notice_and_horizon(meeting_time, settings, now):
                yield meeting_time
        day += timedelta(days=1)


def _within_notice_and_horizon(meeting_time: MeetingTime, settings: MeetingSettings, now: datetime) -> bool:
    return now + settings.minimum_notice <= meeting_time.start < now + settings.horizon


def _working_times(rep: Rep, settings: MeetingSettings, day: date) -> Iterator[MeetingTime]:
    """Times on the working-hours grid of one local day, in time order."""
    tz = rep.zone
    for range_start, range_end in rep.working_hours.get(day.weekday(), ()):
        range_end_utc = datetime.combine(day, range_end, tzinfo=tz).astimezone(timezone.utc)
        wall = datetime.combine(day, range_start)
        while wall.date() == day:
            start = _local_to_utc(wall, tz)
            if start is not None:
                if start + settings.length > range_end_utc:
                    break
                yield MeetingTime(start, start + settings.length)
            wall += settings.step


def _local_to_utc(wall: datetime, tz: ZoneInfo) -> Optional[datetime]:
    """The UTC instant of a naive local wall time, or None if the clocks skip it."""
    utc = wall.replace(tzinfo=tz).astimezone(timezone.utc)
    if utc.astimezone(tz).replace(tzinfo=None) != wall:
        return None
    return utc


def _clashes(meeting_time: MeetingTime, meetings: list[Meeting], buffer: timedelta) -> bool:
    return any(meeting_time.start < meeting.end + buffer and meeting.start < meeting_time.end + buffer for meeting in meetings)


def _holding_meetings(session: Session, rep: Rep, now: datetime, settings: MeetingSettings) -> list[Meeting]:
    # A day's margin each side covers whole local days at the edges (for the daily cap).
    return list(
        session.execute(
            select(Meeting).where(
                Meeting.rep_id == rep.id,
                Meeting.status.in_(HOLDING_STATUSES),
                Meeting.start >= now - timedelta(days=1),
                Meeting.start < now + settings.horizon + timedelta(days=1),
            )
        ).scalars()
    )


def day_is_full(session: Session, rep: Rep, day: date, except_meeting_id: int) -> bool:
    """Whether the rep's local `day` already holds `daily_meeting_cap` other meetings."""
    day_start = datetime.combine(day, time(0), tzinfo=rep.zone)
    day_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=rep.zone)
    others = session.execute(
        select(Meeting.id).where(
            Meeting.rep_id == rep.id,
            Meeting.status.in_(HOLDING_STATUSES),
            Meeting.start >= day_start,
            Meeting.start < day_end,
            Meeting.id != except_meeting_id,
        )
    ).all()
    return len(others) >= rep.daily_meeting_cap


def clashing_meeting(session: Session, rep: Rep, meeting_time: MeetingTime, buffer: timedelta, except_meeting_id: int) -> Optional[Meeting]:
    """Another holding meeting of the rep within `buffer` of `meeting_time`, if any."""
    return session.execute(
        select(Meeting).where(
            Meeting.rep_id == rep.id,
            Meeting.status.in_(HOLDING_STATUSES),
            Meeting.id != except_meeting_id,
            Meeting.start < meeting_time.end + buffer,
            Meeting.end > meeting_time.start - buffer,
        ).limit(1)
    ).scalar_one_or_none()

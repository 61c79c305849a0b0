"""Open meeting times of a rep: working hours in the rep's time zone, minus booked meetings
and their buffers, past the minimum notice, within the booking horizon, under the daily cap.
The cap counts the meetings that start on one calendar day in the rep's time zone, whenever
they were booked; routing asks the same question (`has_a_day_under_the_cap`).

Working hours are wall-clock times, so a 09:00 start stays 09:00 local across a DST change
(its UTC time moves). On a spring-forward night, local times that do not exist are skipped;
on a fall-back night, a repeated local time is offered once (its first occurrence).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
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


# Anything downstream moves a start by a rep's UTC offset or a meeting's length: payloads keep
# a day clear of both ends of the calendar so none of that can overflow.
_EARLIEST_PAYLOAD = datetime.min.replace(tzinfo=timezone.utc) + timedelta(days=1)
_LATEST_PAYLOAD = datetime.max.replace(tzinfo=timezone.utc) - timedelta(days=1)


def parse_time_payload(text: object) -> datetime:
    """A meeting time's payload (ISO 8601 with an offset) as an aware UTC datetime; ValueError otherwise.

    Whatever a client sends ends here as ValueError: a non-string, garbage, a lone surrogate,
    or a date at the edge of the calendar whose UTC instant does not exist (year 1 at +14:00,
    year 9999 at -14:00, which `astimezone` would raise OverflowError for)."""
    shown = repr(text)[:80]
    if not isinstance(text, str) or len(text) > 64:
        raise ValueError(f"{shown} is not an ISO 8601 date and time")
    try:
        start = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{shown} is not an ISO 8601 date and time") from None
    if start.tzinfo is None:
        raise ValueError(f"{shown} has no UTC offset")
    try:
        start = start.astimezone(timezone.utc)
        if not _EARLIEST_PAYLOAD < start < _LATEST_PAYLOAD:
            raise OverflowError
    except OverflowError:
        raise ValueError(f"{shown} is outside the calendar") from None
    return start


def format_meeting_time(meeting_time: MeetingTime, zone_name: str) -> str:
    """ "Tue 10 Mar 2026, 15:00–15:30 CET" in the given IANA zone (the visitor's or the rep's)."""
    tz = zone(zone_name)
    start, end = meeting_time.start.astimezone(tz), meeting_time.end.astimezone(tz)
    return f"{start:%a} {start.day} {start:%b %Y}, {start:%H:%M}–{end:%H:%M} {start:%Z}"


def open_times(
    roster: Roster,
    rep_id: str,
    db: LeadStore,
    now: datetime,
    count: int = 3,
    after: datetime | None = None,
    except_meeting_id: int | None = None,
) -> list[MeetingTime]:
    """The `count` soonest open times of the rep, starting after `after` when given
    (pass the last time shown to offer "other times"). `except_meeting_id`, a meeting being
    moved, is as if it were not booked: moving it frees its time, buffer and place in the cap."""
    rep = roster.rep(rep_id)
    if not rep.active:
        return []
    settings = roster.meetings
    found: list[MeetingTime] = []
    with db.session() as session:
        meetings = [
            meeting for meeting in _holding_meetings(session, rep, now, settings) if meeting.id != except_meeting_id
        ]
        for day, times in _offerable_days(rep, settings, now):
            times = [meeting_time for meeting_time in times if after is None or meeting_time.start > after]
            if not times or day_is_full(session, rep, day, except_meeting_id):
                continue
            for meeting_time in times:
                if _clashes(meeting_time, meetings, settings.buffer):
                    continue
                found.append(meeting_time)
                if len(found) == count:
                    return found
    return found


def has_a_day_under_the_cap(session: Session, rep: Rep, settings: MeetingSettings, now: datetime) -> bool:
    """Whether some day within the booking horizon has times to offer and room under the
    rep's daily cap (meetings booked today for later days do not fill today)."""
    return any(not day_is_full(session, rep, day) for day, _ in _offerable_days(rep, settings, now))


def meetings_on_day(session: Session, rep: Rep, day: date, except_meeting_id: int | None = None) -> int:
    """The rep's holding meetings that start on their local calendar `day`: what the daily
    cap counts, whenever they were booked."""
    day_start = datetime.combine(day, time(0), tzinfo=rep.zone)
    day_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=rep.zone)
    query = select(func.count(Meeting.id)).where(
        Meeting.rep_id == rep.id,
        Meeting.status.in_(HOLDING_STATUSES),
        Meeting.start >= day_start,
        Meeting.start < day_end,
    )
    if except_meeting_id is not None:
        query = query.where(Meeting.id != except_meeting_id)
    return session.execute(query).scalar_one()


def day_is_full(session: Session, rep: Rep, day: date, except_meeting_id: int | None = None) -> bool:
    """Whether the rep's local `day` already holds `daily_meeting_cap` meetings (other than
    `except_meeting_id`, the one being booked)."""
    return meetings_on_day(session, rep, day, except_meeting_id) >= rep.daily_meeting_cap


def is_offerable(rep: Rep, settings: MeetingSettings, start: datetime, now: datetime) -> bool:
    """Whether `start` is the start of a meeting time we would ever show now: on the rep's working-hours
    grid, past the minimum notice and within the horizon (bookings are not considered)."""
    day = start.astimezone(rep.zone).date()
    return any(
        meeting_time.start == start and _within_notice_and_horizon(meeting_time, settings, now)
        for meeting_time in _working_times(rep, settings, day)
    )


def _offerable_days(rep: Rep, settings: MeetingSettings, now: datetime) -> Iterator[tuple[date, list[MeetingTime]]]:
    """Each local day within the horizon that has times to offer, with those times in order."""
    day = now.astimezone(rep.zone).date()
    last_day = (now + settings.horizon).astimezone(rep.zone).date()
    while day <= last_day:
        times = [
            meeting_time
            for meeting_time in _working_times(rep, settings, day)
            if _within_notice_and_horizon(meeting_time, settings, now)
        ]
        if times:
            yield day, times
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


def _local_to_utc(wall: datetime, tz: ZoneInfo) -> datetime | None:
    """The UTC instant of a naive local wall time, or None if the clocks skip it."""
    utc = wall.replace(tzinfo=tz).astimezone(timezone.utc)
    if utc.astimezone(tz).replace(tzinfo=None) != wall:
        return None
    return utc


def _clashes(meeting_time: MeetingTime, meetings: list[Meeting], buffer: timedelta) -> bool:
    return any(
        meeting_time.start < meeting.end + buffer and meeting.start < meeting_time.end + buffer for meeting in meetings
    )


def _holding_meetings(session: Session, rep: Rep, now: datetime, settings: MeetingSettings) -> list[Meeting]:
    """The rep's meetings that could clash, buffers included, with a time within the horizon."""
    return list(
        session.execute(
            select(Meeting).where(
                Meeting.rep_id == rep.id,
                Meeting.status.in_(HOLDING_STATUSES),
                Meeting.end > now - settings.buffer,
                Meeting.start < now + settings.horizon + settings.length + settings.buffer,
            )
        ).scalars()
    )


def clashing_meeting(
    session: Session, rep: Rep, meeting_time: MeetingTime, buffer: timedelta, except_meeting_id: int
) -> Meeting | None:
    """Another holding meeting of the rep within `buffer` of `meeting_time`, if any."""
    return session.execute(
        select(Meeting)
        .where(
            Meeting.rep_id == rep.id,
            Meeting.status.in_(HOLDING_STATUSES),
            Meeting.id != except_meeting_id,
            Meeting.start < meeting_time.end + buffer,
            Meeting.end > meeting_time.start - buffer,
        )
        .limit(1)
    ).scalar_one_or_none()


# How visitors point at one of the offered times when they type instead of clicking.
_ORDINALS = {
    "first": 0, "1st": 0, "one": 0, "1": 0,
    "second": 1, "2nd": 1, "two": 1, "2": 1,
    "third": 2, "3rd": 2, "three": 2, "3": 2,
    "last": -1,
}  # fmt: skip


def pick_by_ordinal(text: str, offered: Sequence[str]) -> str | None:
    """The offered time a typed choice points at ("the second one", "1st", "last"), or None."""
    for word in re.findall(r"\w+", text.lower()):
        index = _ORDINALS.get(word)
        if index is not None and -len(offered) <= index < len(offered):
            return offered[index]
    return None


# Typed replies to offered times that are no pick: "none of these work for me", "any other
# times?". Tried before the ordinal ("the second one doesn't work" declines, it does not pick).
_OTHER_TIMES = re.compile(
    r"\b(other|another|different|more|later|earlier)\s+(times?|slots?|days?|options?|dates?|week)\b"
    r"|\banything (else|later|earlier)\b|\b(next|following) week\b|\bany others?\b",
    re.IGNORECASE,
)
_DECLINE = re.compile(
    r"\b(none|neither)\b|\b(doesn'?t|don'?t|does not|do not|won'?t|can'?t|cannot)\s+(work|suit|fit|make|do)\b"
    r"|\b(not|no) (good|great|possible|available|free|ideal)\b|\b(busy|booked|away|travell?ing)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class OfferReply:
    """What a typed reply to the offered times says: "choice" (with the payload it points at),
    "more" (other times), "decline" (none suit: a person should propose one) or "unclear"."""

    kind: str
    payload: str | None = None


def read_offer_reply(text: str, offered: Sequence[str]) -> OfferReply:
    if _OTHER_TIMES.search(text):
        return OfferReply("more")
    if _DECLINE.search(text):
        return OfferReply("decline")
    picked = pick_by_ordinal(text, offered)
    return OfferReply("choice", picked) if picked else OfferReply("unclear")


_MOVE = re.compile(
    r"\b(move|moving|reschedul\w*|re-schedul\w*|postpone|push (it|this|the meeting) back|bring (it|this) forward)\b"
    r"|\b(change|switch)\b.*\b(time|date|day|slot|meeting)\b"
    r"|\b(later|earlier|another|different|other)\s+(time|date|day|slot)s?\b",
    re.IGNORECASE,
)


def asks_to_move(text: str) -> bool:
    """A visitor who holds a meeting asks for another time ("can we move it to a later time?")."""
    return bool(_MOVE.search(text))

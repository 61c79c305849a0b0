"""Open meeting times: working hours in the rep's zone, notice, buffers, cap, horizon, and DST changes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from handoff import MeetingTime, format_meeting_time, open_times, parse_time_payload, pick_by_ordinal

from .conftest import MONDAY
from .helpers import add_meeting

UTC = timezone.utc


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def starts(times):
    return [meeting_time.start for meeting_time in times]


@pytest.mark.parametrize(
    "now, expected",
    [
        # 09:00 Berlin; an hour's notice -> from 10:00 Berlin (09:00 UTC)
        (MONDAY, [utc(2026, 3, 2, 9), utc(2026, 3, 2, 9, 30), utc(2026, 3, 2, 10)]),
        # 11:00 Berlin: the lunch gap 12:00-13:00 is skipped
        (utc(2026, 3, 2, 10), [utc(2026, 3, 2, 12), utc(2026, 3, 2, 12, 30), utc(2026, 3, 2, 13)]),
        # Friday 16:30 Berlin: next working day is Monday
        (utc(2026, 3, 6, 15, 30), [utc(2026, 3, 9, 8), utc(2026, 3, 9, 8, 30), utc(2026, 3, 9, 9)]),
    ],
)
def test_three_soonest_times(roster, sqlite_store, now, expected):
    times = open_times(roster, "berlin", sqlite_store, now)
    assert starts(times) == expected
    assert all(meeting_time.end - meeting_time.start == timedelta(minutes=30) for meeting_time in times)


def test_booked_meetings_and_their_buffers_are_not_offered(roster, store):
    add_meeting(store, "berlin", utc(2026, 3, 2, 9), created_at=MONDAY)  # 10:00-10:30 Berlin
    # 09:30-10:00 and 10:30-11:00 would leave no 15-minute buffer
    assert starts(open_times(roster, "berlin", store, MONDAY)) == [
        utc(2026, 3, 2, 10),
        utc(2026, 3, 2, 10, 30),
        utc(2026, 3, 2, 12),
    ]


def test_a_full_day_offers_nothing_more(roster, store):
    for hour in (13, 14, 15):  # cap is 3 meetings a day
        add_meeting(store, "berlin", utc(2026, 3, 2, hour), created_at=MONDAY)
    assert starts(open_times(roster, "berlin", store, MONDAY, count=1)) == [utc(2026, 3, 3, 8)]  # Tuesday 09:00 Berlin


def test_the_cap_counts_the_meetings_day_in_the_reps_time_zone(roster, store):
    # Monday 23:00 and 23:30 UTC and Tuesday 00:00 UTC are all Tuesday night in Berlin.
    for start in (utc(2026, 3, 2, 23), utc(2026, 3, 2, 23, 30), utc(2026, 3, 3, 0)):
        add_meeting(store, "berlin", start, created_at=MONDAY)
    days = _by_local_day(open_times(roster, "berlin", store, MONDAY, count=40), "Europe/Berlin")
    assert len(days[date(2026, 3, 2)]) == 12  # Monday is untouched: 14 times less the first hour's notice
    assert date(2026, 3, 3) not in days and len(days[date(2026, 3, 4)]) == 14


def test_other_times_continue_after_the_last_one_shown(roster, sqlite_store):
    first = open_times(roster, "berlin", sqlite_store, MONDAY)
    more = open_times(roster, "berlin", sqlite_store, MONDAY, after=first[-1].start)
    assert starts(first + more) == starts(open_times(roster, "berlin", sqlite_store, MONDAY, count=6))


def test_times_stay_within_notice_and_horizon(roster, sqlite_store):
    times = open_times(roster, "berlin", sqlite_store, MONDAY, count=1000)
    assert min(starts(times)) >= MONDAY + timedelta(hours=1)
    assert max(starts(times)) < MONDAY + timedelta(days=14)
    # Ten working days of 14 half-hour times, less the first hour's notice on Monday; the
    # horizon ends Monday 16 March at 09:00 Berlin, before its first meeting_time.
    assert len(times) == 10 * 14 - 2


def test_inactive_and_unknown_reps(roster, sqlite_store):
    assert open_times(roster, "retired", sqlite_store, MONDAY) == []
    with pytest.raises(ValueError, match="no rep 'nobody'"):
        open_times(roster, "nobody", sqlite_store, MONDAY)


def _by_local_day(times, zone_name):
    days = defaultdict(list)
    for meeting_time in times:
        local = meeting_time.start.astimezone(ZoneInfo(zone_name))
        days[local.date()].append(local)
    return days


@pytest.mark.parametrize(
    "rep_id, zone_name, now, friday, monday, friday_first, monday_first, per_day",
    [
        # Europe springs forward on Sunday 29 March 2026, falls back on Sunday 25 October.
        (
            "berlin",
            "Europe/Berlin",
            utc(2026, 3, 27, 5),
            "2026-03-27",
            "2026-03-30",
            utc(2026, 3, 27, 8),
            utc(2026, 3, 30, 7),
            14,
        ),
        (
            "berlin",
            "Europe/Berlin",
            utc(2026, 10, 23, 5),
            "2026-10-23",
            "2026-10-26",
            utc(2026, 10, 23, 7),
            utc(2026, 10, 26, 8),
            14,
        ),
        # The US springs forward on Sunday 8 March 2026, falls back on Sunday 1 November.
        (
            "newyork",
            "America/New_York",
            utc(2026, 3, 6, 12),
            "2026-03-06",
            "2026-03-09",
            utc(2026, 3, 6, 14),
            utc(2026, 3, 9, 13),
            16,
        ),
        (
            "newyork",
            "America/New_York",
            utc(2026, 10, 30, 12),
            "2026-10-30",
            "2026-11-02",
            utc(2026, 10, 30, 13),
            utc(2026, 11, 2, 14),
            16,
        ),
    ],
)
def test_working_hours_follow_the_wall_clock_across_dst(
    roster, sqlite_store, rep_id, zone_name, now, friday, monday, friday_first, monday_first, per_day
):
    times = open_times(roster, rep_id, sqlite_store, now, count=1000)
    days = _by_local_day(times, zone_name)
    fri, mon = datetime.fromisoformat(friday).date(), datetime.fromisoformat(monday).date()
    assert min(days[fri]).astimezone(UTC) == friday_first
    assert min(days[mon]).astimezone(UTC) == monday_first
    assert [local.time() for local in days[fri]] == [local.time() for local in days[mon]]  # same local grid
    assert len(days[fri]) == len(days[mon]) == per_day
    for local_starts in days.values():
        for local in local_starts:
            assert local.minute in (0, 30) and time(9) <= local.time() < time(17)


@pytest.mark.parametrize(
    "sunday, expected",
    [
        # 02:00-03:00 does not exist in Berlin that night: 01:00-04:00 local is two real hours.
        ("2026-03-29", [utc(2026, 3, 29, 0), utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1), utc(2026, 3, 29, 1, 30)]),
        # 02:00-03:00 happens twice: four real hours, the repeated hour offered once.
        (
            "2026-10-25",
            [
                utc(2026, 10, 24, 23),
                utc(2026, 10, 24, 23, 30),
                utc(2026, 10, 25, 0),
                utc(2026, 10, 25, 0, 30),
                utc(2026, 10, 25, 2),
                utc(2026, 10, 25, 2, 30),
            ],
        ),
    ],
)
def test_hours_through_the_dst_change_itself(roster, sqlite_store, sunday, expected):
    night = replace(roster.reps["berlin"], id="night", working_hours={6: ((time(1), time(4)),)})
    roster = replace(roster, reps={**roster.reps, "night": night})
    now = datetime.fromisoformat(sunday).replace(tzinfo=UTC) - timedelta(days=1)
    times = open_times(roster, "night", sqlite_store, now, count=len(expected) + 1)
    assert starts(times)[: len(expected)] == expected
    assert times[len(expected)].start - times[0].start > timedelta(days=6)  # the next one is a week later
    assert all(a.end <= b.start for a, b in zip(times, times[1:]))


@pytest.mark.parametrize(
    "zone_name, text",
    [
        ("Europe/Berlin", "Tue 10 Mar 2026, 15:00–15:30 CET"),
        ("America/New_York", "Tue 10 Mar 2026, 10:00–10:30 EDT"),  # the US is already on summer time
        ("Asia/Tokyo", "Tue 10 Mar 2026, 23:00–23:30 JST"),
        ("Australia/Sydney", "Wed 11 Mar 2026, 01:00–01:30 AEDT"),
    ],
)
def test_format_meeting_time_for_the_visitor_and_the_rep(zone_name, text):
    assert format_meeting_time(MeetingTime(utc(2026, 3, 10, 14), utc(2026, 3, 10, 14, 30)), zone_name) == text


def test_format_meeting_time_rejects_an_unknown_zone():
    with pytest.raises(ValueError, match="not an IANA time zone"):
        format_meeting_time(MeetingTime(utc(2026, 3, 10, 14), utc(2026, 3, 10, 14, 30)), "Mars/Olympus")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-03-10T14:00:00+00:00", utc(2026, 3, 10, 14)),
        ("2026-03-10T15:00:00+01:00", utc(2026, 3, 10, 14)),
        ("2026-03-10T14:00:00Z", utc(2026, 3, 10, 14)),
    ],
)
def test_time_payloads_round_trip(text, expected):
    assert parse_time_payload(text) == expected
    assert parse_time_payload(MeetingTime(expected, expected + timedelta(minutes=30)).payload) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-10T14:00:00",
        "next tuesday",
        "",
        "2026-13-10T14:00:00Z",
        # The edges of the calendar, where converting to UTC (or to a rep's zone) overflows.
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "9999-12-31T23:59:59+00:00",
        "0001-01-01T00:00:00Z",
        "\ud800",
        "2026-03-10T14:00:00Z" * 10,
        None,
        20260310,
        ["2026-03-10T14:00:00Z"],
    ],
)
def test_bad_time_payloads(text):
    with pytest.raises(ValueError):
        parse_time_payload(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the second one works", "b"),
        ("1st please", "a"),
        ("I'll take the last", "c"),
        ("third", "c"),
        ("none of these", None),
        ("the fourth", None),
    ],
)
def test_a_typed_choice_points_at_an_offered_time(text, expected):
    assert pick_by_ordinal(text, ["a", "b", "c"]) == expected


def test_no_offer_means_no_choice():
    assert pick_by_ordinal("the first one", []) is None


@pytest.mark.parametrize(
    ("text", "kind", "payload"),
    [
        ("none of these times work for me", "decline", None),
        ("neither of those suits", "decline", None),
        ("sorry, the second one doesn't work", "decline", None),
        ("I'm travelling all that week", "decline", None),
        ("not available then unfortunately", "decline", None),
        ("any later slots?", "more", None),
        ("do you have something the following week", "more", None),
        ("none of those, anything else?", "more", None),
        ("different times please", "more", None),
        ("the 2nd please", "choice", "b"),
        ("last one works", "choice", "c"),
        ("what's your refund policy", "unclear", None),
    ],
)
def test_a_typed_reply_to_offered_times_is_read_as_pick_more_or_decline(text, kind, payload):
    from handoff import read_offer_reply

    reply = read_offer_reply(text, ["a", "b", "c"])
    assert (reply.kind, reply.payload) == (kind, payload)

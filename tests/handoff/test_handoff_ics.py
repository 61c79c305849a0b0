"""Calendar files parse back with the icalendar library and say what was booked."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from icalendar import Calendar

from handoff import book_meeting, check_feed_token, decide_meeting, feed_token, feed_url, invite_for, rep_feed

from .conftest import MONDAY

TUESDAY_10_BERLIN = datetime(2026, 3, 3, 9, tzinfo=timezone.utc)
WEDNESDAY_10_BERLIN = datetime(2026, 3, 4, 9, tzinfo=timezone.utc)


def test_the_invite_parses_back(roster, sqlite_store):
    sqlite_store.record_answer("v1", "person_name", "Ada Lovelace", {"person_name": "Ada Lovelace"})
    sqlite_store.record_answer("v1", "email", "ada@analytical.example", {"email": "ada@analytical.example"})
    booking = book_meeting(sqlite_store, "berlin", "v1", TUESDAY_10_BERLIN, roster, MONDAY)

    calendar = Calendar.from_ical(invite_for(sqlite_store, roster, booking.meeting_id))
    assert str(calendar["METHOD"]) == "REQUEST"
    [event] = calendar.events
    assert (str(event["UID"]), event.start, event.end) == (booking.ics_uid, booking.start, booking.end)
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["ORGANIZER"]) == "mailto:bea@example.com"
    assert [str(attendee) for attendee in event.attendees] == ["mailto:ada@analytical.example"]
    assert "Ada Lovelace" in str(event["SUMMARY"]) and "Bea Berlin" in str(event["SUMMARY"])
    assert (
        str(Calendar.from_ical(invite_for(sqlite_store, roster, booking.meeting_id, "PUBLISH"))["METHOD"]) == "PUBLISH"
    )


def test_the_reps_feed_lists_their_meetings_and_cancellations(roster, sqlite_store):
    kept = book_meeting(sqlite_store, "berlin", "v1", TUESDAY_10_BERLIN, roster, MONDAY)
    dropped = book_meeting(sqlite_store, "berlin", "v2", WEDNESDAY_10_BERLIN, roster, MONDAY)
    book_meeting(sqlite_store, "munich", "v3", TUESDAY_10_BERLIN, roster, MONDAY)  # someone else's
    decide_meeting(sqlite_store, dropped.meeting_id, dropped.decision_token, False, "no budget", roster, MONDAY)

    calendar = Calendar.from_ical(rep_feed(sqlite_store, roster, "berlin"))
    events = [(str(event["UID"]), str(event["STATUS"]), int(event["SEQUENCE"])) for event in calendar.events]
    assert events == [(kept.ics_uid, "CONFIRMED", 0), (dropped.ics_uid, "CANCELLED", 1)]


def test_feed_tokens():
    token = feed_token("s3cret", "berlin")
    assert check_feed_token("s3cret", "berlin", token)
    assert not check_feed_token("s3cret", "munich", token)  # one rep's token opens only their feed
    assert not check_feed_token("rotated", "berlin", token)
    assert not check_feed_token("s3cret", "berlin", None)
    assert not check_feed_token("", "berlin", token)
    assert (
        feed_url("https://leads.example.com/", "s3cret", "berlin")
        == f"https://leads.example.com/reps/berlin/meetings.ics?token={token}"
    )
    with pytest.raises(ValueError, match="LEADQUAL_SECRET_KEY"):
        feed_token("", "berlin")


def test_invite_token_opens_one_meeting_only():
    from handoff import check_invite_token, invite_token, invite_url

    token = invite_token("s3cret", 7)
    assert check_invite_token("s3cret", 7, token)
    assert not check_invite_token("s3cret", 8, token)
    assert not check_invite_token("rotated", 7, token)
    assert token != feed_token("s3cret", "7")  # a feed token never opens an invite, nor the reverse
    assert invite_url("https://x.example/", "s3cret", 7) == f"https://x.example/meetings/7/invite.ics?token={token}"

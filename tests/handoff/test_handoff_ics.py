"""Calendar files parse back with the icalendar library and say what was booked."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from icalendar import Calendar
from sqlalchemy import inspect, text

from handoff import (
    book_meeting,
    check_feed_token,
    check_invite_token,
    decide_meeting,
    feed_token,
    feed_token_version,
    feed_url,
    invite_for,
    invite_token,
    invite_token_version,
    invite_url,
    rep_feed,
    rotate_feed_token,
    rotate_invite_token,
)
from leaddb import LeadStore

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


def test_the_visitors_download_carries_no_internal_note(roster, sqlite_store):
    booking = book_meeting(sqlite_store, "berlin", "v1", TUESDAY_10_BERLIN, roster, MONDAY)
    decide_meeting(sqlite_store, booking.meeting_id, booking.decision_token, True, "big budget", roster, MONDAY)

    def description(method: str) -> str:
        [event] = Calendar.from_ical(invite_for(sqlite_store, roster, booking.meeting_id, method)).events
        return str(event["DESCRIPTION"])

    assert "Rep's note: big budget" in description("REQUEST")  # the rep's calendar
    assert description("PUBLISH") == "Booked in the website chat."  # the file the visitor downloads


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
    token = invite_token("s3cret", 7)
    assert check_invite_token("s3cret", 7, token)
    assert not check_invite_token("s3cret", 8, token)
    assert not check_invite_token("rotated", 7, token)
    assert token != feed_token("s3cret", "7")  # a feed token never opens an invite, nor the reverse
    assert invite_url("https://x.example/", "s3cret", 7) == f"https://x.example/meetings/7/invite.ics?token={token}"


@pytest.mark.parametrize("token", ["café", "\u2603" * 32, "\ud800", "\udcff", "x\x00"])
def test_non_ascii_tokens_are_refused_not_raised(token):
    """compare_digest on str raises TypeError for non-ASCII: that was a 500 on the web links."""
    assert not check_feed_token("s3cret", "berlin", token)
    assert not check_invite_token("s3cret", 7, token)


def test_token_versions_are_signed_and_version_0_keeps_old_links():
    assert feed_token("s3cret", "berlin", 0) == feed_token("s3cret", "berlin")  # links sent before versions
    assert len({feed_token("s3cret", "berlin", version) for version in range(3)}) == 3
    assert len({invite_token("s3cret", 7, version) for version in range(3)}) == 3
    assert check_invite_token("s3cret", 7, invite_token("s3cret", 7, 2), 2)
    assert not check_invite_token("s3cret", 7, invite_token("s3cret", 7, 1), 2)
    assert not check_feed_token("s3cret", "berlin", feed_token("s3cret", "berlin"), 1)
    assert invite_url("https://x.example", "s3cret", 7, 2).endswith(f"?token={invite_token('s3cret', 7, 2)}")
    assert feed_url("https://x.example", "s3cret", "berlin", 1).endswith(f"?token={feed_token('s3cret', 'berlin', 1)}")


def test_rotation_is_per_meeting_and_per_rep(roster, sqlite_store):
    first = book_meeting(sqlite_store, "berlin", "v1", TUESDAY_10_BERLIN, roster, MONDAY)
    second = book_meeting(sqlite_store, "berlin", "v2", WEDNESDAY_10_BERLIN, roster, MONDAY)
    assert invite_token_version(sqlite_store, first.meeting_id) == 0
    assert rotate_invite_token(sqlite_store, first.meeting_id) == 1
    assert rotate_invite_token(sqlite_store, first.meeting_id) == 2
    assert (
        invite_token_version(sqlite_store, first.meeting_id),
        invite_token_version(sqlite_store, second.meeting_id),
    ) == (2, 0)
    assert invite_token_version(sqlite_store, 999) is None
    with pytest.raises(ValueError, match="no meeting 999"):
        rotate_invite_token(sqlite_store, 999)

    assert feed_token_version(sqlite_store, "berlin") == 0
    assert [rotate_feed_token(sqlite_store, "berlin") for _ in range(2)] == [1, 2]
    assert (feed_token_version(sqlite_store, "berlin"), feed_token_version(sqlite_store, "munich")) == (2, 0)


def test_an_older_database_gets_the_invite_version_column(sqlite_url, roster):
    """A database from before the token versions gets them through migration 0003 at start."""
    store = LeadStore.from_url(sqlite_url)
    booking = book_meeting(store, "berlin", "v1", TUESDAY_10_BERLIN, roster, MONDAY)
    with store.engine.begin() as connection:
        connection.execute(text("ALTER TABLE meetings DROP COLUMN invite_token_version"))
        connection.execute(text("DROP TABLE rep_link_state"))
        connection.execute(text("UPDATE alembic_version SET version_num = '0002'"))
    store.engine.dispose()
    store = LeadStore.from_url(sqlite_url)
    assert "invite_token_version" in {column["name"] for column in inspect(store.engine).get_columns("meetings")}
    assert invite_token_version(store, booking.meeting_id) == 0
    assert rotate_invite_token(store, booking.meeting_id) == 1
    assert rotate_feed_token(store, "berlin") == 1
    store.engine.dispose()

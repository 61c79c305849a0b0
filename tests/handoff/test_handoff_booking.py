"""Booking: atomic under a race, refusing times never offered, buffers and caps under
concurrency, and the rep's accept/reject decision."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.exc import IntegrityError

from appconfig.settings import PROJECT_ROOT
from handoff import (
    Booking,
    DecisionRefused,
    Notifications,
    TimeNotOffered,
    TimeTaken,
    book_meeting,
    decide_meeting,
    load_nurture,
    meeting_summary,
    open_times,
)
from leaddb import LeadStore, make_engine
from leaddb.meetings import Meeting
from leaddb.outbox import OutboxMessage

from .conftest import MONDAY
from .helpers import add_meeting

UTC = timezone.utc
TUESDAY_10_BERLIN = datetime(2026, 3, 3, 9, tzinfo=UTC)
NURTURE = PROJECT_ROOT / "config" / "nurture.yml"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def holding_meetings(store: LeadStore) -> list[Meeting]:
    with store.session() as session:
        return list(
            session.execute(
                select(Meeting).where(Meeting.status.in_(["booked", "accepted"])).order_by(Meeting.start)
            ).scalars()
        )


def test_booking_an_offered_time(roster, store):
    offered = open_times(roster, "berlin", store, MONDAY)
    result = book_meeting(store, "berlin", "visitor-1", offered[0].start, roster, MONDAY)
    assert isinstance(result, Booking)
    assert (result.rep_id, result.start, result.end) == ("berlin", offered[0].start, offered[0].end)
    assert len(result.decision_token) >= 32
    assert offered[0].start not in [meeting_time.start for meeting_time in open_times(roster, "berlin", store, MONDAY)]
    assert store.get_lead("visitor-1")["stage"] == "meeting_booked"
    with store.session() as session:  # only the token's hash is stored
        assert result.decision_token not in session.get(Meeting, result.meeting_id).decision_token_hash


@pytest.mark.parametrize(
    "rep_id, start, reason",
    [
        ("berlin", utc(2026, 3, 3, 9, 10), "not one of the rep's meeting times"),  # off the half-hour grid
        ("berlin", utc(2026, 3, 3, 19), "not one of the rep's meeting times"),  # 20:00 in Berlin
        ("berlin", utc(2026, 3, 3, 11, 30), "not one of the rep's meeting times"),  # lunch, 12:30 Berlin
        ("berlin", utc(2026, 3, 7, 9), "not one of the rep's meeting times"),  # Saturday
        ("berlin", MONDAY + timedelta(minutes=30), "not one of the rep's meeting times"),  # inside the notice
        ("berlin", utc(2026, 3, 17, 9), "not one of the rep's meeting times"),  # beyond the 14-day horizon
        ("berlin", datetime(2026, 3, 3, 9), "no UTC offset"),
        ("retired", TUESDAY_10_BERLIN, "not an active rep"),
        ("nobody", TUESDAY_10_BERLIN, "not an active rep"),
    ],
)
def test_a_time_never_offered_is_refused(roster, sqlite_store, rep_id, start, reason):
    result = book_meeting(sqlite_store, rep_id, "visitor-1", start, roster, MONDAY)
    assert isinstance(result, TimeNotOffered)
    assert reason in result.reason
    assert holding_meetings(sqlite_store) == []


def test_a_taken_time_is_refused_and_fresh_times_are_offered(roster, store):
    assert isinstance(book_meeting(store, "berlin", "first", TUESDAY_10_BERLIN, roster, MONDAY), Booking)
    second = book_meeting(store, "berlin", "second", TUESDAY_10_BERLIN, roster, MONDAY)
    assert isinstance(second, TimeTaken) and "someone else booked" in second.reason
    assert store.get_lead("second") is None  # the losing transaction was rolled back whole
    fresh = open_times(roster, "berlin", store, MONDAY, count=20)
    assert TUESDAY_10_BERLIN not in [meeting_time.start for meeting_time in fresh]


def test_buffers_and_the_daily_cap_are_enforced_when_booking(roster, store):
    assert isinstance(book_meeting(store, "berlin", "a", TUESDAY_10_BERLIN, roster, MONDAY), Booking)
    too_close = book_meeting(store, "berlin", "b", TUESDAY_10_BERLIN + timedelta(minutes=30), roster, MONDAY)
    assert isinstance(too_close, TimeTaken) and "too close" in too_close.reason
    for hour in (12, 14):  # Tuesday 13:00 and 15:00 Berlin: the cap of 3 is reached
        assert isinstance(book_meeting(store, "berlin", f"c{hour}", utc(2026, 3, 3, hour), roster, MONDAY), Booking)
    full = book_meeting(store, "berlin", "d", utc(2026, 3, 3, 15, 30), roster, MONDAY)
    assert isinstance(full, TimeTaken) and "fully booked" in full.reason


def _racing_store(database_url: str) -> LeadStore:
    """Enough pooled connections that every thread holds its own at once."""
    if database_url.startswith("postgresql"):
        engine = create_engine(database_url, future=True, pool_size=30, max_overflow=30)
    else:
        engine = make_engine(database_url)
    store = LeadStore(engine)
    store.migrate()
    return store


def _race(store, roster, attempts):
    """Run book_meeting for every (visitor, start) at the same moment; results by visitor."""
    results = {}
    barrier = threading.Barrier(len(attempts))

    def attempt(visitor_id, start):
        barrier.wait()
        results[visitor_id] = book_meeting(store, "berlin", visitor_id, start, roster, MONDAY)

    threads = [threading.Thread(target=attempt, args=pair) for pair in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_fifty_visitors_racing_for_one_time_yield_one_meeting(roster, database_url):
    store = _racing_store(database_url)
    try:
        results = _race(store, roster, [(f"racer-{n}", TUESDAY_10_BERLIN) for n in range(50)])
        assert Counter(type(result).__name__ for result in results.values()) == {"Booking": 1, "TimeTaken": 49}
        # Every loser was stopped by the unique index, not by an earlier check.
        assert {result.reason for result in results.values() if isinstance(result, TimeTaken)} == {
            "someone else booked this time a moment ago"
        }
        [winner] = [visitor for visitor, result in results.items() if isinstance(result, Booking)]
        meetings = holding_meetings(store)
        assert [(m.rep_id, m.start) for m in meetings] == [("berlin", TUESDAY_10_BERLIN)]
        assert store.get_lead(winner)["stage"] == "meeting_booked"
    finally:
        store.engine.dispose()


def test_racing_for_different_times_of_one_day_respects_buffers_and_the_cap(roster, database_url):
    store = _racing_store(database_url)
    try:
        tuesday = [
            meeting_time.start
            for meeting_time in open_times(roster, "berlin", store, MONDAY, count=30)
            if meeting_time.start.day == 3
        ]
        assert len(tuesday) == 14
        results = _race(store, roster, [(f"racer-{n}", start) for n, start in enumerate(tuesday)])
        meetings = holding_meetings(store)
        assert len(meetings) == 3  # the daily cap; any non-adjacent choice of 14 times fits 3
        assert all(later.start - earlier.end >= timedelta(minutes=15) for earlier, later in zip(meetings, meetings[1:]))
        assert sum(isinstance(result, Booking) for result in results.values()) == 3
    finally:
        store.engine.dispose()


def test_the_unique_index_itself_refuses_a_double_booking(store):
    """The guarantee does not depend on book_meeting's code path: the database refuses."""
    add_meeting(store, "berlin", TUESDAY_10_BERLIN, created_at=MONDAY)
    with pytest.raises(IntegrityError):
        add_meeting(store, "berlin", TUESDAY_10_BERLIN, created_at=MONDAY)
    add_meeting(store, "munich", TUESDAY_10_BERLIN, created_at=MONDAY)  # another rep is fine


def test_booking_queues_the_reps_email_slack_and_crm_push_in_the_same_transaction(roster, store):
    notifications = Notifications(
        public_base_url="https://leads.example.com",
        slack_webhook_url="http://slack.test/hook",
        crm_webhook_url="http://crm.test/in",
    )
    store.record_answer("v-notify", "company", "Acme", {"company": "Acme", "company_size": 450})
    booking = book_meeting(
        store, "berlin", "v-notify", TUESDAY_10_BERLIN, roster, MONDAY, notifications, transcript=[("visitor", "hi")]
    )
    with store.session() as session:
        messages = {row.kind: row for row in session.execute(select(OutboxMessage)).scalars()}
    assert set(messages) == {"email", "webhook", "crm"}
    assert messages["email"].target == "bea@example.com"
    assert (
        f"https://leads.example.com/meetings/{booking.meeting_id}/accept?token={booking.decision_token}"
        in messages["email"].payload["text"]
    )
    assert "Acme" in messages["webhook"].payload["text"]
    crm = messages["crm"].payload
    assert crm["event"] == "meeting.booked"
    assert crm["meeting"]["start"] == TUESDAY_10_BERLIN.isoformat() and crm["rep"]["id"] == "berlin"
    assert crm["lead"]["company"] == "Acme" and set(crm) == {
        "event",
        "lead",
        "answers",
        "score",
        "rep",
        "routing",
        "meeting",
    }


def test_a_refused_booking_queues_nothing(roster, store):
    notifications = Notifications(crm_webhook_url="http://crm.test/in")
    book_meeting(store, "berlin", "a", TUESDAY_10_BERLIN, roster, MONDAY, notifications)
    book_meeting(store, "berlin", "b", TUESDAY_10_BERLIN, roster, MONDAY, notifications)
    with store.session() as session:
        assert session.execute(select(OutboxMessage.kind)).scalars().all() == ["email", "crm"]


def test_accepting_a_lead(roster, store):
    booking = book_meeting(store, "berlin", "v1", TUESDAY_10_BERLIN, roster, MONDAY)
    decision = decide_meeting(store, booking.meeting_id, booking.decision_token, True, None, roster, MONDAY)
    assert (decision.status, decision.visitor_id) == ("accepted", "v1")
    assert store.get_lead("v1")["stage"] == "accepted"
    # Clicking the link again is harmless; changing one's mind is refused.
    assert decide_meeting(store, booking.meeting_id, booking.decision_token, True, None, roster, MONDAY) == decision
    with pytest.raises(DecisionRefused) as refused:
        decide_meeting(store, booking.meeting_id, booking.decision_token, False, "changed my mind", roster, MONDAY)
    assert refused.value.code == "already_decided"


def test_a_decision_link_expires_days_after_the_meeting_and_its_page_once_decided(roster, store):
    """decision_link_days (7 unless roster.yml says otherwise) after the meeting's end, the token is refused."""
    assert roster.meetings.decision_link_days == 7
    booking = book_meeting(store, "berlin", "v1", TUESDAY_10_BERLIN, roster, MONDAY)
    last_moment = booking.end + timedelta(days=7) - timedelta(seconds=1)
    assert meeting_summary(store, roster, booking.meeting_id, booking.decision_token, last_moment)["id"]
    for refuse in (
        lambda now: meeting_summary(store, roster, booking.meeting_id, booking.decision_token, now),
        lambda now: decide_meeting(store, booking.meeting_id, booking.decision_token, True, None, roster, now),
    ):
        with pytest.raises(DecisionRefused) as refused:
            refuse(booking.end + timedelta(days=7))
        assert refused.value.code == "expired"
    assert store.get_lead("v1")["stage"] == "meeting_booked"

    decide_meeting(store, booking.meeting_id, booking.decision_token, True, None, roster, MONDAY)
    with pytest.raises(DecisionRefused) as refused:  # decided: the page shows the lead no more
        meeting_summary(store, roster, booking.meeting_id, booking.decision_token, MONDAY)
    assert refused.value.code == "already_decided" and "accepted" in str(refused.value)
    with pytest.raises(DecisionRefused) as refused:  # and never without the token
        meeting_summary(store, roster, booking.meeting_id, "guess", MONDAY)
    assert refused.value.code == "bad_token"


def test_rejecting_recycles_the_lead_to_nurture_and_frees_the_time(roster, store):
    store.record_answer("v1", "need", "we must pass a SOC 2 audit", {"need": "we must pass a SOC 2 audit"})
    booking = book_meeting(store, "berlin", "v1", TUESDAY_10_BERLIN, roster, MONDAY)
    notifications = Notifications(
        marketing_webhook_url="http://marketing.test/enrol", crm_webhook_url="http://crm.test/in"
    )
    decision = decide_meeting(
        store,
        booking.meeting_id,
        booking.decision_token,
        False,
        "  student project  ",
        roster,
        MONDAY,
        notifications,
        load_nurture(NURTURE),
    )
    assert (decision.status, decision.nurture_track) == ("rejected", "recycled")  # the stage rule comes first
    assert store.transitions("v1")[-3:] == [
        ("visitor", "meeting_booked"),
        ("meeting_booked", "rejected"),
        ("rejected", "nurture"),
    ]
    with store.session() as session:
        assert session.get(Meeting, booking.meeting_id).reason == "student project"
        queued = {row.kind: row.payload for row in session.execute(select(OutboxMessage)).scalars()}
    assert queued["webhook"]["track"] == {
        "id": "recycled",
        "name": "Rejected by sales, recycled",
        "list": "nurture-recycled",
    }
    assert queued["crm"]["event"] == "meeting.rejected" and queued["crm"]["meeting"]["reason"] == "student project"
    assert isinstance(book_meeting(store, "berlin", "v2", TUESDAY_10_BERLIN, roster, MONDAY), Booking)


@pytest.mark.parametrize(
    "meeting_offset, token, accept, reason, code",
    [
        (0, "wrong-token", True, None, "bad_token"),
        (0, "", True, None, "bad_token"),
        (0, None, False, "   ", "reason_required"),
        (999, None, True, None, "not_found"),
    ],
)
def test_bad_decisions_are_refused(roster, sqlite_store, meeting_offset, token, accept, reason, code):
    booking = book_meeting(sqlite_store, "berlin", "v1", TUESDAY_10_BERLIN, roster, MONDAY)
    token = booking.decision_token if token is None else token
    with pytest.raises(DecisionRefused) as refused:
        decide_meeting(sqlite_store, booking.meeting_id + meeting_offset, token, accept, reason, roster, MONDAY)
    assert refused.value.code == code
    assert sqlite_store.get_lead("v1")["stage"] == "meeting_booked"

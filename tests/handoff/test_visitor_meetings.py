"""The visitor's side of a meeting, in the library: the confirmation queued with the booking,
cancelling and moving by the signed link, the real SEQUENCE, and the reminder (SQLite and
PostgreSQL)."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from functools import partial

import pytest
from icalendar import Calendar
from sqlalchemy import select

from handoff import (
    Booking,
    DecisionRefused,
    Notifications,
    book_meeting,
    decide_meeting,
    open_times,
    reassign_meeting,
    rep_feed,
    rotate_invite_token,
    visitor_link_token,
)
from handoff.reminders import ReminderConfig, ReminderWatch, send_due_reminders
from handoff.visitor_meetings import (
    VisitorLinkRefused,
    cancel_meeting_by_visitor,
    move_meeting_by_visitor,
    reschedule_times,
    visitor_meeting,
)
from leaddb.meetings import HandoffAudit, Meeting
from leaddb.outbox import OutboxMessage

from .conftest import MONDAY
from .helpers import add_meeting

SECRET = "visitor-link-test-secret"
TUESDAY_10_BERLIN = datetime(2026, 3, 3, 9, tzinfo=timezone.utc)
TUESDAY_14_BERLIN = datetime(2026, 3, 3, 13, tzinfo=timezone.utc)
NOTIFY = Notifications(public_base_url="https://leads.example.com", link_key=SECRET)


def book(store, roster, visitor="v1", start=TUESDAY_10_BERLIN, now=MONDAY, email="ada@example.com") -> Booking:
    store.record_answer(visitor, "person_name", "Ada Lovelace", {"person_name": "Ada Lovelace"})
    if email:
        store.record_answer(visitor, "email", email, {"email": email})
    store.set_fields(visitor, timezone="Europe/London")
    booking = book_meeting(store, "berlin", visitor, start, roster, now, NOTIFY)
    assert isinstance(booking, Booking)
    return booking


def emails(store, to: str) -> list[dict]:
    with store.session() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "email", OutboxMessage.target == to)
            .order_by(OutboxMessage.id)
        )
        return [row.payload for row in rows]


def event_of(payload: dict) -> tuple[str, str, int, datetime]:
    """(METHOD, UID, SEQUENCE, DTSTART) of the email's one calendar attachment."""
    [attachment] = payload["attachments"]
    calendar = Calendar.from_ical(attachment["content"])
    [event] = calendar.events
    assert attachment["method"] == str(calendar["METHOD"])
    return str(calendar["METHOD"]), str(event["UID"]), int(event["SEQUENCE"]), event.start


def token_in(text: str, verb: str) -> str:
    return re.search(rf"/meetings/visitor/\d+/{verb}\?token=([\w-]+)", text).group(1)


def test_the_booking_queues_the_visitors_confirmation_with_invite_and_signed_links(roster, store):
    booking = book(store, roster)
    [confirmation] = emails(store, "ada@example.com")
    assert confirmation["subject"].startswith("Your meeting with Bea Berlin – Tue 3 Mar 2026, 09:00–09:30 GMT")
    assert event_of(confirmation) == ("REQUEST", booking.ics_uid, 0, TUESDAY_10_BERLIN)
    token = visitor_link_token(SECRET, booking.meeting_id)
    base = f"https://leads.example.com/meetings/visitor/{booking.meeting_id}"
    assert f"{base}/reschedule?token={token}" in confirmation["text"]
    assert f"{base}/cancel?token={token}" in confirmation["text"]
    assert [payload["subject"][:12] for payload in emails(store, "bea@example.com")] == ["New meeting:"]


def test_no_confirmation_without_an_address_or_a_signing_key(roster, store):
    book(store, roster, "v-anonymous", email=None)
    store.record_answer("v-unsigned", "email", "eve@example.com", {"email": "eve@example.com"})
    book_meeting(store, "berlin", "v-unsigned", TUESDAY_14_BERLIN, roster, MONDAY, Notifications())
    with store.session() as session:
        targets = session.scalars(select(OutboxMessage.target).where(OutboxMessage.kind == "email")).all()
    assert targets == ["bea@example.com", "bea@example.com"]


def test_cancelling_frees_the_time_and_sends_both_cancellations(roster, store):
    booking = book(store, roster)
    assert TUESDAY_10_BERLIN not in [time.start for time in open_times(roster, "berlin", store, MONDAY, 30)]
    token = visitor_link_token(SECRET, booking.meeting_id)
    shown = visitor_meeting(store, roster, SECRET, booking.meeting_id, token, MONDAY)
    assert (shown.rep_name, shown.zone, shown.when) == (
        "Bea Berlin",
        "Europe/London",
        "Tue 3 Mar 2026, 09:00–09:30 GMT",
    )

    cancelled = cancel_meeting_by_visitor(store, roster, NOTIFY, SECRET, booking.meeting_id, token, MONDAY)
    assert cancelled.status == "cancelled"
    assert TUESDAY_10_BERLIN in [time.start for time in open_times(roster, "berlin", store, MONDAY, 30)]
    rep_invite, rep_cancel = emails(store, "bea@example.com")
    assert rep_cancel["subject"].startswith("Cancelled by the visitor: Ada Lovelace")
    method, uid, sequence, _ = event_of(rep_cancel)
    assert (method, uid) == ("CANCEL", booking.ics_uid) and sequence > event_of(rep_invite)[2]
    _, visitor_cancel = emails(store, "ada@example.com")
    assert visitor_cancel["subject"].startswith("Cancelled: your meeting with Bea Berlin")
    assert event_of(visitor_cancel)[:3] == ("CANCEL", booking.ics_uid, 1)
    assert "?token=" not in visitor_cancel["text"]  # its links are spent
    assert store.get_lead("v1")["stage"] == "sql"
    with store.session() as session:
        assert session.scalars(select(HandoffAudit.action)).all() == ["cancelled_by_visitor"]

    # The link is spent: neither page nor a second cancel works, and nothing more is sent.
    for spent in (
        lambda: visitor_meeting(store, roster, SECRET, booking.meeting_id, token, MONDAY),
        lambda: cancel_meeting_by_visitor(store, roster, NOTIFY, SECRET, booking.meeting_id, token, MONDAY),
    ):
        with pytest.raises(VisitorLinkRefused) as refused:
            spent()
        assert refused.value.code == "cancelled"
    assert len(emails(store, "bea@example.com")) == 2


def test_moving_keeps_the_uid_raises_the_sequence_and_frees_the_old_time(roster, store):
    booking = book(store, roster)
    token = visitor_link_token(SECRET, booking.meeting_id)
    shown = visitor_meeting(store, roster, SECRET, booking.meeting_id, token, MONDAY)
    offered = reschedule_times(store, roster, shown, MONDAY, 40)
    assert TUESDAY_14_BERLIN in [time.start for time in offered]
    assert TUESDAY_10_BERLIN not in [time.start for time in offered]

    moved = move_meeting_by_visitor(store, roster, NOTIFY, SECRET, booking.meeting_id, token, TUESDAY_14_BERLIN, MONDAY)
    assert (moved.id, moved.start, moved.status) == (booking.meeting_id, TUESDAY_14_BERLIN, "booked")
    free = [time.start for time in open_times(roster, "berlin", store, MONDAY, 40)]
    assert TUESDAY_10_BERLIN in free and TUESDAY_14_BERLIN not in free
    _, rep_update = emails(store, "bea@example.com")
    assert rep_update["subject"].startswith("Moved by the visitor: Ada Lovelace")
    assert event_of(rep_update) == ("REQUEST", booking.ics_uid, 1, TUESDAY_14_BERLIN)
    _, visitor_update = emails(store, "ada@example.com")
    assert event_of(visitor_update) == ("REQUEST", booking.ics_uid, 1, TUESDAY_14_BERLIN)
    assert token_in(visitor_update["text"], "cancel") == token  # the same links keep working

    # Moved again, the sequence counts on; the rep's decision counts too.
    move_meeting_by_visitor(store, roster, NOTIFY, SECRET, booking.meeting_id, token, TUESDAY_10_BERLIN, MONDAY)
    decide_meeting(store, booking.meeting_id, booking.decision_token, True, None, roster, MONDAY)
    with store.session() as session:
        assert session.get(Meeting, booking.meeting_id).sequence == 3


def test_a_move_never_double_books(roster, store):
    booking = book(store, roster)
    other = book(store, roster, "v2", TUESDAY_14_BERLIN, email="bob@example.com")
    token = visitor_link_token(SECRET, booking.meeting_id)
    for start, code in (
        (TUESDAY_14_BERLIN, "time_taken"),  # someone else's meeting
        (TUESDAY_14_BERLIN + timedelta(minutes=30), "time_taken"),  # inside its buffer
        (TUESDAY_10_BERLIN + timedelta(minutes=7), "not_offered"),  # off the grid
        (MONDAY + timedelta(minutes=30), "not_offered"),  # inside the minimum notice
        (TUESDAY_10_BERLIN + timedelta(days=30), "not_offered"),  # beyond the horizon
    ):
        with pytest.raises(VisitorLinkRefused) as refused:
            move_meeting_by_visitor(store, roster, NOTIFY, SECRET, booking.meeting_id, token, start, MONDAY)
        assert refused.value.code == code, start
    with store.session() as session:
        starts = {row.id: row.start for row in session.scalars(select(Meeting))}
        sequences = {row.id: row.sequence for row in session.scalars(select(Meeting))}
    assert starts == {booking.meeting_id: TUESDAY_10_BERLIN, other.meeting_id: TUESDAY_14_BERLIN}
    assert sequences == {booking.meeting_id: 0, other.meeting_id: 0}  # a refused move changes nothing


def test_forged_rotated_and_expired_links_are_refused(roster, store):
    booking = book(store, roster)
    token = visitor_link_token(SECRET, booking.meeting_id)
    other = book(store, roster, "v2", TUESDAY_14_BERLIN, email="bob@example.com")
    cases = [
        (booking.meeting_id, "forged", MONDAY, "bad_token"),
        (booking.meeting_id, visitor_link_token("another key", booking.meeting_id), MONDAY, "bad_token"),
        (other.meeting_id, token, MONDAY, "bad_token"),  # one meeting's token opens that meeting only
        (booking.meeting_id, None, MONDAY, "bad_token"),
        (booking.meeting_id, "\udcff", MONDAY, "bad_token"),
        (booking.meeting_id + 100, token, MONDAY, "not_found"),
        (booking.meeting_id, token, TUESDAY_10_BERLIN, "started"),  # the meeting is past
    ]
    free_time = TUESDAY_14_BERLIN + timedelta(hours=2)
    for meeting_id, link_token, now, code in cases:
        for use in (
            partial(visitor_meeting, store, roster, SECRET, meeting_id, link_token, now),
            partial(cancel_meeting_by_visitor, store, roster, NOTIFY, SECRET, meeting_id, link_token, now),
            partial(move_meeting_by_visitor, store, roster, NOTIFY, SECRET, meeting_id, link_token, free_time, now),
        ):
            with pytest.raises(VisitorLinkRefused) as refused:
                use()
            assert refused.value.code == code, (meeting_id, link_token, now)
    rotate_invite_token(store, booking.meeting_id)  # `python -m handoff rotate-invite` revokes these links too
    with pytest.raises(VisitorLinkRefused) as refused:
        visitor_meeting(store, roster, SECRET, booking.meeting_id, token, MONDAY)
    assert refused.value.code == "bad_token"
    assert visitor_meeting(
        store, roster, SECRET, booking.meeting_id, visitor_link_token(SECRET, booking.meeting_id, 1), MONDAY
    )


def test_reassignment_and_decisions_raise_the_sequence(roster, store):
    booking = book(store, roster)
    reassign_meeting(store, booking.meeting_id, "munich", "mia", "Bea is ill", roster, MONDAY, NOTIFY)
    old_rep_cancel = emails(store, "bea@example.com")[-1]
    new_rep_invite = emails(store, "max@example.com")[-1]
    assert event_of(old_rep_cancel)[:3] == ("CANCEL", booking.ics_uid, 1)
    assert event_of(new_rep_invite)[:3] == ("REQUEST", booking.ics_uid, 1)


REMINDER = ReminderConfig(before_minutes=24 * 60)


def test_the_reminder_goes_once_when_due_and_again_after_a_move(roster, store):
    booking = book(store, roster, start=TUESDAY_14_BERLIN + timedelta(days=1))  # Wednesday 14:00, booked Monday
    start = booking.start
    assert send_due_reminders(store, roster, REMINDER, NOTIFY, start - timedelta(hours=24, minutes=1)) == 0
    assert send_due_reminders(store, roster, REMINDER, NOTIFY, start - timedelta(hours=24)) == 1
    assert send_due_reminders(store, roster, REMINDER, NOTIFY, start - timedelta(hours=23)) == 0  # once
    reminder = emails(store, "ada@example.com")[-1]
    assert reminder["subject"].startswith("Reminder: your meeting with Bea Berlin")
    assert token_in(reminder["text"], "reschedule") == visitor_link_token(SECRET, booking.meeting_id)
    assert emails(store, "bea@example.com")[-1]["subject"].startswith("Coming up: Ada Lovelace")

    # Moved (two days before the new time), the meeting is reminded again before its new time.
    token = visitor_link_token(SECRET, booking.meeting_id)
    later = start + timedelta(days=2)
    move_meeting_by_visitor(
        store, roster, NOTIFY, SECRET, booking.meeting_id, token, later, start - timedelta(hours=23)
    )
    assert send_due_reminders(store, roster, REMINDER, NOTIFY, start) == 0
    assert send_due_reminders(store, roster, REMINDER, NOTIFY, later - timedelta(hours=1)) == 1
    assert send_due_reminders(store, roster, REMINDER, NOTIFY, later - timedelta(minutes=1)) == 0
    subjects = [payload["subject"].split(" ")[0] for payload in emails(store, "ada@example.com")]
    assert subjects == ["Your", "Reminder:", "Moved:", "Reminder:"]


def test_no_reminder_for_a_time_chosen_inside_the_window_cancelled_or_switched_off(roster, store):
    cancelled = book(store, roster, "v-cancel", TUESDAY_10_BERLIN, now=MONDAY)  # 25 h ahead
    token = visitor_link_token(SECRET, cancelled.meeting_id)
    cancel_meeting_by_visitor(store, roster, NOTIFY, SECRET, cancelled.meeting_id, token, MONDAY)
    assert send_due_reminders(store, roster, REMINDER, NOTIFY, TUESDAY_10_BERLIN - timedelta(hours=1)) == 0
    late = book(store, roster, "v-late", TUESDAY_14_BERLIN, now=MONDAY + timedelta(hours=20), email="late@x.example")
    assert send_due_reminders(store, roster, REMINDER, NOTIFY, late.start - timedelta(hours=1)) == 0  # 9 h ahead
    due = book(store, roster, "v-due", TUESDAY_14_BERLIN + timedelta(days=1), email="due@x.example")
    off = ReminderConfig(enabled=False)
    assert send_due_reminders(store, roster, off, NOTIFY, due.start - timedelta(hours=1)) == 0
    assert send_due_reminders(store, roster, REMINDER, NOTIFY, due.start - timedelta(hours=1)) == 1


def test_the_reminder_watch_runs_by_its_clock(roster, store):
    booking = book(store, roster, start=TUESDAY_14_BERLIN + timedelta(days=1))
    clock = [booking.start - timedelta(hours=24, seconds=30)]
    watch = ReminderWatch(store, roster, REMINDER, NOTIFY, check_every_seconds=60, clock=lambda: clock[0])
    assert watch.run_if_due() == 0  # not due yet
    clock[0] += timedelta(seconds=40)
    assert watch.run_if_due() is None  # due now, but the watch looked 40 s ago
    clock[0] += timedelta(seconds=20)
    assert watch.run_if_due() == 1
    clock[0] += timedelta(seconds=60)
    assert watch.run_if_due() == 0


def test_workers_checking_at_once_remind_each_meeting_once(roster, store):
    """Several workers read the same due meetings at once; the claim lets one of them send."""
    check_at = MONDAY + timedelta(days=10)
    for hour in range(1, 13):
        add_meeting(store, "berlin", check_at + timedelta(hours=hour), created_at=MONDAY)
    start_together = threading.Barrier(4)

    def worker() -> int:
        start_together.wait()
        return send_due_reminders(store, roster, REMINDER, NOTIFY, check_at)

    with ThreadPoolExecutor(4) as pool:
        sent = [future.result() for future in [pool.submit(worker) for _ in range(4)]]
    assert sum(sent) == 12
    assert len(emails(store, "bea@example.com")) == 12  # one "Coming up" per meeting
    assert send_due_reminders(store, roster, REMINDER, NOTIFY, check_at) == 0


def test_moving_in_the_chat_cancels_the_old_event_in_both_calendars(roster, store):
    """The chat moves a meeting by booking a new one (`replaces`): the old one's event is
    cancelled for the rep and the visitor, and the visitor gets the new confirmation."""
    old = book(store, roster)
    new = book_meeting(store, "berlin", "v1", TUESDAY_14_BERLIN, roster, MONDAY, NOTIFY, replaces=old.meeting_id)
    assert isinstance(new, Booking) and new.ics_uid != old.ics_uid
    rep_methods = [event_of(payload)[:3] for payload in emails(store, "bea@example.com")]
    assert rep_methods == [("REQUEST", old.ics_uid, 0), ("CANCEL", old.ics_uid, 1), ("REQUEST", new.ics_uid, 0)]
    visitor_methods = [event_of(payload)[:3] for payload in emails(store, "ada@example.com")]
    assert visitor_methods == rep_methods
    with pytest.raises(VisitorLinkRefused) as refused:  # the old meeting's links are spent
        visitor_meeting(store, roster, SECRET, old.meeting_id, visitor_link_token(SECRET, old.meeting_id), MONDAY)
    assert refused.value.code == "cancelled"


def test_a_rejection_cancels_the_visitors_event_without_the_reps_reason(roster, store):
    booking = book(store, roster)
    reason = "student project, no budget (internal)"
    decide_meeting(store, booking.meeting_id, booking.decision_token, False, reason, roster, MONDAY, NOTIFY)
    _, cancellation = emails(store, "ada@example.com")
    assert cancellation["subject"].startswith("Cancelled: your meeting with Bea Berlin – Tue 3 Mar 2026, 09:00")
    assert event_of(cancellation)[:3] == ("CANCEL", booking.ics_uid, 1)
    [attachment] = cancellation["attachments"]
    [event] = Calendar.from_ical(attachment["content"]).events
    assert str(event["STATUS"]) == "CANCELLED"
    for internal in ("student", "budget", "internal", "rejected"):  # nor the word the console uses
        assert internal not in cancellation["text"].lower() and internal not in attachment["content"].lower()
    assert "our team has had to cancel" in cancellation["text"]
    assert "the chat on our website can find you another time: https://leads.example.com/\n" in cancellation["text"]
    assert "?token=" not in cancellation["text"]  # the links are spent
    # The rep's own calendar keeps the reason; the visitor's copy never had it.
    assert "student project" in rep_feed(store, roster, "berlin").replace("\r\n ", "")

    # The same rejection again (a second click) queues nothing more.
    decide_meeting(store, booking.meeting_id, booking.decision_token, False, reason, roster, MONDAY, NOTIFY)
    assert len(emails(store, "ada@example.com")) == 2


def test_no_rejection_email_after_the_meeting_or_without_an_address(roster, store):
    held = book(store, roster)
    after_it = held.end + timedelta(hours=1)  # a rep may reject a lead once they have met
    decide_meeting(store, held.meeting_id, held.decision_token, False, "not a fit", roster, after_it, NOTIFY)
    anonymous = book(store, roster, "v-anonymous", TUESDAY_14_BERLIN, email=None)
    decide_meeting(store, anonymous.meeting_id, anonymous.decision_token, False, "spam", roster, MONDAY, NOTIFY)
    with store.session() as session:
        targets = sorted(session.scalars(select(OutboxMessage.target).where(OutboxMessage.kind == "email")))
    assert targets == ["ada@example.com", "bea@example.com", "bea@example.com"]  # the bookings' emails only


def test_a_reassignment_sends_the_visitor_the_new_reps_invite_with_the_same_links(roster, store):
    booking = book(store, roster)
    confirmation = emails(store, "ada@example.com")[0]
    reassign_meeting(store, booking.meeting_id, "munich", "mia", "Bea is ill", roster, MONDAY, NOTIFY)
    _, news = emails(store, "ada@example.com")
    assert news["subject"].startswith("Now with Max Munich: your meeting – Tue 3 Mar 2026, 09:00–09:30 GMT")
    assert "is now with Max Munich; the time stays the same" in news["text"]
    assert event_of(news) == ("REQUEST", booking.ics_uid, 1, TUESDAY_10_BERLIN)
    [event] = Calendar.from_ical(news["attachments"][0]["content"]).events
    assert str(event["ORGANIZER"]) == "mailto:max@example.com" and event["ORGANIZER"].params["CN"] == "Max Munich"
    assert "Bea is ill" not in news["text"] + news["attachments"][0]["content"]
    for verb in ("reschedule", "cancel"):  # still the links of the first email, and they still work
        assert token_in(news["text"], verb) == token_in(confirmation["text"], verb)
    shown = visitor_meeting(store, roster, SECRET, booking.meeting_id, token_in(news["text"], "cancel"), MONDAY)
    assert (shown.rep_name, shown.start) == ("Max Munich", TUESDAY_10_BERLIN)
    # A second reassignment to the same rep is refused, so nothing more is sent.
    with pytest.raises(DecisionRefused):
        reassign_meeting(store, booking.meeting_id, "munich", "mia", "again", roster, MONDAY, NOTIFY)
    assert len(emails(store, "ada@example.com")) == 2


def test_the_reschedule_times_include_those_next_to_the_visitors_own_meeting(roster, store):
    """The visitor's own meeting is no clash when they move it (others' still are); the chat's
    search for everyone else still keeps its buffer."""
    booking = book(store, roster)
    book(store, roster, "v2", TUESDAY_14_BERLIN, email="bob@example.com")
    half_hour = timedelta(minutes=30)
    token = visitor_link_token(SECRET, booking.meeting_id)
    shown = visitor_meeting(store, roster, SECRET, booking.meeting_id, token, MONDAY)
    offered = [time.start for time in reschedule_times(store, roster, shown, MONDAY, 40)]
    assert TUESDAY_10_BERLIN - half_hour in offered and TUESDAY_10_BERLIN + half_hour in offered  # in its buffer
    assert TUESDAY_10_BERLIN not in offered  # its own time would move nothing
    for taken in (TUESDAY_14_BERLIN - half_hour, TUESDAY_14_BERLIN, TUESDAY_14_BERLIN + half_hour):
        assert taken not in offered  # the other visitor's meeting and its buffer
    assert len(reschedule_times(store, roster, shown, MONDAY, 5)) == 5
    everyone_else = [time.start for time in open_times(roster, "berlin", store, MONDAY, 40)]
    assert TUESDAY_10_BERLIN + half_hour not in everyone_else and TUESDAY_10_BERLIN - half_hour not in everyone_else

    moved = move_meeting_by_visitor(
        store, roster, NOTIFY, SECRET, booking.meeting_id, token, TUESDAY_10_BERLIN + half_hour, MONDAY
    )
    assert moved.start == TUESDAY_10_BERLIN + half_hour  # an offered time can be had

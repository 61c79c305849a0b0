"""SLAs with a controlled clock on a real database: the rep's reminder (once), the re-route to
the next eligible rep with the routing audit and both reps told by real SMTP, the manager when
nobody is left, person requests' own SLA, working minutes across lunch, nights, weekends and a
DST change, several workers checking at once, and the config file's validation."""

from __future__ import annotations

import email
import re
import threading
from datetime import datetime, timedelta, timezone
from email import policy

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from appconfig.yamlfile import ConfigError
from handoff import (
    Booking,
    DecisionRefused,
    Notifications,
    SlaReport,
    SmtpSettings,
    answer_person_request,
    book_meeting,
    check_slas,
    decide_meeting,
    decide_meeting_as,
    default_senders,
    deliver_due,
    load_sla,
    request_a_person,
)
from handoff.sla import SlaWatch, add_working_minutes
from leaddb.leads import PersonRequest
from leaddb.meetings import HandoffAudit, LeadAssignment, Meeting
from leaddb.outbox import OutboxMessage
from tests.support.servers import LocalSmtpServer

from .conftest import MONDAY

UTC = timezone.utc
TUESDAY_10_BERLIN = datetime(2026, 3, 3, 9, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
SLA_YML = """
check_every_seconds: 30
manager: {name: Mona Manager, email: mona@example.com}
meetings: {remind_after_minutes: 5, reroute_after_minutes: 15}
person_requests: {remind_after_minutes: 15, escalate_after_minutes: 60}
"""
NOTIFY = Notifications(public_base_url="https://leads.example")


@pytest.fixture
def sla(tmp_path):
    path = tmp_path / "sla.yml"
    path.write_text(SLA_YML)
    return load_sla(path)


def a_dach_lead(store, visitor="v1"):
    """A mid-size German lead: rule territory_segment, which berlin and munich cover."""
    for slot, value in {"person_name": "Ada Lovelace", "company": "Engines", "company_size": 450,
                        "timezone": "Europe/Berlin", "email": "ada@engines.example"}.items():  # fmt: skip
        store.record_answer(visitor, slot, str(value), {slot: value})


def book_with_berlin(store, roster, now=MONDAY, visitor="v1") -> Booking:
    a_dach_lead(store, visitor)
    booking = book_meeting(store, "berlin", visitor, TUESDAY_10_BERLIN, roster, now, NOTIFY)
    assert isinstance(booking, Booking)
    return booking


def outbox(store) -> list[tuple[str, str]]:
    with store.session() as session:
        return [(m.target, m.payload.get("subject", "")) for m in session.scalars(select(OutboxMessage).order_by("id"))]


def audit(store) -> list[tuple[str, str, str | None, str | None]]:
    with store.session() as session:
        return [
            (a.action, a.actor, a.rep_id, a.to_rep_id) for a in session.scalars(select(HandoffAudit).order_by("id"))
        ]


async def delivered(store, now):
    with LocalSmtpServer() as smtp:
        senders = default_senders(SmtpSettings(host="127.0.0.1", port=smtp.port, starttls=False))
        report = await deliver_due(store, senders, now)
        assert report.retrying == report.parked == 0
        return [
            (envelope.rcpt_tos[0], email.message_from_bytes(envelope.content, policy=policy.default))
            for envelope in smtp.envelopes
        ]


def calendar_of(message) -> Calendar:
    [attachment] = list(message.iter_attachments())
    return Calendar.from_ical(attachment.get_content())


async def test_a_lapsed_meeting_reminds_once_then_moves_to_the_next_rep_then_to_the_manager(roster, sla, store):
    booking = book_with_berlin(store, roster)  # Monday 09:00 in Berlin: working minutes count at once
    await delivered(store, MONDAY)  # the booking email to Bea, as before
    assert check_slas(store, roster, sla, NOTIFY, MONDAY + 4 * MINUTE) == SlaReport()
    assert check_slas(store, roster, sla, NOTIFY, MONDAY + 5 * MINUTE) == SlaReport(reminded=1)
    assert check_slas(store, roster, sla, NOTIFY, MONDAY + 6 * MINUTE) == SlaReport()  # sent once
    [(to, reminder)] = await delivered(store, MONDAY + 6 * MINUTE)
    assert to == "bea@example.com" and reminder["Subject"].startswith("Reminder: accept or reject Ada Lovelace")
    assert "https://leads.example/console/leads/" in reminder.get_body(("plain",)).get_content()

    assert check_slas(store, roster, sla, NOTIFY, MONDAY + 15 * MINUTE) == SlaReport(rerouted=1)
    assert check_slas(store, roster, sla, NOTIFY, MONDAY + 16 * MINUTE) == SlaReport()  # re-routed once
    with store.session() as session:
        meeting = session.get(Meeting, booking.meeting_id)
        assert (meeting.rep_id, meeting.status, meeting.assigned_at) == ("munich", "booked", MONDAY + 15 * MINUTE)
        routed = session.scalars(select(LeadAssignment).order_by(LeadAssignment.id.desc())).first()
    assert (routed.rep_id, routed.rule) == ("munich", "territory_segment")
    assert routed.reasons[0] == "re-routed: Bea Berlin did not accept within 15 working minutes"
    assert audit(store) == [("sla_reminder", "sla", "berlin", None), ("sla_rerouted", "sla", "berlin", "munich")]
    with pytest.raises(DecisionRefused) as refused:  # Bea's links died with the move
        decide_meeting(store, booking.meeting_id, booking.decision_token, True, None, roster, MONDAY + 16 * MINUTE)
    assert refused.value.code == "bad_token"
    mails = dict(await delivered(store, MONDAY + 16 * MINUTE))
    assert set(mails) == {"max@example.com", "bea@example.com"}
    new, old = mails["max@example.com"], mails["bea@example.com"]
    assert new["Subject"].startswith("New meeting: Ada Lovelace (Engines)")
    assert f"/meetings/{booking.meeting_id}/accept?token=" in new.get_body(("plain",)).get_content()
    assert calendar_of(new)["METHOD"] == "REQUEST"
    assert old["Subject"].startswith("Cancelled: Ada Lovelace (Engines)") and "Max Munich" in old["Subject"]
    cancel = calendar_of(old)
    [event] = cancel.events
    assert (cancel["METHOD"], str(event["STATUS"]), str(event["UID"])) == ("CANCEL", "CANCELLED", booking.ics_uid)

    # Max lets it lapse too: Bea is not offered it again, nobody else covers Germany -> the manager.
    start = MONDAY + 15 * MINUTE
    assert check_slas(store, roster, sla, NOTIFY, start + 5 * MINUTE) == SlaReport(reminded=1)
    assert check_slas(store, roster, sla, NOTIFY, start + 15 * MINUTE) == SlaReport(escalated=1)
    assert check_slas(store, roster, sla, NOTIFY, start + 60 * MINUTE) == SlaReport()
    assert audit(store)[2:] == [("sla_reminder", "sla", "munich", None), ("sla_escalated", "sla", "munich", None)]
    with store.session() as session:
        assert session.get(Meeting, booking.meeting_id).rep_id == "munich"  # still booked with him
        routed = session.scalars(select(LeadAssignment).order_by(LeadAssignment.id.desc())).first()
    assert (routed.rep_id, routed.queue, routed.rule) == (None, "manager", "sla_escalation")
    mails = await delivered(store, start + 60 * MINUTE)
    assert [to for to, _ in mails] == ["max@example.com", "mona@example.com"]
    assert mails[1][1]["Subject"].startswith("Nobody accepted Ada Lovelace (Engines)")


async def test_a_rerouted_meeting_tells_the_visitor_who_they_meet_now_by_real_smtp(roster, sla, store):
    signed = Notifications(public_base_url="https://leads.example", link_key="sla-visitor-links-secret")
    a_dach_lead(store)
    booking = book_meeting(store, "berlin", "v1", TUESDAY_10_BERLIN, roster, MONDAY, signed)
    assert isinstance(booking, Booking)
    confirmation = dict(await delivered(store, MONDAY))["ada@engines.example"]
    assert check_slas(store, roster, sla, signed, MONDAY + 15 * MINUTE) == SlaReport(rerouted=1)
    assert check_slas(store, roster, sla, signed, MONDAY + 16 * MINUTE) == SlaReport()  # once
    [news] = [message for to, message in await delivered(store, MONDAY + 16 * MINUTE) if to == "ada@engines.example"]
    assert news["Subject"].startswith("Now with Max Munich: your meeting")
    text = news.get_body(("plain",)).get_content()
    assert "is now with Max Munich; the time stays the same" in text and "did not accept" not in text
    links = re.compile(r"https://leads\.example/meetings/visitor/\d+/\w+\?token=[\w-]+")
    kept = links.findall(confirmation.get_body(("plain",)).get_content())
    assert len(kept) == 2 and links.findall(text) == kept  # the reschedule and cancel links still hold
    invite = calendar_of(news)
    [event] = invite.events
    assert (invite["METHOD"], str(event["UID"]), int(event["SEQUENCE"])) == ("REQUEST", booking.ics_uid, 1)
    assert str(event["ORGANIZER"]) == "mailto:max@example.com" and event.start == TUESDAY_10_BERLIN


def test_an_accepted_or_rejected_meeting_has_no_sla(roster, sla, store):
    accepted = book_with_berlin(store, roster, visitor="v1")
    decide_meeting_as(store, accepted.meeting_id, "bea", True, None, roster, MONDAY + MINUTE)
    assert check_slas(store, roster, sla, NOTIFY, MONDAY + 60 * MINUTE) == SlaReport()
    assert [a for a in audit(store)] == [("accepted", "bea", "berlin", None)]


def test_a_rep_decides_only_their_own_meeting_checked_in_the_decision(roster, sla, store):
    booking = book_with_berlin(store, roster)
    with pytest.raises(DecisionRefused) as refused:
        decide_meeting_as(store, booking.meeting_id, "max", True, None, roster, MONDAY, only_rep="munich")
    assert refused.value.code == "not_found"
    with pytest.raises(DecisionRefused) as refused:
        decide_meeting_as(store, booking.meeting_id, "bea", False, " ", roster, MONDAY, only_rep="berlin")
    assert refused.value.code == "reason_required"
    assert decide_meeting_as(
        store, booking.meeting_id, "bea", True, None, roster, MONDAY, only_rep="berlin"
    ).status == ("accepted")


def test_working_minutes_skip_lunch_nights_weekends_and_follow_dst(roster):
    berlin = roster.reps["berlin"]  # Mon-Fri 09:00-12:00 and 13:00-17:00, Europe/Berlin

    def plus5(local: datetime) -> datetime:
        return add_working_minutes(berlin.working_hours, berlin.timezone, local.astimezone(UTC), 5)

    zone = berlin.zone
    assert plus5(datetime(2026, 3, 2, 10, 0, tzinfo=zone)) == datetime(2026, 3, 2, 10, 5, tzinfo=zone)
    assert plus5(datetime(2026, 3, 2, 11, 58, tzinfo=zone)) == datetime(2026, 3, 2, 13, 3, tzinfo=zone)  # lunch
    assert plus5(datetime(2026, 3, 2, 16, 58, tzinfo=zone)) == datetime(2026, 3, 3, 9, 3, tzinfo=zone)  # night
    assert plus5(datetime(2026, 3, 2, 22, 0, tzinfo=zone)) == datetime(2026, 3, 3, 9, 5, tzinfo=zone)
    assert plus5(datetime(2026, 3, 6, 16, 58, tzinfo=zone)) == datetime(2026, 3, 9, 9, 3, tzinfo=zone)  # weekend
    assert plus5(datetime(2026, 3, 7, 12, 0, tzinfo=zone)) == datetime(2026, 3, 9, 9, 5, tzinfo=zone)  # booked Sat
    # Clocks go forward on Sunday 29 March: Monday 09:03 is 07:03 UTC, not 08:03.
    assert plus5(datetime(2026, 3, 27, 16, 58, tzinfo=zone)) == datetime(2026, 3, 30, 7, 3, tzinfo=UTC)


def test_a_meeting_booked_on_friday_evening_is_not_late_before_monday_morning(roster, sla, store):
    friday_evening = datetime(2026, 3, 6, 16, 58, tzinfo=roster.reps["berlin"].zone).astimezone(UTC)
    a_dach_lead(store)
    booking = book_meeting(store, "berlin", "v1", datetime(2026, 3, 10, 9, tzinfo=UTC), roster, friday_evening)
    assert isinstance(booking, Booking)
    monday_0902 = datetime(2026, 3, 9, 8, 2, tzinfo=UTC)
    for now in (friday_evening + 60 * MINUTE, datetime(2026, 3, 8, 12, tzinfo=UTC), monday_0902):
        assert check_slas(store, roster, sla, NOTIFY, now) == SlaReport(), now
    assert check_slas(store, roster, sla, NOTIFY, monday_0902 + MINUTE) == SlaReport(reminded=1)


def test_several_workers_checking_at_once_remind_once_and_reroute_once(roster, sla, store):
    booking = book_with_berlin(store, roster)
    for now, expected in ((MONDAY + 5 * MINUTE, "reminded"), (MONDAY + 15 * MINUTE, "rerouted")):
        barrier, reports = threading.Barrier(4), []

        def worker(now=now, barrier=barrier, reports=reports):
            barrier.wait()  # all four read the due meetings before any claims one
            reports.append(check_slas(store, roster, sla, NOTIFY, now))

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sum(getattr(report, expected) for report in reports) == 1, reports
    subjects = [subject for _, subject in outbox(store)]
    assert sum(subject.startswith("Reminder:") for subject in subjects) == 1
    assert sum(subject.startswith("Cancelled:") for subject in subjects) == 1
    with store.session() as session:
        assert session.get(Meeting, booking.meeting_id).rep_id == "munich"
        assert session.scalar(select(func.count()).select_from(LeadAssignment)) == 1  # the re-route only


def test_a_person_request_reminds_whoever_was_asked_then_escalates_to_the_manager(roster, sla, store):
    request_a_person(store, roster, NOTIFY, "v1", "asked for a person", [], MONDAY)  # -> the sales-inbox queue
    request_a_person(store, roster, NOTIFY, "v2", "asked for a callback", [], MONDAY)
    with store.session() as session:
        first, second = session.scalars(select(PersonRequest.id).order_by(PersonRequest.id)).all()
    assert answer_person_request(store, second, "mia", MONDAY + MINUTE)
    assert not answer_person_request(store, second, "mia", MONDAY + MINUTE)  # once
    assert check_slas(store, roster, sla, NOTIFY, MONDAY + 14 * MINUTE) == SlaReport()
    assert check_slas(store, roster, sla, NOTIFY, MONDAY + 15 * MINUTE) == SlaReport(reminded=1)
    assert check_slas(store, roster, sla, NOTIFY, MONDAY + 59 * MINUTE) == SlaReport()
    assert check_slas(store, roster, sla, NOTIFY, MONDAY + 60 * MINUTE) == SlaReport(escalated=1)
    assert check_slas(store, roster, sla, NOTIFY, MONDAY + 600 * MINUTE) == SlaReport()
    sent = outbox(store)[2:]  # after the two requests' own emails
    assert [to for to, _ in sent] == ["sales@example.com", "mona@example.com"]
    assert sent[1][1] == "Unanswered: A website visitor asked for a person"
    assert audit(store) == [
        ("answered", "mia", None, None),
        ("sla_reminder", "sla", None, None),
        ("sla_escalated", "sla", None, None),
    ]
    assert first != second


def test_the_watch_checks_at_most_every_check_every_seconds(roster, sla, store):
    book_with_berlin(store, roster)
    clock = [MONDAY + 5 * MINUTE]
    watch = SlaWatch(store, roster, sla, NOTIFY, clock=lambda: clock[0])
    assert watch.run_if_due() == SlaReport(reminded=1)
    clock[0] = MONDAY + 15 * MINUTE + timedelta(seconds=10)
    watch.last_run = clock[0] - timedelta(seconds=20)  # checked 20 s ago: not due (every 30 s)
    assert watch.run_if_due() is None
    clock[0] += timedelta(seconds=10)
    assert watch.run_if_due() == SlaReport(rerouted=1)


@pytest.mark.parametrize(
    "text, key, problem",
    [
        ("meetings: {remind_after_minutes: 5}", "manager", "required"),
        ("manager: {name: M, email: not-an-email}", "manager.email", "not an email address"),
        (
            "manager: {name: M, email: m@example.com}\nmeetings: {remind_after_minutes: 10, reroute_after_minutes: 5}",
            "meetings.reroute_after_minutes",
            "must be more than remind_after_minutes",
        ),
        (
            "manager: {name: M, email: m@example.com}\nmeetings: {remind_after_minutes: soon}",
            "meetings.remind_after_minutes",
            "",
        ),
        ("manager: {name: M, email: m@example.com}\nperson_request: {}", "person_request", ""),
    ],
)
def test_a_broken_sla_file_names_the_file_key_and_problem(tmp_path, text, key, problem):
    path = tmp_path / "sla.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_sla(path)
    assert (error.value.path, error.value.key) == (str(path), key)
    assert problem in error.value.problem


def test_the_shipped_sla_file_loads():
    from appconfig.settings import PROJECT_ROOT

    sla = load_sla(PROJECT_ROOT / "config" / "sla.yml")
    assert sla.meetings.remind_after_minutes == 5

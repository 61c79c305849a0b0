"""The visitor's meeting links end to end: a booking's confirmation goes out by real SMTP with
the invite and the signed links; the cancel and reschedule pages of the real web app act on
them; the rep's calendar files parse back with the right METHOD, UID and SEQUENCE; the reminder
goes once, by the worker's round, on a controlled clock."""

from __future__ import annotations

import email
import html
import re
from datetime import timedelta
from email import policy
from email.message import EmailMessage

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from handoff import (
    Booking,
    Notifications,
    SmtpSettings,
    book_meeting,
    default_senders,
    deliver_due,
    load_roster,
    open_times,
    reassign_meeting,
    visitor_link_token,
)
from handoff.reminders import ReminderConfig, ReminderWatch
from leaddb import LeadStore, utcnow
from leaddb.meetings import Meeting
from tests.support.servers import PROJECT_ROOT, LocalSmtpServer, running_webapp

SECRET = "visitor-meeting-links-test-secret"
REP = "priya.shah"
REP_EMAIL = "priya.shah@example.com"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    database_url = f"sqlite:///{tmp_path_factory.mktemp('visitor-links') / 'leads.db'}"
    store = LeadStore.from_url(database_url)
    roster = load_roster(PROJECT_ROOT / "config" / "roster.yml")
    with running_webapp(database_url, LEADQUAL_SECRET_KEY=SECRET) as server, LocalSmtpServer() as smtp:
        yield server, store, roster, smtp
    store.engine.dispose()


def book(site, visitor: str, address: str, now=None, after=None) -> Booking:
    server, store, roster, _ = site
    now = now or utcnow()
    store.record_answer(visitor, "person_name", "Ada Lovelace", {"person_name": "Ada Lovelace"})
    store.record_answer(visitor, "email", address, {"email": address})
    start = open_times(roster, REP, store, now, 1, after)[0].start
    notifications = Notifications(public_base_url=server.url, link_key=SECRET)
    booking = book_meeting(store, REP, visitor, start, roster, now, notifications)
    assert isinstance(booking, Booking)
    return booking


async def delivered(site, now=None) -> list[tuple[str, EmailMessage]]:
    """Deliver what is due by real SMTP; (recipient, message) of what arrived this round."""
    _, store, _, smtp = site
    before = len(smtp.envelopes)
    senders = default_senders(SmtpSettings(host="127.0.0.1", port=smtp.port, starttls=False))
    await deliver_due(store, senders, now)
    return [
        (envelope.rcpt_tos[0], email.message_from_bytes(envelope.content, policy=policy.default))
        for envelope in smtp.envelopes[before:]
    ]


def only(received, to: str) -> EmailMessage:
    [message] = [message for recipient, message in received if recipient == to]
    return message


def calendar_event(message: EmailMessage) -> tuple[str, str, int, object]:
    """(METHOD, UID, SEQUENCE, DTSTART) of the message's calendar attachment."""
    [attachment] = list(message.iter_attachments())
    calendar = Calendar.from_ical(attachment.get_content())
    [event] = calendar.events
    return str(calendar["METHOD"]), str(event["UID"]), int(event["SEQUENCE"]), event.start


def link(message: EmailMessage, verb: str) -> str:
    return re.search(rf"(http://\S+/meetings/visitor/\d+/{verb}\?token=[\w-]+)", message.get_body().get_content())[1]


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page)[1]


def assert_guarded(response: httpx.Response) -> None:
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_book_then_cancel_by_the_emailed_link(site):
    server, store, roster, _ = site
    booking = book(site, "v-cancel-page", "ada.cancel@example.com")
    received = await delivered(site)
    confirmation = only(received, "ada.cancel@example.com")
    assert confirmation["Subject"].startswith("Your meeting with Priya Shah")
    assert calendar_event(confirmation) == ("REQUEST", booking.ics_uid, 0, booking.start)
    invite = calendar_event(only(received, REP_EMAIL))
    assert invite[:3] == ("REQUEST", booking.ics_uid, 0)
    cancel_url = link(confirmation, "cancel")
    assert link(confirmation, "reschedule").startswith(f"{server.url}/meetings/visitor/{booking.meeting_id}/")

    page = httpx.get(cancel_url)
    assert page.status_code == 200 and "Priya Shah" in page.text and 'method="post"' in page.text
    assert_guarded(page)
    assert booking.start not in [time.start for time in open_times(roster, REP, store, utcnow(), 200)]
    token = re.search(r"token=([\w-]+)", cancel_url)[1]
    post_url = f"{server.url}/meetings/visitor/{booking.meeting_id}/cancel"
    csrf = csrf_of(page.text)
    for refused, form, headers in (
        (403, {"token": token}, {}),  # no CSRF token
        (403, {"token": token, "csrf_token": "forged"}, {}),
        (403, {"token": token, "csrf_token": csrf}, {"Origin": "https://evil.example"}),
        (400, {"csrf_token": csrf}, {}),  # no link token
        (403, {"token": token, "csrf_token": "é" * 64}, {}),  # not ASCII: refused, not a 500
        (403, {"token": "é", "csrf_token": csrf}, {}),
    ):
        response = httpx.post(post_url, data=form, headers=headers)
        assert response.status_code == refused, (form, headers)
        assert_guarded(response)
    undecodable = httpx.post(  # a token that is not even UTF-8
        post_url,
        content=f"token=%C3%A9%ED%B3%BF&csrf_token={csrf}".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert undecodable.status_code == 403
    assert store.get_lead("v-cancel-page")["stage"] == "meeting_booked"  # nothing happened

    done = httpx.post(post_url, data={"token": token, "csrf_token": csrf}, headers={"Origin": server.url})
    assert done.status_code == 200 and "Meeting cancelled" in done.text
    received = await delivered(site)
    method, uid, sequence, start = calendar_event(only(received, REP_EMAIL))
    assert (method, uid, start) == ("CANCEL", booking.ics_uid, booking.start) and sequence > invite[2]
    assert calendar_event(only(received, "ada.cancel@example.com"))[0] == "CANCEL"
    assert booking.start in [time.start for time in open_times(roster, REP, store, utcnow(), 200)]  # offered again

    again = httpx.get(cancel_url)
    assert again.status_code == 410 and "cancelled" in again.text
    repeat = httpx.post(post_url, data={"token": token, "csrf_token": csrf})
    assert repeat.status_code == 410
    assert await delivered(site) == []  # nothing sent twice


async def test_reschedule_keeps_the_uid_raises_the_sequence_and_never_double_books(site):
    server, store, roster, _ = site
    mover = book(site, "v-mover", "max.mover@example.com")
    holder = book(site, "v-holder", "hal.holder@example.com")
    confirmations = await delivered(site)
    page = httpx.get(link(only(confirmations, "max.mover@example.com"), "reschedule"))
    assert page.status_code == 200
    assert_guarded(page)
    offered = re.findall(r'name="start" value="([^"]+)"', page.text)
    assert offered and mover.start.isoformat() not in offered and holder.start.isoformat() not in offered
    later = httpx.get(server.url + html.unescape(re.search(r'href="([^"]+&amp;after=[^"]+)"', page.text)[1]))
    later_times = re.findall(r'name="start" value="([^"]+)"', later.text)
    assert later.status_code == 200 and later_times and min(later_times) > max(offered)  # the next page of times
    token = re.search(r'name="token" value="([^"]+)"', page.text)[1]
    post_url = f"{server.url}/meetings/visitor/{mover.meeting_id}/reschedule"
    form = {"token": token, "csrf_token": csrf_of(page.text)}

    taken = httpx.post(post_url, data={**form, "start": holder.start.isoformat()})
    assert taken.status_code == 409 and "taken" in taken.text
    assert httpx.post(post_url, data={**form, "start": "next tuesday"}).status_code == 400
    off_grid = (mover.start + timedelta(minutes=7)).isoformat()
    assert httpx.post(post_url, data={**form, "start": off_grid}).status_code == 422
    assert await delivered(site) == []

    new_start = offered[-1]
    moved = httpx.post(post_url, data={**form, "start": new_start})
    assert moved.status_code == 200 and "Meeting moved" in moved.text
    received = await delivered(site)
    method, uid, sequence, start = calendar_event(only(received, REP_EMAIL))
    assert (method, uid, sequence, start.isoformat()) == ("REQUEST", mover.ics_uid, 1, new_start)
    visitor_update = only(received, "max.mover@example.com")
    assert calendar_event(visitor_update)[:3] == ("REQUEST", mover.ics_uid, 1)
    free = [time.start for time in open_times(roster, REP, store, utcnow(), 200)]
    assert mover.start in free and new_start not in [time.isoformat() for time in free]

    # The holder cannot take the mover's new time either: one meeting per time, always.
    holder_page = httpx.get(link(only(confirmations, "hal.holder@example.com"), "reschedule"))
    holder_form = {
        "token": re.search(r'name="token" value="([^"]+)"', holder_page.text)[1],
        "csrf_token": csrf_of(holder_page.text),
        "start": new_start,
    }
    clash = httpx.post(f"{server.url}/meetings/visitor/{holder.meeting_id}/reschedule", data=holder_form)
    assert clash.status_code == 409


async def test_forged_foreign_and_expired_links_get_a_clear_4xx(site):
    server, store, roster, _ = site
    booking = book(site, "v-forged", "fay.forged@example.com")
    past = book(site, "v-past", "pat.past@example.com", now=utcnow() - timedelta(days=13))
    received = await delivered(site)
    good = link(only(received, "fay.forged@example.com"), "cancel")
    base = f"{server.url}/meetings/visitor"
    for url, status in (
        (f"{base}/{booking.meeting_id}/cancel?token=forged", 403),
        (f"{base}/{booking.meeting_id}/reschedule", 403),
        (f"{base}/{booking.meeting_id}/cancel?token=%C3%A9%ED%B3%BF", 403),
        (good.replace(f"/{booking.meeting_id}/", f"/{past.meeting_id}/"), 403),  # another meeting's token
        (f"{base}/{booking.meeting_id + 1000}/cancel?token=x", 404),
        (f"{base}/99999999999999999999/cancel?token=x", 404),
        (link(only(received, "pat.past@example.com"), "cancel"), 410),  # the meeting is past
        (link(only(received, "pat.past@example.com"), "reschedule"), 410),
    ):
        response = httpx.get(url)
        assert response.status_code == status, url
        assert "Ada" not in response.text and "Priya" not in response.text  # nothing about the meeting
        assert_guarded(response)
    assert httpx.get(good).status_code == 200


async def test_the_reminder_goes_once_by_the_workers_round(site):
    _, store, roster, _ = site
    booked_at = utcnow() - timedelta(days=3)
    booking = book(site, "v-remind", "rita.remind@example.com", now=booked_at, after=booked_at + timedelta(days=2))
    await delivered(site)  # the confirmations
    clock = [booking.start - timedelta(hours=25)]
    watch = ReminderWatch(
        store,
        roster,
        ReminderConfig(before_minutes=24 * 60),
        Notifications(public_base_url="http://leads.test", link_key=SECRET),
        check_every_seconds=0,  # looks every round: the claim alone keeps it to one
        clock=lambda: clock[0],
    )
    received = []
    for _ in range(3):  # before the window
        watch.run_if_due()
        received += await delivered(site, clock[0])
        clock[0] += timedelta(seconds=10)
    assert received == []
    clock[0] = booking.start - timedelta(hours=23)
    for _ in range(4):  # in it: four rounds, one reminder each
        watch.run_if_due()
        received += await delivered(site, clock[0])
        clock[0] += timedelta(minutes=5)
    subjects = sorted((to, message["Subject"].split(":")[0]) for to, message in received)
    assert subjects == [(REP_EMAIL, "Coming up"), ("rita.remind@example.com", "Reminder")]
    assert "/meetings/visitor/" in only(received, "rita.remind@example.com").get_body().get_content()


HALF_HOUR = timedelta(minutes=30)


def attachment_text(message: EmailMessage) -> str:
    [attachment] = list(message.iter_attachments())
    return attachment.get_content()


async def test_a_rejection_by_the_reps_link_emails_the_visitor_the_cancellation_without_the_reason(site):
    server, store, roster, _ = site
    booking = book(site, "v-turned-down", "rae.ray@example.com")
    confirmation = only(await delivered(site), "rae.ray@example.com")
    reason = "competitor doing research, do not engage"
    url = f"{server.url}/meetings/{booking.meeting_id}/decision"
    body = {"decision": "reject", "token": booking.decision_token, "reason": reason}
    done = httpx.post(url, json=body)
    assert done.status_code == 200 and done.json()["status"] == "rejected"
    received = await delivered(site)
    assert [to for to, _ in received] == ["rae.ray@example.com"]
    cancellation = only(received, "rae.ray@example.com")
    assert cancellation["Subject"].startswith("Cancelled: your meeting with Priya Shah")
    assert calendar_event(cancellation) == ("CANCEL", booking.ics_uid, 1, booking.start)
    text, ics = cancellation.get_body().get_content(), attachment_text(cancellation)
    for internal in ("competitor", "engage", "rejected"):
        assert internal not in text.lower() and internal not in ics.lower()
    assert re.search(rf"another time: {re.escape(server.url)}/\s", text)  # the home page, nothing made up
    assert httpx.get(f"{server.url}/").status_code == 200  # the site, with the chat, is really there
    assert httpx.get(link(confirmation, "cancel")).status_code == 410  # and the old links say why

    assert httpx.post(url, json=body).json()["status"] == "rejected"  # a second click ...
    assert await delivered(site) == []  # ... sends nothing


async def test_a_reassignment_emails_the_visitor_the_new_reps_invite_and_the_links_still_work(site):
    server, store, roster, _ = site
    now = utcnow()
    # A time Lukas (Berlin, an hour ahead of Priya in London) is at work for too.
    start = next(
        time.start
        for time in open_times(roster, REP, store, now, 200)
        if 9 <= time.start.astimezone(roster.reps[REP].zone).hour < 11
    )
    booking = book(site, "v-reassigned", "rob.reassigned@example.com", after=start - timedelta(seconds=1))
    assert booking.start == start
    confirmation = only(await delivered(site), "rob.reassigned@example.com")
    notifications = Notifications(public_base_url=server.url, link_key=SECRET)
    reassign_meeting(store, booking.meeting_id, "lukas.weber", "mia", "Priya is on leave", roster, now, notifications)
    received = await delivered(site)
    assert sorted(to for to, _ in received) == ["lukas.weber@example.com", REP_EMAIL, "rob.reassigned@example.com"]
    news = only(received, "rob.reassigned@example.com")
    assert news["Subject"].startswith("Now with Lukas Weber: your meeting")
    assert calendar_event(news) == ("REQUEST", booking.ics_uid, 1, booking.start)
    [event] = Calendar.from_ical(attachment_text(news)).events
    assert str(event["ORGANIZER"]) == "mailto:lukas.weber@example.com"
    assert "leave" not in news.get_body().get_content() + attachment_text(news)
    assert link(news, "reschedule") == link(confirmation, "reschedule")
    page = httpx.get(link(news, "reschedule"))
    assert page.status_code == 200 and "Lukas Weber" in page.text


async def test_the_reschedule_page_offers_the_times_next_to_ones_own_meeting(site):
    server, store, roster, _ = site
    now = utcnow()
    free = {time.start for time in open_times(roster, REP, store, now, 200)}
    start = min(time for time in free if all(time + step * HALF_HOUR in free for step in (1, 2, 3)))
    mover = book(site, "v-next-door", "nel.next@example.com", after=start - timedelta(seconds=1))
    holder = book(site, "v-neighbour", "nia.neighbour@example.com", after=start + 3 * HALF_HOUR - timedelta(seconds=1))
    assert (mover.start, holder.start) == (start, start + 3 * HALF_HOUR)
    await delivered(site)
    params = {"token": visitor_link_token(SECRET, mover.meeting_id), "after": (start - HALF_HOUR).isoformat()}
    page = httpx.get(f"{server.url}/meetings/visitor/{mover.meeting_id}/reschedule", params=params)
    offered = re.findall(r'name="start" value="([^"]+)"', page.text)
    assert (start + HALF_HOUR).isoformat() in offered  # inside the buffer of the meeting being moved
    for not_offered in (start, start + 2 * HALF_HOUR, start + 3 * HALF_HOUR):  # its own time; the holder's
        assert not_offered.isoformat() not in offered
    assert start + HALF_HOUR not in [time.start for time in open_times(roster, REP, store, now, 200)]  # for others

    form = {"token": params["token"], "csrf_token": csrf_of(page.text), "start": (start + HALF_HOUR).isoformat()}
    moved = httpx.post(f"{server.url}/meetings/visitor/{mover.meeting_id}/reschedule", data=form)
    assert moved.status_code == 200 and "Meeting moved" in moved.text
    assert calendar_event(only(await delivered(site), "nel.next@example.com"))[2:] == (1, start + HALF_HOUR)


FUZZ = settings(max_examples=40, deadline=None)
form_text = st.text(st.characters(), max_size=40) | st.sampled_from(["\x00", "é" * 40, "9999-12-31T23:59:59-14:00", ""])


@pytest.fixture(scope="module")
def fuzzed(site):
    server, store, _, _ = site
    booking = book(site, "v-fuzzed", "fuzz@example.com")
    token = visitor_link_token(SECRET, booking.meeting_id)
    page = httpx.get(f"{server.url}/meetings/visitor/{booking.meeting_id}/reschedule", params={"token": token})
    return server, store, booking, token, csrf_of(page.text)


def _start_of(store, meeting_id: int):
    with store.session() as session:
        return session.get(Meeting, meeting_id).start


@FUZZ
@given(start=form_text)
def test_any_chosen_time_is_never_a_5xx(fuzzed, start):
    server, store, booking, token, csrf = fuzzed
    before = _start_of(store, booking.meeting_id)
    response = httpx.post(
        f"{server.url}/meetings/visitor/{booking.meeting_id}/reschedule",
        data={"token": token, "csrf_token": csrf, "start": start},
    )
    assert response.status_code < 500, response.text
    if response.status_code != 200:
        assert _start_of(store, booking.meeting_id) == before


@FUZZ
@given(raw=st.binary(max_size=200), verb=st.sampled_from(["cancel", "reschedule"]))
def test_any_form_body_is_never_a_5xx(fuzzed, raw, verb):
    server, store, booking, _, _ = fuzzed
    response = httpx.post(
        f"{server.url}/meetings/visitor/{booking.meeting_id}/{verb}",
        content=raw,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code < 500 and response.status_code != 200, response.text
    with store.session() as session:
        assert session.get(Meeting, booking.meeting_id).status == "booked"

"""The rep's links over real HTTP: accept/reject pages and decisions, invite and feed downloads."""

import httpx
import pytest
from icalendar import Calendar

from handoff import book_meeting, feed_token, invite_token, load_roster, open_times
from leaddb import LeadStore, utcnow
from tests.support.servers import PROJECT_ROOT, running_webapp

SECRET = "test-secret-for-links"


@pytest.fixture(scope="module")
def booked(tmp_path_factory):
    database_url = f"sqlite:///{tmp_path_factory.mktemp('reps') / 'leads.db'}"
    store = LeadStore.from_url(database_url)
    roster = load_roster(PROJECT_ROOT / "config" / "roster.yml")
    bookings = []
    for visitor, name in (("v-accept", "Ada <b>Bold</b>"), ("v-reject", "Rex")):
        store.record_answer(visitor, "person_name", name, {"person_name": name})
        store.record_answer(visitor, "need", "…", {"need": "forecasting <script>x()</script>"})
        times = open_times(roster, "priya.shah", store, utcnow())
        bookings.append(book_meeting(store, "priya.shah", visitor, times[0].start, roster, utcnow()))
    with running_webapp(database_url, LEADQUAL_SECRET_KEY=SECRET) as server:
        yield server, store, bookings


def test_the_page_shows_the_lead_and_changes_nothing(booked):
    server, store, (meeting, _) = booked
    page = httpx.get(f"{server.url}/meetings/{meeting.meeting_id}/accept", params={"token": meeting.decision_token})
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "Ada &lt;b&gt;Bold&lt;/b&gt;" in page.text and "<script>x()" not in page.text  # escaped
    assert 'name="token"' in page.text
    assert store.get_lead("v-accept")["stage"] == "meeting_booked"  # a GET decides nothing


def test_accept_by_form_and_by_json(booked):
    server, store, (meeting, _) = booked
    url = f"{server.url}/meetings/{meeting.meeting_id}/decision"
    wrong = httpx.post(url, json={"decision": "accept", "token": "guessed"})
    assert wrong.status_code == 403 and wrong.json()["code"] == "bad_token"
    done = httpx.post(url, data={"decision": "accept", "token": meeting.decision_token, "reason": "great fit"})
    assert done.status_code == 200 and "Meeting accepted" in done.text
    assert store.get_lead("v-accept")["stage"] == "accepted"
    again = httpx.post(url, json={"decision": "reject", "token": meeting.decision_token, "reason": "changed my mind"})
    assert again.status_code == 409 and again.json()["code"] == "already_decided"


def test_reject_needs_a_reason_and_recycles_to_nurture(booked):
    server, store, (_, meeting) = booked
    url = f"{server.url}/meetings/{meeting.meeting_id}/decision"
    no_reason = httpx.post(url, json={"decision": "reject", "token": meeting.decision_token})
    assert no_reason.status_code == 422
    done = httpx.post(url, json={"decision": "reject", "token": meeting.decision_token, "reason": "student"})
    assert done.status_code == 200 and done.json()["status"] == "rejected"
    assert store.get_lead("v-reject")["stage"] == "nurture"


@pytest.mark.parametrize("body", [{}, {"decision": "maybe", "token": "x"}, {"decision": "accept", "token": 5}])
def test_bad_decision_payloads_are_refused_clearly(booked, body):
    server, _, (meeting, _) = booked
    response = httpx.post(f"{server.url}/meetings/{meeting.meeting_id}/decision", json=body)
    assert response.status_code == 400 and "decision must be accept or reject" in response.json()["error"]


def test_unknown_meeting(booked):
    server, _, _ = booked
    assert httpx.get(f"{server.url}/meetings/99999/reject").status_code == 404
    response = httpx.post(f"{server.url}/meetings/99999/decision", json={"decision": "accept", "token": "x"})
    assert response.status_code == 404


def test_visitor_invite_and_rep_feed_need_their_tokens(booked):
    server, _, (meeting, _) = booked
    invite_url = f"{server.url}/meetings/{meeting.meeting_id}/invite.ics"
    assert httpx.get(invite_url, params={"token": "nope"}).status_code == 403
    invite = httpx.get(invite_url, params={"token": invite_token(SECRET, meeting.meeting_id)})
    assert invite.status_code == 200 and invite.headers["content-type"].startswith("text/calendar")
    event = next(iter(Calendar.from_ical(invite.text).walk("VEVENT")))
    assert event.decoded("dtstart") == meeting.start

    feed_url = f"{server.url}/reps/priya.shah/meetings.ics"
    assert httpx.get(feed_url, params={"token": feed_token(SECRET, "lukas.weber")}).status_code == 403
    feed = httpx.get(feed_url, params={"token": feed_token(SECRET, "priya.shah")})
    assert feed.status_code == 200 and len(list(Calendar.from_ical(feed.text).walk("VEVENT"))) == 2

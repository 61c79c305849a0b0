"""The rep's links over real HTTP: accept/reject pages and decisions, invite and feed downloads."""

import json
from datetime import timedelta

import httpx
import pytest
from icalendar import Calendar

from handoff import (
    book_meeting,
    decide_meeting,
    feed_token,
    invite_token,
    load_roster,
    open_times,
    rotate_feed_token,
    rotate_invite_token,
)
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


# -- issue 9, item 1: nothing without a valid token; expiry; rotation; headers; hostile bodies --

SECURITY_HEADERS = {
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


@pytest.fixture(scope="module")
def links(tmp_path_factory):
    """Meetings for the token tests: one waiting for a decision, one decided, one whose meeting
    was a month ago, one whose invite link is rotated, and a second rep's feed."""
    database_url = f"sqlite:///{tmp_path_factory.mktemp('rep-links') / 'leads.db'}"
    store = LeadStore.from_url(database_url)
    roster = load_roster(PROJECT_ROOT / "config" / "roster.yml")
    meetings = {}
    for visitor, when in (("waiting", utcnow()), ("decided", utcnow()), ("old", utcnow() - timedelta(days=30))):
        store.record_answer(
            visitor, "person_name", f"Secret Person {visitor}", {"person_name": f"Secret Person {visitor}"}
        )
        store.record_answer(visitor, "company", "Hidden Corp", {"company": "Hidden Corp"})
        store.record_answer(visitor, "need", "…", {"need": "confidential forecasting"})
        start = open_times(roster, "priya.shah", store, when)[0].start
        meetings[visitor] = book_meeting(store, "priya.shah", visitor, start, roster, when)
    decide_meeting(store, meetings["decided"].meeting_id, meetings["decided"].decision_token, True, None, roster)
    with running_webapp(database_url, LEADQUAL_SECRET_KEY=SECRET) as server:
        yield server, store, meetings


def _shows_no_lead(response: httpx.Response) -> bool:
    return not any(secret in response.text for secret in ("Secret", "Hidden Corp", "confidential", "score"))


@pytest.mark.parametrize("verb", ["accept", "reject"])
@pytest.mark.parametrize("token", [None, "", "guessed", "café", "other-meeting"])
def test_decision_pages_show_nothing_without_the_meetings_token(links, verb, token):
    server, _, meetings = links
    if token == "other-meeting":
        token = meetings["decided"].decision_token
    params = {} if token is None else {"token": token}
    response = httpx.get(f"{server.url}/meetings/{meetings['waiting'].meeting_id}/{verb}", params=params)
    assert response.status_code == 403 and _shows_no_lead(response)
    assert "not valid" in response.text


def test_a_decision_link_expires_when_decided_and_days_after_the_meeting(links):
    server, _, meetings = links
    decided = meetings["decided"]
    page = httpx.get(f"{server.url}/meetings/{decided.meeting_id}/accept", params={"token": decided.decision_token})
    assert page.status_code == 409 and "already accepted" in page.text and _shows_no_lead(page)

    old = meetings["old"]  # a month ago; config/roster.yml keeps links 7 days after the meeting
    page = httpx.get(f"{server.url}/meetings/{old.meeting_id}/reject", params={"token": old.decision_token})
    assert page.status_code == 403 and "expired" in page.text and _shows_no_lead(page)
    post = httpx.post(
        f"{server.url}/meetings/{old.meeting_id}/decision",
        json={"decision": "reject", "token": old.decision_token, "reason": "too late"},
    )
    assert post.status_code == 403 and post.json()["code"] == "expired"

    waiting = meetings["waiting"]  # the valid token of a booked, recent meeting still shows it
    page = httpx.get(f"{server.url}/meetings/{waiting.meeting_id}/accept", params={"token": waiting.decision_token})
    assert page.status_code == 200 and "Secret Person waiting" in page.text


@pytest.mark.parametrize("path", ["/meetings/{id}/invite.ics", "/reps/priya.shah/meetings.ics"])
@pytest.mark.parametrize("token", ["café", "ü" * 32, "\u2603"])
def test_non_ascii_invite_and_feed_tokens_are_a_403(links, path, token):
    server, _, meetings = links
    url = server.url + path.format(id=meetings["waiting"].meeting_id)
    response = httpx.get(url, params={"token": token})
    assert response.status_code == 403 and "not valid" in response.text


def test_invite_and_feed_links_rotate_without_the_global_key(links):
    server, store, meetings = links
    meeting_id = meetings["old"].meeting_id
    invite = f"{server.url}/meetings/{meeting_id}/invite.ics"
    first = invite_token(SECRET, meeting_id)
    assert httpx.get(invite, params={"token": first}).status_code == 200
    version = rotate_invite_token(store, meeting_id)
    assert httpx.get(invite, params={"token": first}).status_code == 403
    assert httpx.get(invite, params={"token": invite_token(SECRET, meeting_id, version)}).status_code == 200
    other = meetings["waiting"].meeting_id  # the other meetings' links are untouched
    assert httpx.get(
        f"{server.url}/meetings/{other}/invite.ics", params={"token": invite_token(SECRET, other)}
    ).is_success

    feed = f"{server.url}/reps/priya.shah/meetings.ics"
    first = feed_token(SECRET, "priya.shah")
    assert httpx.get(feed, params={"token": first}).status_code == 200
    version = rotate_feed_token(store, "priya.shah")
    assert httpx.get(feed, params={"token": first}).status_code == 403
    assert httpx.get(feed, params={"token": feed_token(SECRET, "priya.shah", version)}).status_code == 200
    lukas = f"{server.url}/reps/lukas.weber/meetings.ics"
    assert httpx.get(lukas, params={"token": feed_token(SECRET, "lukas.weber")}).status_code == 200


def _every_rep_response(server, meetings):
    waiting = meetings["waiting"]
    base = f"{server.url}/meetings/{waiting.meeting_id}"
    decision = f"{base}/decision"
    yield httpx.get(f"{base}/accept", params={"token": waiting.decision_token})  # 200 page
    yield httpx.get(f"{base}/reject")  # 403 page
    yield httpx.get(f"{server.url}/meetings/99999/accept")  # 404 page
    yield httpx.post(decision, json={"decision": "accept", "token": "guessed"})  # 403 JSON
    yield httpx.post(decision, json=["accept"])  # 400 JSON
    yield httpx.post(decision, content=b"{not json", headers={"content-type": "application/json"})  # Sanic's 400
    yield httpx.post(decision, data={"decision": "maybe"})  # 400 page
    yield httpx.get(f"{base}/invite.ics", params={"token": "nope"})
    yield httpx.get(f"{base}/invite.ics", params={"token": invite_token(SECRET, waiting.meeting_id)})
    yield httpx.get(f"{server.url}/reps/nobody/meetings.ics")
    yield httpx.get(f"{server.url}/reps/lukas.weber/meetings.ics", params={"token": feed_token(SECRET, "lukas.weber")})


def test_every_rep_response_carries_the_security_headers(links):
    server, _, meetings = links
    statuses = set()
    for response in _every_rep_response(server, meetings):
        statuses.add(response.status_code)
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (response.request.url, name)
        policy = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy, response.request.url
    assert statuses == {200, 400, 403, 404}


@pytest.mark.parametrize("body", [b"[]", b'["accept"]', b"[1]", b"null", b"5", b'"accept"', b"true"])
def test_a_decision_body_that_is_not_an_object_is_a_400(links, body):
    server, _, meetings = links
    response = httpx.post(
        f"{server.url}/meetings/{meetings['waiting'].meeting_id}/decision",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400 and "decision must be accept or reject" in response.json()["error"]


@pytest.mark.parametrize("field", [{"reason": 5}, {"reason": ["no"]}, {"token": "\ud800"}])
def test_odd_decision_fields_are_a_4xx(links, field):
    server, store, meetings = links
    body = {"decision": "reject", "token": "guessed", "reason": "spam", **field}
    response = httpx.post(
        f"{server.url}/meetings/{meetings['waiting'].meeting_id}/decision",
        content=json.dumps(body).encode(),  # json.dumps writes the lone surrogate as \ud800
        headers={"content-type": "application/json"},
    )
    assert response.status_code in (400, 403)
    assert store.get_lead("waiting")["stage"] == "meeting_booked"

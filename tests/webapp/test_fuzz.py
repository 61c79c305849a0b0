"""Property-based fuzzing (hypothesis) of the web app's public inputs over real HTTP: whatever
arrives at POST /track, the decision POST, the invite and the feed URLs, the answer is never a
5xx, and nothing is stored or decided for a request that was refused.

Bounded (max_examples per target, no deadline) so the whole file stays well under a minute."""

from __future__ import annotations

import json
import string
import uuid
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from handoff import book_meeting, load_roster, open_times
from leaddb import LeadStore, make_engine, utcnow
from tests.support.servers import PROJECT_ROOT, SITE_ORIGIN, running_webapp
from tests.webapp.test_tracking import CONSENTED, an_event

SECRET = "test-secret-for-fuzzing"
FUZZ = settings(max_examples=50, deadline=None)

# JSON as an attacker writes it: any nesting, lone surrogates, NULs, huge and odd numbers.
json_text = st.text(st.characters(), max_size=40) | st.sampled_from(["\ud800", "\x00", "é" * 40, "../../x", ""])
json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | json_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(json_text, inner, max_size=4),
    max_leaves=12,
)


def _encode(value) -> bytes:
    # json.dumps writes a lone surrogate as the escape "\ud800", as an attacker would send it.
    return json.dumps(value, allow_nan=True).encode()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    database_url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'leads.db'}"
    store = LeadStore.from_url(database_url)
    roster = load_roster(PROJECT_ROOT / "config" / "roster.yml")
    store.record_answer("v-fuzzed-lead", "person_name", "Fay", {"person_name": "Fay"})
    times = open_times(roster, "priya.shah", store, utcnow())
    meeting = book_meeting(store, "priya.shah", "v-fuzzed-lead", times[0].start, roster, utcnow())
    with running_webapp(database_url, LEADQUAL_SECRET_KEY=SECRET) as running:
        yield running, store, meeting


@pytest.fixture(scope="module", autouse=True)
def _keep_alive():
    """One connection for all requests: a new one per example would triple the run time."""
    global http
    with httpx.Client(timeout=10) as client:
        http = client
        yield


http: httpx.Client


def _event_rows(server) -> int:
    engine = make_engine(server.database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT COUNT(*) FROM events")).scalar_one()
    finally:
        engine.dispose()


def _track(server, body: bytes, content_type: str) -> httpx.Response:
    return http.post(
        f"{server.url}/track",
        content=body,
        headers={"Content-Type": content_type, "Origin": SITE_ORIGIN, "Cookie": CONSENTED},
    )


# -- POST /track ----------------------------------------------------------------------------------


@FUZZ
@given(body=json_value, content_type=st.sampled_from(["application/json", "text/plain"]))
def test_track_any_json_body(server, body, content_type):
    running, _, _ = server
    before = _event_rows(running)
    response = _track(running, _encode(body), content_type)
    assert response.status_code < 500, response.text
    if response.status_code != 200:
        assert _event_rows(running) == before


@FUZZ
@given(
    field=st.sampled_from(["id", "type", "url", "referrer", "occurred_at", "properties", "utm"]),
    value=json_value,
    visitor=st.one_of(st.just(None), json_value),
)
def test_track_an_event_with_one_field_fuzzed(server, field, value, visitor):
    running, _, _ = server
    visitor_id = f"v-{uuid.uuid4()}" if visitor is None else visitor
    before = _event_rows(running)
    response = _track(
        running, _encode({"visitor_id": visitor_id, "events": [an_event(**{field: value})]}), "text/plain"
    )
    assert response.status_code < 500, response.text
    if response.status_code != 200:
        assert _event_rows(running) == before


@FUZZ
@given(raw=st.binary(max_size=200))
def test_track_any_bytes(server, raw):
    running, _, _ = server
    before = _event_rows(running)
    response = _track(running, raw, "text/plain")
    assert response.status_code < 500, response.text
    if response.status_code != 200:
        assert _event_rows(running) == before


# -- the decision POST ----------------------------------------------------------------------------


@FUZZ
@given(
    body=json_value
    | st.fixed_dictionaries(
        {"decision": st.sampled_from(["accept", "reject"]) | json_value, "token": json_value},
        optional={"reason": json_value},
    ),
    as_form=st.booleans(),
)
def test_the_decision_post_decides_nothing_without_the_token(server, body, as_form):
    running, store, meeting = server
    url = f"{running.url}/meetings/{meeting.meeting_id}/decision"
    if as_form and isinstance(body, dict):
        # Form fields as raw bytes (a lone surrogate included), percent-encoded by hand.
        form = "&".join(f"{_quoted(key)}={_quoted(value)}" for key, value in body.items())
        response = http.post(url, content=form, headers={"Content-Type": "application/x-www-form-urlencoded"})
    else:
        response = http.post(url, content=_encode(body), headers={"Content-Type": "application/json"})
    assert response.status_code < 500, response.text
    assert response.status_code != 200
    assert store.get_lead("v-fuzzed-lead")["stage"] == "meeting_booked"  # still undecided


# -- invite and feed URLs -------------------------------------------------------------------------


def _quoted(value) -> str:
    return quote(str(value).encode("utf-8", "surrogatepass"), safe="")


url_text = st.text(st.characters(), max_size=60) | st.text(string.printable, max_size=60)


@FUZZ
@given(token=url_text, meeting_id=st.integers(min_value=-(2**70), max_value=2**70))
def test_the_decision_page_with_any_token(server, token, meeting_id):
    running, _, meeting = server
    for target in (meeting.meeting_id, meeting_id):
        response = http.get(f"{running.url}/meetings/{target}/accept?token={_quoted(token)}")
        assert response.status_code < 500, response.text
        assert response.status_code != 200 and "Fay" not in response.text


@FUZZ
@given(token=url_text, meeting_id=st.integers(min_value=-(2**70), max_value=2**70))
def test_the_invite_url_with_any_token(server, token, meeting_id):
    running, _, meeting = server
    for target in (meeting.meeting_id, meeting_id):
        response = http.get(f"{running.url}/meetings/{target}/invite.ics?token={_quoted(token)}")
        assert response.status_code < 500, response.text
        assert response.status_code != 200 and "BEGIN:VCALENDAR" not in response.text


@FUZZ
@given(token=url_text, rep_id=st.sampled_from(["priya.shah", "anna.schmidt"]) | url_text.filter(bool))
def test_the_feed_url_with_any_token_and_rep(server, token, rep_id):
    running, _, _ = server
    response = http.get(f"{running.url}/reps/{_quoted(rep_id)}/meetings.ics?token={_quoted(token)}")
    assert response.status_code < 500, response.text
    assert response.status_code != 200 and "BEGIN:VCALENDAR" not in response.text

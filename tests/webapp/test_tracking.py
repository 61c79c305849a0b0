"""POST /track through real HTTP against `python -m webapp` running in a subprocess."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from appconfig.inputs import VISITOR_ID
from leaddb import make_engine
from leaddb.events import EVENT_TYPES, visitor_events
from tests.support.identity import proof_cookie
from tests.support.servers import SITE_ORIGIN, running_webapp

# What a browser whose visitor accepted the site's banner sends (config/privacy.yml waits for it).
CONSENTED = "lq_consent=granted"


def new_visitor() -> str:
    return f"v-{uuid.uuid4()}"


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def an_event(**fields) -> dict:
    event = {
        "id": str(uuid.uuid4()),
        "type": "page_view",
        "url": "https://www.example-site.test/pricing?utm_source=newsletter&utm_medium=email",
        "referrer": "https://search.example/",
        "occurred_at": iso(datetime.now(timezone.utc) - timedelta(minutes=1)),
        "properties": {"title": "Pricing"},
    }
    event.update(fields)
    return {key: value for key, value in event.items() if value is not ...}


def post(server, body, content_type="application/json", consent=False, **headers) -> httpx.Response:
    """POST /track as the browser of the body's visitor_id would: with that id's cookie
    (unless the test passes a Cookie of its own), and with `consent` the banner's choice."""
    content = body if isinstance(body, (bytes, str)) else json.dumps(body)
    visitor_id = body.get("visitor_id") if isinstance(body, dict) else None
    if "Cookie" not in headers and isinstance(visitor_id, str) and VISITOR_ID.fullmatch(visitor_id):
        headers.update(proof_cookie(visitor_id, server.secret_key))
    if consent:
        headers["Cookie"] = "; ".join(filter(None, [headers.get("Cookie"), CONSENTED]))
    return httpx.post(
        f"{server.url}/track", content=content, headers={"Content-Type": content_type, **headers}, timeout=10
    )


def stored(server, visitor_id):
    engine = make_engine(server.database_url)
    try:
        return visitor_events(engine, visitor_id)
    finally:
        engine.dispose()


def error_fields(response: httpx.Response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


# -- accepted batches ---------------------------------------------------------------------------


def test_a_batch_is_stored_with_utm_from_the_url(webapp):
    visitor = new_visitor()
    events = [
        an_event(),
        an_event(type="content_download", url="https://www.example-site.test/guide", properties={"title": "ROI guide"}),
    ]
    response = post(webapp, {"visitor_id": visitor, "events": events})
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 2, "duplicates": 0}

    rows = stored(webapp, visitor)
    assert [row.type for row in rows] == ["page_view", "content_download"]
    assert rows[0].utm == {"source": "newsletter", "medium": "email"}
    assert rows[0].referrer == "https://search.example/"
    assert rows[1].properties == {"title": "ROI guide"}
    assert rows[0].occurred_at.tzinfo is not None


def test_duplicate_ids_are_counted_not_stored_twice(webapp):
    visitor = new_visitor()
    first, second, third = an_event(), an_event(), an_event()
    assert post(webapp, {"visitor_id": visitor, "events": [first, second]}).json() == {"accepted": 2, "duplicates": 0}
    # A resend after a lost answer, plus one new event and one repeated inside the batch.
    response = post(webapp, {"visitor_id": visitor, "events": [first, second, third, third]})
    assert response.status_code == 200
    assert response.json() == {"accepted": 1, "duplicates": 3}
    assert len(stored(webapp, visitor)) == 3


def test_a_single_event_may_be_sent_without_a_batch(webapp):
    visitor = new_visitor()
    response = post(webapp, {"visitor_id": visitor, **an_event(type="webinar_registration", url=...)})
    assert response.status_code == 200, response.text
    assert [row.type for row in stored(webapp, visitor)] == ["webinar_registration"]


def test_text_plain_from_send_beacon_is_accepted(webapp):
    visitor = new_visitor()
    body = json.dumps({"visitor_id": visitor, "events": [an_event()]})
    cookie = proof_cookie(visitor, webapp.secret_key)
    response = post(webapp, body, content_type="text/plain;charset=UTF-8", Origin=SITE_ORIGIN, consent=True, **cookie)
    assert response.status_code == 200, response.text


# -- refused requests ---------------------------------------------------------------------------

NOW = datetime.now(timezone.utc)

INVALID_BODIES = [
    # (case, body or a function of the visitor id, expected field)
    ("body is a list", lambda v: [an_event()], "body"),
    ("visitor_id is a number", lambda v: {"visitor_id": 12345678, "events": [an_event()]}, "visitor_id"),
    ("visitor_id too short", lambda v: {"visitor_id": "abc", "events": [an_event()]}, "visitor_id"),
    (
        "visitor_id has odd characters",
        lambda v: {"visitor_id": "<script>alert(1)</script>", "events": [an_event()]},
        "visitor_id",
    ),
    ("events is an object", lambda v: {"visitor_id": v, "events": an_event()}, "events"),
    ("events is empty", lambda v: {"visitor_id": v, "events": []}, "events"),
    ("too many events", lambda v: {"visitor_id": v, "events": [an_event() for _ in range(101)]}, "events"),
    ("unknown top-level field", lambda v: {"visitor_id": v, "events": [an_event()], "user": "x"}, "user"),
    ("event is not an object", lambda v: {"visitor_id": v, "events": ["page_view"]}, "events[0]"),
    ("id missing", lambda v: {"visitor_id": v, "events": [an_event(id=...)]}, "events[0].id"),
    ("id is a number", lambda v: {"visitor_id": v, "events": [an_event(id=12345678)]}, "events[0].id"),
    ("type missing", lambda v: {"visitor_id": v, "events": [an_event(type=...)]}, "events[0].type"),
    ("type unknown", lambda v: {"visitor_id": v, "events": [an_event(type="purchase")]}, "events[0].type"),
    ("type is a list", lambda v: {"visitor_id": v, "events": [an_event(type=["page_view"])]}, "events[0].type"),
    ("url relative", lambda v: {"visitor_id": v, "events": [an_event(url="/pricing")]}, "events[0].url"),
    ("url missing on a page view", lambda v: {"visitor_id": v, "events": [an_event(url=...)]}, "events[0].url"),
    ("url is a number", lambda v: {"visitor_id": v, "events": [an_event(url=5)]}, "events[0].url"),
    (
        "url too long",
        lambda v: {"visitor_id": v, "events": [an_event(url="https://a.test/" + "x" * 3000)]},
        "events[0].url",
    ),
    (
        "occurred_at missing",
        lambda v: {"visitor_id": v, "events": [an_event(occurred_at=...)]},
        "events[0].occurred_at",
    ),
    (
        "occurred_at a number",
        lambda v: {"visitor_id": v, "events": [an_event(occurred_at=1714550000)]},
        "events[0].occurred_at",
    ),
    (
        "occurred_at not a date",
        lambda v: {"visitor_id": v, "events": [an_event(occurred_at="yesterday")]},
        "events[0].occurred_at",
    ),
    (
        "occurred_at without zone",
        lambda v: {"visitor_id": v, "events": [an_event(occurred_at="2024-05-01T10:00:00")]},
        "events[0].occurred_at",
    ),
    (
        "occurred_at in the future",
        lambda v: {"visitor_id": v, "events": [an_event(occurred_at=iso(NOW + timedelta(hours=2)))]},
        "events[0].occurred_at",
    ),
    (
        "occurred_at ancient",
        lambda v: {"visitor_id": v, "events": [an_event(occurred_at=iso(NOW - timedelta(days=400)))]},
        "events[0].occurred_at",
    ),
    ("properties a list", lambda v: {"visitor_id": v, "events": [an_event(properties=["a"])]}, "events[0].properties"),
    (
        "property nested",
        lambda v: {"visitor_id": v, "events": [an_event(properties={"deep": {"x": 1}})]},
        "events[0].properties.deep",
    ),
    (
        "property value too long",
        lambda v: {"visitor_id": v, "events": [an_event(properties={"title": "x" * 600})]},
        "events[0].properties.title",
    ),
    ("unknown utm field", lambda v: {"visitor_id": v, "events": [an_event(utm={"sauce": "x"})]}, "events[0].utm.sauce"),
    ("unknown event field", lambda v: {"visitor_id": v, "events": [an_event(colour="red")]}, "events[0].colour"),
    ("second event bad", lambda v: {"visitor_id": v, "events": [an_event(), an_event(type="nope")]}, "events[1].type"),
]


@pytest.mark.parametrize("case, make_body, field", INVALID_BODIES, ids=[case[0] for case in INVALID_BODIES])
def test_invalid_bodies_are_refused_naming_the_field(webapp, case, make_body, field):
    visitor = new_visitor()
    response = post(webapp, make_body(visitor))
    assert response.status_code == 422, response.text
    assert field in error_fields(response)
    assert all(error["problem"] for error in response.json()["errors"])
    # The batch is refused as a whole: nothing of it is stored.
    assert stored(webapp, visitor) == []


def test_every_problem_of_a_batch_is_reported_at_once(webapp):
    body = {"visitor_id": "x", "events": [an_event(type="nope"), an_event(occurred_at="soon")]}
    response = post(webapp, body)
    assert response.status_code == 422
    assert error_fields(response) == ["visitor_id", "events[0].type", "events[1].occurred_at"]


@pytest.mark.parametrize(
    "body, problem",
    [
        (b'{"visitor_id": "abcdefgh", "events": [', "not valid JSON"),
        (b"", "not valid JSON"),
        (b'{"visitor_id": NaN}', "NaN is not allowed"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[" * 60_000, "nested too deeply"),
    ],
    ids=["truncated", "empty", "NaN", "not utf-8", "deep nesting"],
)
def test_malformed_json_is_a_400(webapp, body, problem):
    response = post(webapp, body)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["field"] == "body"
    assert problem in response.json()["errors"][0]["problem"]


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data", ""])
def test_other_content_types_are_a_415(webapp, content_type):
    response = post(webapp, {"visitor_id": new_visitor(), "events": [an_event()]}, content_type=content_type)
    assert response.status_code == 415
    assert error_fields(response) == ["Content-Type"]


def test_a_huge_body_is_a_413(webapp):
    huge = json.dumps({"visitor_id": new_visitor(), "events": [an_event(properties={"pad": "x" * 400})] * 1000})
    assert len(huge) > 400_000
    response = post(webapp, huge)
    assert response.status_code == 413
    assert error_fields(response) == ["body"]


def test_a_huge_chunked_body_without_length_is_a_413(webapp):
    def chunks():
        yield b'{"visitor_id": "abcdefgh", "events": ['
        for _ in range(200):
            yield b'{"id": "0123456789", "type": "page_view", "properties": {"pad": "' + b"x" * 400 + b'"}},'
        yield b"]}"

    response = httpx.post(
        f"{webapp.url}/track", content=chunks(), headers={"Content-Type": "application/json"}, timeout=10
    )
    assert response.status_code == 413


def test_the_body_limit_is_configurable(tmp_path):
    with running_webapp(f"sqlite:///{tmp_path / 'leads.db'}", TRACK_MAX_BODY_BYTES="600") as server:
        small = {"visitor_id": new_visitor(), "events": [an_event(properties={})]}
        assert post(server, small).status_code == 200
        large = {"visitor_id": new_visitor(), "events": [an_event(properties={"pad": "x" * 400})] * 2}
        assert post(server, large).status_code == 413


# -- origins ------------------------------------------------------------------------------------


def test_a_configured_origin_gets_cors_headers(webapp):
    response = post(webapp, {"visitor_id": new_visitor(), "events": [an_event()]}, Origin=SITE_ORIGIN, consent=True)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.headers["Vary"] == "Origin"


def test_refusals_to_a_configured_origin_are_readable_by_the_page(webapp):
    response = post(webapp, {"visitor_id": "x"}, Origin=SITE_ORIGIN, consent=True)
    assert response.status_code == 422
    assert response.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN


@pytest.mark.parametrize(
    "origin", ["https://evil.test", "null", "https://www.example-site.test.evil.test", "http://www.example-site.test"]
)
def test_an_unknown_origin_is_refused_without_cors_headers(webapp, origin):
    visitor = new_visitor()
    response = post(webapp, {"visitor_id": visitor, "events": [an_event()]}, "text/plain", Origin=origin)
    assert response.status_code == 403
    assert error_fields(response) == ["Origin"]
    assert "Access-Control-Allow-Origin" not in response.headers
    assert stored(webapp, visitor) == []


def test_the_app_own_origin_is_allowed(webapp):
    response = post(webapp, {"visitor_id": new_visitor(), "events": [an_event()]}, Origin=webapp.url, consent=True)
    assert response.status_code == 200


def test_server_to_server_posts_need_no_origin(webapp):
    response = post(webapp, {"visitor_id": new_visitor(), "events": [an_event(type="unsubscribe", url=...)]})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_preflight_from_a_configured_origin(webapp):
    response = httpx.options(
        f"{webapp.url}/track",
        headers={
            "Origin": SITE_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Headers"].lower() == "content-type"


def test_preflight_from_an_unknown_origin(webapp):
    response = httpx.options(
        f"{webapp.url}/track", headers={"Origin": "https://evil.test", "Access-Control-Request-Method": "POST"}
    )
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers


# -- the rest of the app ------------------------------------------------------------------------


def test_healthz_and_unknown_paths_answer_json(webapp):
    assert httpx.get(f"{webapp.url}/healthz").json() == {"status": "ok"}
    missing = httpx.get(f"{webapp.url}/no-such-page")
    assert missing.status_code == 404
    assert missing.json()["status"] == 404
    assert httpx.get(f"{webapp.url}/track").status_code == 405


def test_tracker_js_is_served_and_knows_the_server_event_types(webapp):
    response = httpx.get(f"{webapp.url}/static/tracker.js")
    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
    # tracker.js drops unknown types itself, so its list must be the server's.
    listed = response.text.split("var EVENT_TYPES = [", 1)[1].split("]", 1)[0]
    assert [name.strip().strip('"') for name in listed.split(",")] == list(EVENT_TYPES)


@pytest.mark.postgres
def test_the_endpoint_stores_into_postgresql(postgres_url):
    with running_webapp(postgres_url) as server:
        visitor = new_visitor()
        first = an_event()
        assert post(server, {"visitor_id": visitor, "events": [first, an_event(type="pricing_view")]}).json() == {
            "accepted": 2,
            "duplicates": 0,
        }
        assert post(server, {"visitor_id": visitor, "events": [first]}).json() == {"accepted": 0, "duplicates": 1}
        assert [row.type for row in stored(server, visitor)] == ["page_view", "pricing_view"]


@pytest.mark.postgres
def test_a_database_failure_is_a_503_the_tracker_retries(postgres_url):
    from sqlalchemy import create_engine, text

    with running_webapp(postgres_url) as server:
        engine = create_engine(postgres_url, future=True)
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE events"))
        engine.dispose()
        response = post(server, {"visitor_id": new_visitor(), "events": [an_event()]})
        assert response.status_code == 503
        assert "send them again later" in response.json()["error"]
        assert "Traceback" not in response.text

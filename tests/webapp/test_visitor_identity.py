"""Issue 9, item 3 (visitor identity) on the real web app: the visitor id comes with a signed
proof in an HttpOnly cookie, and /track stores events for an id only with that proof, or,
server to server, with the body signed by TRACK_SERVER_SECRET."""

from __future__ import annotations

import json
import time
from http.cookies import SimpleCookie

import httpx
import pytest

from appconfig.visitor_proof import issue, sign_body
from tests.support.identity import proof_cookie
from tests.support.servers import SITE_ORIGIN, running_webapp
from tests.webapp.test_tracking import an_event, new_visitor, stored

DAY = 86400
SERVER_SECRET = "marketing-tool-shares-this-" + "x" * 20


def _track(server, body, **headers) -> httpx.Response:
    """POST /track as a page of the site whose visitor accepted the consent banner."""
    headers["Cookie"] = "; ".join(filter(None, [headers.get("Cookie"), "lq_consent=granted"]))
    return httpx.post(
        f"{server.url}/track",
        content=json.dumps(body),
        headers={"Content-Type": "text/plain", "Origin": SITE_ORIGIN, **headers},
        timeout=10,
    )


def _set_cookie(response: httpx.Response):
    """The lq_vid morsel the response sets, or None."""
    cookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        cookie.load(header)
    return cookie.get("lq_vid")


@pytest.fixture(scope="module")
def signing_webapp(tmp_path_factory):
    database = tmp_path_factory.mktemp("identity-db") / "leads.db"
    with running_webapp(f"sqlite:///{database}", TRACK_SERVER_SECRET=SERVER_SECRET) as server:
        yield server


def test_a_cookieless_first_request_gets_a_fresh_id_and_its_proof(webapp):
    response = _track(webapp, {"events": [an_event()]})
    assert response.status_code == 200, response.text
    morsel = _set_cookie(response)
    visitor_id, issued_at, _mac = morsel.value.split(".")
    assert abs(int(issued_at) - time.time()) < 60
    assert morsel["httponly"] and morsel["samesite"] == "Lax" and morsel["path"] == "/"
    assert int(morsel["max-age"]) == 60 * DAY
    assert not morsel["secure"]  # served over http here
    assert len(stored(webapp, visitor_id)) == 1
    # The same browser again: its events join the same id, no new cookie.
    again = _track(webapp, {"events": [an_event()]}, Cookie=f"lq_vid={morsel.value}")
    assert again.status_code == 200 and _set_cookie(again) is None
    assert len(stored(webapp, visitor_id)) == 2


def test_a_page_of_the_site_issues_the_cookie_once(webapp):
    first = httpx.get(f"{webapp.url}/pricing", timeout=10)
    proof = _set_cookie(first).value
    assert "private" in first.headers["cache-control"]  # no shared cache hands the cookie on
    second = httpx.get(f"{webapp.url}/pricing", headers={"Cookie": f"lq_vid={proof}"}, timeout=10)
    assert _set_cookie(second) is None


def test_an_old_proof_is_renewed_for_the_same_id_and_an_expired_one_replaced(webapp):
    visitor_id = new_visitor()
    old = issue(webapp.secret_key, visitor_id, now=time.time() - 2 * DAY).value
    renewed = _set_cookie(httpx.get(f"{webapp.url}/", headers={"Cookie": f"lq_vid={old}"}, timeout=10)).value
    assert renewed.split(".")[0] == visitor_id and renewed != old

    expired = issue(webapp.secret_key, visitor_id, now=time.time() - 61 * DAY).value
    fresh = _set_cookie(httpx.get(f"{webapp.url}/", headers={"Cookie": f"lq_vid={expired}"}, timeout=10)).value
    assert fresh.split(".")[0] != visitor_id


@pytest.mark.parametrize(
    "cookie",
    [
        "{id}",  # the unsigned id the old tracker.js wrote
        "{id}.{now}.forgedmacforgedmacforgedmacforgedmacforged",
        "another-key",
    ],
)
def test_a_forged_or_unsigned_cookie_is_no_proof(webapp, cookie):
    victim = new_visitor()
    if cookie == "another-key":
        value = issue("not-the-servers-key-" + "y" * 30, victim).value
    else:
        value = cookie.format(id=victim, now=int(time.time()))
    # Naming the id: refused, nothing stored.
    refused = _track(webapp, {"visitor_id": victim, "events": [an_event()]}, Cookie=f"lq_vid={value}")
    assert refused.status_code == 403
    assert stored(webapp, victim) == []
    # Not naming it: counted, under a fresh id.
    counted = _track(webapp, {"events": [an_event()]}, Cookie=f"lq_vid={value}")
    assert counted.status_code == 200
    assert _set_cookie(counted).value.split(".")[0] != victim
    assert stored(webapp, victim) == []


def test_events_for_another_visitors_id_are_refused(webapp):
    victim, attacker = new_visitor(), new_visitor()
    pricing = [an_event(type="pricing_view") for _ in range(3)]
    for headers in ({}, proof_cookie(attacker, webapp.secret_key)):
        response = _track(webapp, {"visitor_id": victim, "events": pricing}, **headers)
        assert response.status_code == 403, response.text
        assert response.json()["error"] == "visitor id not proven"
        assert [e["field"] for e in response.json()["errors"]] == ["visitor_id"]
        assert "lq_vid cookie" in response.json()["errors"][0]["problem"]
        assert response.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN  # the page can read why
    assert stored(webapp, victim) == []
    # The victim's own browser is accepted.
    own = _track(webapp, {"visitor_id": victim, "events": [an_event()]}, **proof_cookie(victim, webapp.secret_key))
    assert own.status_code == 200
    assert len(stored(webapp, victim)) == 1


def test_cors_answers_let_the_tracker_send_its_cookie(webapp):
    response = _track(webapp, {"events": [an_event()]})
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN


def test_server_events_are_refused_when_no_secret_is_configured(webapp):
    visitor = new_visitor()
    body = json.dumps({"visitor_id": visitor, "events": [an_event(type="email_click")]}).encode()
    response = httpx.post(
        f"{webapp.url}/track",
        content=body,
        headers={"Content-Type": "application/json", "X-Track-Signature": sign_body(body, SERVER_SECRET)},
        timeout=10,
    )
    assert response.status_code == 403
    assert "TRACK_SERVER_SECRET" in response.json()["errors"][0]["problem"]
    assert stored(webapp, visitor) == []


def test_signed_server_events_are_stored_under_the_id_they_name(signing_webapp):
    visitor = new_visitor()
    body = json.dumps({"visitor_id": visitor, "events": [an_event(type="email_click")]}).encode()

    def post(signature: str | None, content: bytes = body) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Track-Signature"] = signature
        return httpx.post(f"{signing_webapp.url}/track", content=content, headers=headers, timeout=10)

    assert post(None).status_code == 403  # no signature, no cookie: another visitor's id
    assert post(sign_body(body, "a-guessed-secret")).status_code == 403
    assert post(sign_body(body, SERVER_SECRET), body + b" ").status_code == 403  # the body was changed
    assert stored(signing_webapp, visitor) == []
    accepted = post(sign_body(body, SERVER_SECRET))
    assert accepted.status_code == 200, accepted.text
    assert _set_cookie(accepted) is None  # a server gets no visitor cookie
    assert [event.type for event in stored(signing_webapp, visitor)] == ["email_click"]
    anonymous = json.dumps({"events": [an_event()]}).encode()
    missing = post(sign_body(anonymous, SERVER_SECRET), anonymous)
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "visitor_id"


def test_the_cookie_is_secure_over_https_and_its_lifetime_configurable(tmp_path):
    with running_webapp(
        f"sqlite:///{tmp_path / 'leads.db'}",
        PUBLIC_BASE_URL="https://leads.example-site.test",
        VISITOR_ID_LIFETIME_DAYS="30",
    ) as server:
        morsel = _set_cookie(httpx.get(f"{server.url}/", timeout=10))
        assert morsel["secure"] and int(morsel["max-age"]) == 30 * DAY
        # A proof older than the configured lifetime is no proof.
        visitor_id = new_visitor()
        stale = issue(server.secret_key, visitor_id, now=time.time() - 31 * DAY).value
        response = _track(server, {"visitor_id": visitor_id, "events": [an_event()]}, Cookie=f"lq_vid={stale}")
        assert response.status_code == 403

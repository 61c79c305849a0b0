"""The demo site over plain HTTP (no browser): pages, files, content types, security headers,
and the two endpoints the widget glue asks (chat config, proactive opening)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import httpx
import pytest

from appconfig.settings import PROJECT_ROOT
from leaddb import LeadStore
from tests.support.identity import proof_cookie

pytestmark = pytest.mark.e2e

PAGES = ["/", "/product", "/pricing", "/resources", "/webinar"]


def _get(site_url: str, path: str, cookies: dict | None = None) -> httpx.Response:
    return httpx.get(site_url + path, cookies=cookies, timeout=10)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_the_tracker_the_widget_and_a_strict_policy(site_url, running_stack, path):
    response = _get(site_url, path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    html = response.text
    # config/privacy.yml waits for consent: the tracker is told so, and the banner is there.
    assert '<script src="/static/tracker.js" data-consent="required" defer></script>' in html
    for script in ("/assets/consent.js", "/vendor/rasa-webchat/index.js", "/assets/chat.js"):
        assert f'<script src="{script}" defer></script>' in html
    assert 'id="consent-banner"' in html and "data-consent-open" in html
    # Everything comes from this server: no CDN, no outside font or image.
    assert not re.search(r'(src|href)="(https?:)?//', html)
    # The shared layout marks this page, and only this one, in the navigation.
    assert re.findall(r'<a href="([^"]*)" aria-current="page">', html) == [path]

    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "'unsafe-eval'" not in policy
    rasa = f"127.0.0.1:{running_stack.env['RASA_PORT']}"
    assert f"connect-src 'self' http://{rasa} ws://{rasa}" in policy
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("header", [{"DNT": "1"}, {"Sec-GPC": "1"}])
def test_a_browser_that_objects_to_tracking_is_not_asked(site_url, header):
    response = httpx.get(f"{site_url}/pricing", headers=header, timeout=10)
    assert response.status_code == 200
    assert 'id="consent-banner"' not in response.text and "data-consent-open" not in response.text
    assert "Your browser asks not to be tracked" in response.text
    assert "DNT" in response.headers["vary"] and "Sec-GPC" in response.headers["vary"]


@pytest.mark.parametrize(
    "path, content_type, starts_with",
    [
        ("/assets/style.css", "text/css", b"/*"),
        ("/assets/chat.js", "javascript", b"/*"),
        ("/assets/consent.js", "javascript", b"/*"),
        ("/assets/site.js", "javascript", b"/*"),
        ("/assets/favicon.svg", "image/svg+xml", b"<svg"),
        ("/assets/beacon-pipeline-benchmark-2025.pdf", "application/pdf", b"%PDF-"),
        ("/vendor/rasa-webchat/index.js", "javascript", b"!function"),
    ],
)
def test_files_are_served_with_their_content_type(site_url, path, content_type, starts_with):
    response = _get(site_url, path)
    assert response.status_code == 200
    assert content_type in response.headers["content-type"]
    assert response.content.startswith(starts_with)


@pytest.mark.parametrize(
    "path", ["/vendor/rasa-webchat/package.json", "/assets/../app.py", "/templates/base.html", "/nope"]
)
def test_nothing_else_is_served(site_url, path):
    assert _get(site_url, path).status_code == 404


def test_chat_config_points_at_rasa_and_gives_the_visitor_its_id_and_proof(site_url, running_stack):
    response = _get(site_url, "/api/chat/config")
    config = response.json()
    package = json.loads((PROJECT_ROOT / "web/node_modules/rasa-webchat/package.json").read_text())
    proof = config.pop("visitor_proof")
    assert config == {
        "socket_url": f"http://127.0.0.1:{running_stack.env['RASA_PORT']}",
        "socket_path": "/socket.io/",
        "widget_version": package["version"],
        "visitor_id": proof.split(".")[0],
    }
    assert response.cookies["lq_vid"] == proof  # a cookieless browser gets its id here too
    assert response.headers["cache-control"] == "no-store"
    # A browser with the cookie is told its own id again.
    again = httpx.get(f"{site_url}/api/chat/config", cookies={"lq_vid": proof}, timeout=10)
    assert (again.json()["visitor_proof"], "set-cookie" in again.headers) == (proof, False)


def _track(site_url: str, env: dict[str, str], visitor_id: str, *events: tuple[str, str]) -> None:
    now = datetime.now(timezone.utc)
    body = {
        "visitor_id": visitor_id,
        "events": [
            {
                "id": str(uuid.uuid4()),
                "type": event_type,
                "url": f"http://127.0.0.1{path}",
                "occurred_at": (now - timedelta(minutes=len(events) - index)).isoformat().replace("+00:00", "Z"),
            }
            for index, (event_type, path) in enumerate(events)
        ],
    }
    response = httpx.post(f"{site_url}/track", json=body, headers=proof_cookie(visitor_id, env), timeout=10)
    assert response.status_code == 200, response.text


PRICING_VIEW = ("page_view", "/pricing")


@pytest.mark.parametrize(
    "events, is_lead, expected",
    [
        ([], False, {"open": False}),
        ([PRICING_VIEW] * 2, False, {"open": False}),
        ([PRICING_VIEW] * 3, False, {"open": True, "opening": "pricing_again"}),
        ([("demo_request", "/pricing")], False, {"open": True, "opening": "demo"}),
        ([PRICING_VIEW] * 3 + [("unsubscribe", "/")], False, {"open": False}),
        ([PRICING_VIEW] * 3, True, {"open": False}),
    ],
    ids=["new", "two-pricing-views", "third-pricing-view", "demo-request", "unsubscribed", "already-chatted"],
)
def test_opening_follows_the_behaviour_rules(site_url, running_stack, events, is_lead, expected):
    visitor_id = f"v-{uuid.uuid4()}"
    if events:
        _track(site_url, running_stack.env, visitor_id, *events)
    if is_lead:
        LeadStore.from_url(running_stack.env["DATABASE_URL"]).ensure_lead(visitor_id)
    response = httpx.get(
        f"{site_url}/api/visitor/{visitor_id}/opening", headers=proof_cookie(visitor_id, running_stack.env), timeout=10
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == expected  # the line to open with, never the score or its reasons


@pytest.mark.parametrize("caller", ["no-cookie", "other-visitor"])
def test_opening_reveals_nothing_to_another_caller(site_url, running_stack, caller):
    """A high-intent visitor's opening, asked by someone who is not that visitor."""
    visitor_id = f"v-{uuid.uuid4()}"
    _track(site_url, running_stack.env, visitor_id, *[PRICING_VIEW] * 3)
    headers = {} if caller == "no-cookie" else proof_cookie(f"v-{uuid.uuid4()}", running_stack.env)
    response = httpx.get(f"{site_url}/api/visitor/{visitor_id}/opening", headers=headers, timeout=10)
    assert response.status_code == 403
    assert response.json()["error"] == "visitor id not proven"
    assert not re.search(r"open\b|score|pricing|\d", response.text.replace(visitor_id, ""))


@pytest.mark.parametrize("visitor_id", ["short", "has space in it", "x" * 129, "semi;colon12"])
def test_opening_refuses_a_malformed_visitor_id(site_url, visitor_id):
    response = _get(site_url, f"/api/visitor/{quote(visitor_id, safe='')}/opening")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "visitor_id"

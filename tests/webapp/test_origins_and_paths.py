"""Origins and the Host header on the real web app: /track compares origins by scheme, host and
port against configured values only, the Host header never reaches a response header or the
chat config, and odd static paths are a 4xx, not a 500."""

from __future__ import annotations

import httpx
import pytest

from tests.support.servers import SITE_ORIGIN
from tests.webapp.test_tracking import an_event, error_fields, new_visitor, post, stored

EVIL = "evil.example.test"


@pytest.mark.parametrize(
    "origin", [SITE_ORIGIN + ":443", SITE_ORIGIN.upper().replace("HTTPS", "https"), SITE_ORIGIN + "/"]
)
def test_the_site_origin_however_written_may_post(webapp, origin):
    visitor = new_visitor()
    response = post(webapp, {"visitor_id": visitor, "events": [an_event()]}, "text/plain", Origin=origin, consent=True)
    assert response.status_code == 200, response.text
    assert len(stored(webapp, visitor)) == 1


@pytest.mark.parametrize("origin", [SITE_ORIGIN + ":8443", f"http://{EVIL}", "https://127.0.0.1:1"])
def test_an_origin_matching_a_forged_host_header_is_refused(webapp, origin):
    # The request claims to be for the attacker's own host: same-origin by the Host header.
    visitor = new_visitor()
    host = origin.split("//", 1)[1]
    response = post(webapp, {"visitor_id": visitor, "events": [an_event()]}, "text/plain", Origin=origin, Host=host)
    assert response.status_code == 403 and error_fields(response) == ["Origin"]
    assert stored(webapp, visitor) == []


@pytest.mark.parametrize("path", ["/", "/pricing", "/api/chat/config", "/track", "/static/tracker.js", "/nope"])
def test_the_host_header_is_never_echoed(webapp, path):
    response = httpx.get(f"{webapp.url}{path}", headers={"Host": f"{EVIL}:5005"})
    assert response.status_code < 500
    for name, value in response.headers.items():
        assert EVIL not in value, (name, value)
    assert EVIL not in response.text


def test_the_chat_config_names_a_configured_host(webapp):
    own = httpx.get(f"{webapp.url}/api/chat/config").json()["socket_url"]
    assert own.startswith("http://127.0.0.1:")  # the origin the page was loaded from
    forged = httpx.get(f"{webapp.url}/api/chat/config", headers={"Host": EVIL}).json()["socket_url"]
    assert forged == own  # PUBLIC_BASE_URL's host (the test server's own)


@pytest.mark.parametrize(
    "path, status",
    [
        ("/static/", 404),
        ("/assets/", 404),
        ("/static/tracker.js%00.png", 400),
        ("/assets/style.css%00", 400),
        ("/static/%2e%2e/%2e%2e/README.md", 404),
    ],
)
def test_odd_static_paths_are_a_4xx_not_a_500(webapp, path, status):
    response = httpx.get(f"{webapp.url}{path}")
    assert response.status_code == status, response.text
    assert "Traceback" not in response.text


def test_static_files_are_still_served(webapp):
    assert httpx.get(f"{webapp.url}/static/tracker.js").status_code == 200


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/meetings/9223372036854775808/invite.ics?token=x"),
        ("GET", "/meetings/-9223372036854775809/accept?token=x"),
        ("POST", "/meetings/99999999999999999999/decision"),
        ("GET", "/api/console/leads/9223372036854775808"),
    ],
)
def test_an_id_too_large_for_the_database_is_a_404(webapp, method, path):
    # Found by tests/webapp/test_fuzz.py: SQLite's driver raised OverflowError, a 500.
    response = httpx.request(method, f"{webapp.url}{path}", json={"decision": "accept", "token": "x"})
    assert response.status_code == 404, response.text

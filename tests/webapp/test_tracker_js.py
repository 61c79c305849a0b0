"""tracker.js in a real browser: headless Chromium loads a page of a site on another origin,
the tracker posts to the real web app, and the events are read back from its database.

The site (localhost:<port>) and the app (localhost:<other port>) are one site in the cookie
sense, as www.example.com and track.example.com are: the app's SameSite=Lax visitor cookie
travels with the tracker's requests. Its value is the visitor id and its proof."""

from __future__ import annotations

import functools
import shutil
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from leaddb import make_engine
from leaddb.events import visitor_events
from tests.support.servers import config_with, free_port, running_webapp

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"

PAGE = """<!doctype html>
<html><head><title>{title}</title>
<script src="{app}/static/tracker.js" defer></script></head>
<body>
  <a id="guide" href="#downloaded" data-track="content_download" data-track-title="ROI guide">ROI guide</a>
  <form id="contact" data-track="form_submit" onsubmit="return false">
    <input type="email" name="email" value="Ann@Rival.test"><button id="send">Send</button>
  </form>
  <a id="next" href="/careers.html">Careers</a>
</body></html>
"""


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def site_and_app(tmp_path):
    """A website on http://localhost:<port> whose pages load tracker.js from the app on
    http://127.0.0.1:<port>, a different origin that the app is configured to accept."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt install chromium)")
    site_port = free_port()
    site_origin = f"http://localhost:{site_port}"
    # These pages have no consent banner, and their site is not the app's (no shared cookies):
    # the operator of such a site asks for consent itself (tests/browser covers the banner).
    config_dir = config_with(tmp_path, privacy="tracking_waits_for_consent: false\n")
    with running_webapp(
        f"sqlite:///{tmp_path / 'leads.db'}", ALLOWED_ORIGINS=site_origin, LEADQUAL_CONFIG_DIR=str(config_dir)
    ) as app:
        pages = tmp_path / "site"
        pages.mkdir()
        app_url = app.url.replace("127.0.0.1", "localhost")
        for name, title in [("pricing.html", "Pricing"), ("careers.html", "Careers")]:
            (pages / name).write_text(PAGE.format(title=title, app=app_url))
        site = ThreadingHTTPServer(("127.0.0.1", site_port), functools.partial(QuietHandler, directory=str(pages)))
        threading.Thread(target=site.serve_forever, daemon=True).start()
        try:
            with sync_api.sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM,
                    headless=True,
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                )
                try:
                    yield site_origin, app, browser
                finally:
                    browser.close()
        finally:
            site.shutdown()
            site.server_close()


def visitor_cookie(context, timeout=15.0) -> dict:
    """The app's lq_vid cookie, once the tracker's first answer has set it."""
    deadline = time.monotonic() + timeout
    while True:
        cookies = [c for c in context.cookies() if c["name"] == "lq_vid"]
        if cookies or time.monotonic() > deadline:
            (cookie,) = cookies
            return cookie
        time.sleep(0.1)


def visitor_id_of(context) -> str:
    return visitor_cookie(context)["value"].split(".")[0]


def events_of(app, visitor_id, expected_count, timeout=15.0):
    engine = make_engine(app.database_url)
    try:
        deadline = time.monotonic() + timeout
        while True:
            events = visitor_events(engine, visitor_id)
            if len(events) >= expected_count or time.monotonic() > deadline:
                return events
            time.sleep(0.2)
    finally:
        engine.dispose()


def test_tracker_sends_page_views_custom_events_and_email_clicks(site_and_app):
    site_origin, app, browser = site_and_app
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site_origin}/pricing.html?utm_source=newsletter&utm_medium=email&utm_campaign=q3&lt_email=click")
    page.wait_for_function("window.leadTracker !== undefined")

    # The app's cookie: the visitor id with its proof, 60 days, SameSite=Lax, out of scripts' reach.
    cookie = visitor_cookie(context)
    visitor_id = cookie["value"].split(".")[0]
    assert cookie["value"].count(".") == 2
    assert cookie["sameSite"] == "Lax" and cookie["httpOnly"]
    assert time.time() + 59 * 86400 < cookie["expires"] < time.time() + 61 * 86400
    assert "lq_vid" not in page.evaluate("document.cookie")
    assert "visitorId" not in page.evaluate("Object.keys(leadTracker)")
    # lt_email is taken off the address, so a reload is not a second email click.
    assert "lt_email" not in page.url and "utm_campaign=q3" in page.url

    page.click("#guide")
    page.click("#send")
    assert page.evaluate("leadTracker.track('bogus_type')") is None
    page.evaluate("leadTracker.track('webinar_registration', {webinar: 'Q3 launch'})")
    page.click("#next")  # leaving the page sends what is queued
    page.wait_for_url("**/careers.html")
    page.wait_for_function("window.leadTracker !== undefined")

    events = events_of(app, visitor_id, expected_count=6)
    by_type = {event.type: event for event in events}
    assert sorted(by_type) == ["content_download", "email_click", "form_submit", "page_view", "webinar_registration"]
    assert len(events) == 6  # two page views

    views = [event for event in events if event.type == "page_view"]
    assert [view.url.split("?")[0] for view in views] == [f"{site_origin}/pricing.html", f"{site_origin}/careers.html"]
    # The campaign of the landing page is kept for the rest of the session.
    assert all(view.utm == {"source": "newsletter", "medium": "email", "campaign": "q3"} for view in views)
    assert by_type["email_click"].properties == {"campaign": "q3"}
    assert by_type["content_download"].properties["title"] == "ROI guide"
    assert by_type["form_submit"].properties["email_domain"] == "rival.test"
    assert "email" not in by_type["form_submit"].properties  # the domain only, never the address
    assert by_type["webinar_registration"].properties == {"webinar": "Q3 launch"}
    now = datetime.now(timezone.utc)
    assert all(now - timedelta(minutes=5) < event.occurred_at <= now for event in events)
    context.close()


def test_a_returning_visitor_keeps_the_id_and_the_chat_can_use_it(site_and_app):
    site_origin, app, browser = site_and_app
    context = browser.new_context()
    first = context.new_page()
    first.goto(f"{site_origin}/pricing.html")
    first.wait_for_function("window.leadTracker !== undefined")
    first.evaluate("leadTracker.flush()")
    visitor_id = visitor_id_of(context)
    first.close()

    again = context.new_page()
    again.goto(f"{site_origin}/pricing.html")
    again.wait_for_function("window.leadTracker !== undefined")
    again.evaluate("leadTracker.flush()")
    assert [event.type for event in events_of(app, visitor_id, expected_count=2)] == ["page_view", "page_view"]
    assert visitor_id_of(context) == visitor_id

    other_context = browser.new_context()  # another browser profile is another visitor
    other = other_context.new_page()
    other.goto(f"{site_origin}/pricing.html")
    other.wait_for_function("window.leadTracker !== undefined")
    other.evaluate("leadTracker.flush()")
    assert visitor_id_of(other_context) != visitor_id
    context.close()

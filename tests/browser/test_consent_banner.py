"""The consent banner in Chromium against the real stack: until the visitor accepts, tracker.js
sends nothing and nothing is stored; the choice is remembered, and "Privacy choices" changes it.
The chat works either way."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest

from leaddb import LeadStore
from leaddb.events import visitor_events

from .conftest import visitor_session

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

BANNER = "May we record your visit?"


@pytest.fixture
def newcomer(browser, site_url, rasa_api, request):
    """A visitor on a first visit: no choice made yet."""
    with visitor_session(browser, site_url, rasa_api, request.node.name, consented=False) as chat:
        yield chat


def _types(running_stack, visitor_id: str) -> list[str]:
    store = LeadStore.from_url(running_stack.env["DATABASE_URL"])
    try:
        return [event.type for event in visitor_events(store.engine, visitor_id)]
    finally:
        store.engine.dispose()


def _settled_types(running_stack, visitor, expected: int, timeout: float = 15) -> list[str]:
    """The visitor's stored event types once `expected` have arrived; with `expected` 0, after
    the tracker has had more than its send delay (one second) and a flush to send anything."""
    visitor.page.evaluate("() => window.leadTracker.flush()")
    deadline = time.monotonic() + (timeout if expected else 3)
    while True:
        types = _types(running_stack, visitor.visitor_id)
        if (expected and len(types) >= expected) or time.monotonic() > deadline:
            visitor.page.evaluate("() => 0")  # lets Playwright deliver the page's pending events
            return types
        time.sleep(0.3)


def _banner(visitor):
    return visitor.page.get_by_role("region", name=BANNER)


def _track_requests(visitor) -> list[str]:
    """Every request the page makes to /track from now on (the script's side of the promise;
    the server refuses such events as well)."""
    sent: list[str] = []
    visitor.page.on(
        "request", lambda request: sent.append(request.url) if urlsplit(request.url).path == "/track" else None
    )
    return sent


def test_nothing_is_stored_until_the_visitor_accepts(newcomer, running_stack):
    sent = _track_requests(newcomer)
    newcomer.visit("/pricing")
    banner = _banner(newcomer)
    assert banner.is_visible()
    assert _settled_types(running_stack, newcomer, 0) == []
    assert sent == []

    banner.get_by_role("button", name="Accept").click()
    assert not banner.is_visible()
    # The page view held back while the visitor chose is sent now.
    assert _settled_types(running_stack, newcomer, 1) == ["page_view"]  # /pricing: scored as a pricing view

    newcomer.visit("/product")  # remembered: no banner, tracked at once
    assert not _banner(newcomer).is_visible()
    assert _settled_types(running_stack, newcomer, 2) == ["page_view", "page_view"]
    cookies = {c["name"]: c for c in newcomer.page.context.cookies()}
    assert cookies["lq_consent"]["value"] == "granted" and cookies["lq_consent"]["sameSite"] == "Lax"
    assert newcomer.errors == []


def test_declining_stores_nothing_is_remembered_and_can_be_changed(newcomer, running_stack):
    sent = _track_requests(newcomer)
    newcomer.visit("/resources")
    _banner(newcomer).get_by_role("button", name="Decline").click()
    assert not _banner(newcomer).is_visible()
    with newcomer.page.expect_download():
        newcomer.page.get_by_role("link", name="Download the report (PDF)").click()
    newcomer.visit("/pricing")
    assert not _banner(newcomer).is_visible()
    assert _settled_types(running_stack, newcomer, 0) == []
    assert sent == []

    # The chat is the visitor's own doing: it works without consent.
    assert newcomer.open()

    # Changing the choice: the footer's button brings the banner back, keyboard first.
    newcomer.page.get_by_role("button", name="Privacy choices").click()
    banner = _banner(newcomer)
    assert banner.is_visible() and "You declined." in banner.inner_text()
    focused = newcomer.page.evaluate("() => document.activeElement.textContent")
    assert focused == "Accept"
    newcomer.page.keyboard.press("Enter")
    assert not banner.is_visible()
    newcomer.visit("/product")
    assert _settled_types(running_stack, newcomer, 1) == ["page_view"]
    assert newcomer.errors == []

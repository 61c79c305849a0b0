"""The chat opens by itself for a high-intent visitor (the third pricing view in a week), and
the first message tells the assistant why; a "Talk to sales" button opens it on request."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest

from leaddb import LeadStore
from leaddb.events import visitor_events

from .conftest import VISITOR_TIMEZONE

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_third_pricing_view_opens_the_chat_with_a_proactive_greeting(visitor, rasa_api):
    for _ in range(2):
        visitor.visit("/pricing")
        visitor.wait_for_launcher()  # shown after the opening check
        assert not visitor.is_open()
    visitor.visit("/pricing")
    visitor.page.wait_for_selector(".rw-conversation-container", timeout=60_000)
    visitor.wait_for_answer(user_turns=1)

    events = rasa_api.tracker(visitor.visitor_id)["events"]
    first = next(event for event in events if event["event"] == "user")
    assert first["text"] == "/greet"
    sent = {key: first["metadata"].get(key) for key in ("timezone", "page", "proactive_opening")}
    assert sent == {
        "timezone": VISITOR_TIMEZONE,
        "page": "/pricing",
        "proactive_opening": "pricing_again",
    }
    # The assistant's first line acknowledges the pricing views.
    greeting = next(event for event in events if event["event"] == "bot")
    assert greeting["metadata"]["utter_action"] == "utter_greet_pricing_again"
    assert visitor.bot_texts()[0] == greeting["text"]
    assert visitor.errors == []


def test_talk_to_sales_opens_the_chat_and_is_tracked(visitor, running_stack):
    visitor.visit("/pricing")
    visitor.page.get_by_role("button", name="Talk to sales").first.click()  # before the widget is up, too
    visitor.page.wait_for_selector(".rw-conversation-container", timeout=60_000)
    visitor.wait_for_answer(user_turns=1)
    assert visitor.bot_texts()

    store = LeadStore.from_url(running_stack.env["DATABASE_URL"])
    requests = [e for e in visitor_events(store.engine, visitor.visitor_id) if e.type == "demo_request"]
    assert len(requests) == 1 and requests[0].properties["plan"] == "growth"
    assert visitor.errors == []


def test_download_and_webinar_registration_are_tracked(visitor, running_stack):
    visitor.visit("/resources")
    with visitor.page.expect_download() as download:
        visitor.page.get_by_role("link", name="Download the report (PDF)").click()
    assert download.value.suggested_filename == "beacon-pipeline-benchmark-2025.pdf"

    visitor.visit("/webinar")
    visitor.page.get_by_role("button", name="Register").click()
    assert visitor.page.get_by_role("status").is_visible()

    store = LeadStore.from_url(running_stack.env["DATABASE_URL"])
    wanted = {"content_download", "webinar_registration"}
    deadline = time.monotonic() + 30
    while True:  # tracker.js sends within a second, or with a beacon when the page goes away
        events = {e.type: e for e in visitor_events(store.engine, visitor.visitor_id) if e.type in wanted}
        if set(events) == wanted or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert set(events) == wanted
    assert events["content_download"].properties["title"] == "Pipeline Benchmark 2025"
    assert urlsplit(events["webinar_registration"].url).path == "/webinar"
    assert visitor.errors == []

"""A visitor browses to pricing, qualifies as an SQL in the chat widget and books a meeting;
the lead, the conversation and the page views all carry the same visitor id."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from leaddb import LeadStore
from leaddb.events import visitor_events
from leaddb.leads import Lead
from leaddb.meetings import Meeting

from .conftest import VISITOR_TIMEZONE, visitor_session

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

PAGES_BROWSED = ["/", "/product", "/pricing"]
ANSWERS = [
    "Our reps lose track of deals and the quarterly forecast is always off",
    "we want something in place within the next month",
    "I'm the VP of Sales and the budget is mine",
    "around $40k a year",
    "Northwind Traders",
    "about 250 people",
    "Priya Raman",
    "priya.raman@northwind-traders.com",
    "wholesale food distribution",  # asked: in the US, a regulated industry goes to a specialist
]


@pytest.fixture(scope="module")
def sql_visitor(browser, site_url, rasa_api):
    """One conversation shared by this module's tests, in order: qualify, book, come back."""
    with visitor_session(browser, site_url, rasa_api, "sql_visitor") as chat:
        for path in PAGES_BROWSED:
            chat.visit(path)
        greeting = chat.open()
        assert greeting, "the assistant did not greet"
        for answer in ANSWERS:
            chat.say(answer)
        yield chat


def test_sql_lead_conversation_and_page_views_share_the_visitor_id(sql_visitor, rasa_api, running_stack):
    visitor_id = sql_visitor.visitor_id
    tracker = rasa_api.tracker(visitor_id)
    assert tracker["sender_id"] == visitor_id
    assert tracker["slots"]["lead_tier"] == "sql", sql_visitor.bot_texts()
    assert any("Priya" in text for text in sql_visitor.bot_texts())

    # Every message carried the visitor's timezone and page: the widget's customData, which
    # reaches Rasa as metadata with `metadata_key: customData` in credentials.yml.
    sent = [
        {key: (event.get("metadata") or {}).get(key) for key in ("timezone", "page")}
        for event in rasa_api.user_events(visitor_id)
    ]
    assert sent and all(metadata == {"timezone": VISITOR_TIMEZONE, "page": "/pricing"} for metadata in sent), sent

    store = LeadStore.from_url(running_stack.env["DATABASE_URL"])
    lead = store.get_lead(visitor_id)
    assert lead is not None and lead["tier"] == "sql"
    assert lead["email"] == "priya.raman@northwind-traders.com"

    page_views = [e for e in visitor_events(store.engine, visitor_id) if e.type == "page_view"]
    assert [urlsplit(e.url).path for e in page_views] == PAGES_BROWSED
    assert sql_visitor.errors == []


def test_sql_visitor_books_a_slot_and_sees_it_in_local_time(sql_visitor, rasa_api, running_stack):
    slots = [title for title in sql_visitor.reply_buttons() if title != "Other times"]
    if not slots:
        pytest.skip(
            "the assistant offered no slot buttons after qualifying (booking integration, issue 4); "
            f"its last messages: {sql_visitor.bot_texts()[-2:]}"
        )
    replies = sql_visitor.pick(slots[0])
    confirmation = next((text for text in replies if "booked" in text.lower()), None)
    assert confirmation, replies
    sql_visitor.screenshot("chat-booked")  # the README's screenshot (docs/screenshot-chat.png)

    visitor_id = sql_visitor.visitor_id
    meeting_start = datetime.fromisoformat(rasa_api.tracker(visitor_id)["slots"]["meeting_start"])
    local = meeting_start.astimezone(ZoneInfo(VISITOR_TIMEZONE))
    shown = f"{local:%H:%M}"
    assert shown in slots[0] and shown in confirmation and local.tzname() in confirmation, (local, confirmation)

    store = LeadStore.from_url(running_stack.env["DATABASE_URL"])
    with store.session() as session:
        starts = (
            session.execute(
                select(Meeting.start).join(Lead, Meeting.lead_id == Lead.id).where(Lead.visitor_id == visitor_id)
            )
            .scalars()
            .all()
        )
    assert starts == [meeting_start]
    assert store.get_lead(visitor_id)["timezone"] == VISITOR_TIMEZONE
    assert sql_visitor.errors == []


def test_the_conversation_is_still_there_on_the_next_page(sql_visitor, rasa_api):
    before = sql_visitor.bot_texts()
    sql_visitor.visit("/product")
    sql_visitor.wait_for_launcher()
    if not sql_visitor.is_open():
        sql_visitor.page.click(".rw-launcher")
    sql_visitor.wait_for_bot_messages(len(before))
    assert sql_visitor.bot_texts() == before
    assert rasa_api.tracker(sql_visitor.visitor_id)["sender_id"] == sql_visitor.visitor_id
    assert sql_visitor.errors == []

"""What a visitor did on the site changes how the assistant greets and decides."""

import uuid
from datetime import timedelta

from rasa_sdk.events import SlotSet

from actions.conversation import ActionGreet, ActionQualify
from leaddb import utcnow
from leaddb.events import TrackedEvent, ingest_events
from tests.actions.conftest import simple_tracker

# Identical answers: 15 + 15 + 18 + 4 - 10 = 42 points, an MQL on answers alone.
ANSWERS = {
    "need": {"need": "one view of the pipeline"},
    "authority": {"authority": "influencer"},
    "timeline": {"timeline_days": 60, "timeline_open_ended": False},
    "company_size": {"company_size": 20},
    "email": {"email": "kim@gmail.com", "email_domain": "gmail.com", "email_is_free_mail": True},
}


def _track(store, visitor, *types):
    now = utcnow()
    events = [
        TrackedEvent(
            str(uuid.uuid4()),
            visitor,
            kind,
            now - timedelta(hours=len(types) - i),
            url="https://beacon.example/pricing" if kind == "pricing_view" else "https://beacon.example/",
        )
        for i, kind in enumerate(types)
    ]
    ingest_events(store.engine, events)


async def test_a_third_pricing_visit_is_greeted_for_it(dispatcher, domain, lead_db):
    _track(lead_db, "keen", "pricing_view", "pricing_view", "pricing_view")
    await ActionGreet().run(dispatcher, simple_tracker(sender="keen"), domain)
    await ActionGreet().run(dispatcher, simple_tracker(sender="stranger"), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_greet_pricing_again", "utter_greet"]


async def test_same_answers_different_history_different_tier(dispatcher, domain, lead_db):
    for visitor in ("keen", "quiet"):
        for slot, fields in ANSWERS.items():
            lead_db.record_answer(visitor, slot, "…", fields)
    _track(lead_db, "keen", "pricing_view", "pricing_view", "pricing_view", "webinar_attendance")

    keen = await ActionQualify().run(dispatcher, simple_tracker(sender="keen"), domain)
    quiet = await ActionQualify().run(dispatcher, simple_tracker(sender="quiet"), domain)
    assert (keen, quiet) == ([SlotSet("lead_tier", "sql")], [SlotSet("lead_tier", "mql")])
    reasons = lead_db.get_lead("keen")["reasons"]
    assert any("pricing" in reason for reason in reasons), reasons

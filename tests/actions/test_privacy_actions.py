"""action_request_data on built trackers and a real lead database: the link goes to the typed
address or the lead's, the visitor is asked for one otherwise, and the chat shows no data."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from sqlalchemy import select

from actions.privacy import ActionRequestData
from leaddb.data_requests import DataRequest
from leaddb.outbox import OutboxMessage

from .conftest import form_turn


def _tracker(text: str, intent: str, slots=None) -> Tracker:
    return Tracker(
        "visitor-1", slots or {}, {"text": text, "intent": {"name": intent}, "entities": []}, [], False, None, {}, ""
    )


def _queued(lead_db) -> list[tuple[str, str]]:
    with lead_db.session() as session:
        targets = {m.target for m in session.execute(select(OutboxMessage)).scalars()}
        return sorted((r.kind, r.email) for r in session.execute(select(DataRequest)).scalars() if r.email in targets)


async def test_the_link_goes_to_the_address_on_the_lead(dispatcher, domain, lead_db):
    lead_db.record_answer("visitor-1", "email", "ann@kestrel.example", {"email": "ann@kestrel.example"})
    events = await ActionRequestData().run(dispatcher, _tracker("delete my stuff", "request_data_erasure"), domain)
    assert events == [SlotSet("data_request", None), SlotSet("data_request_email_asked", False)]
    assert _queued(lead_db) == [("erase", "ann@kestrel.example")]
    [message] = dispatcher.messages
    assert message["response"] == "utter_data_erase_link_sent" and message["hours"] == 24
    assert "ann@" not in str(message)


async def test_without_an_address_it_asks_and_the_answer_sends_the_link(dispatcher, domain, lead_db):
    asked = await ActionRequestData().run(dispatcher, _tracker("what do you have on me", "request_data_export"), domain)
    assert asked == [SlotSet("data_request", "export"), SlotSet("data_request_email_asked", True)]
    assert _queued(lead_db) == []

    not_one = await ActionRequestData().run(dispatcher, _tracker("ben at kestrel", "inform", asked_slots()), domain)
    assert not_one == asked
    assert dispatcher.messages[1]["response"] == "utter_hint_data_request_email"
    assert "@" in dispatcher.messages[1]["email_problem"]

    await ActionRequestData().run(dispatcher, _tracker("ben@kestrel.example", "inform", asked_slots()), domain)
    assert _queued(lead_db) == [("export", "ben@kestrel.example")]
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_ask_data_request_email",
        "utter_hint_data_request_email",
        "utter_data_export_link_sent",
    ]


def asked_slots() -> dict:
    return {"data_request": "export", "data_request_email_asked": True}


async def test_inside_the_form_a_need_that_reads_like_an_erasure_is_stored_as_the_need(dispatcher, domain, lead_db):
    text = "get rid of manual data entry for our sdrs"
    tracker = form_turn(text, {}, "need", intent="request_data_erasure")
    events = await ActionRequestData().run(dispatcher, tracker, domain)
    assert SlotSet("need", text) in events and events[-1] == FollowupAction("qualification_form")
    assert lead_db.get_lead("visitor-1")["need"] == text and _queued(lead_db) == []


async def test_inside_the_form_a_real_erasure_request_is_a_data_request(dispatcher, domain, lead_db):
    tracker = form_turn("please delete my data", {}, "need", intent="request_data_erasure")
    events = await ActionRequestData().run(dispatcher, tracker, domain)
    assert SlotSet("data_request_email_asked", True) in events
    assert (lead_db.get_lead("visitor-1") or {}).get("need") is None

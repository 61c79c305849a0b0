"""Booking inside the chat and nurture, through the real roster, slots and lead database."""

from datetime import datetime, timedelta, timezone

import pytest
from rasa_sdk import Tracker

from actions import services
from actions.booking import ActionBookMeeting, ActionEnrolNurture, ActionOfferMeeting, ActionRequestCallback
from handoff import MeetingTime, current_offer, open_times, record_offer
from tests.actions.test_conversation_actions import SQL_ANSWERS


def tracker(slots=None, text="", intent="inform", entities=(), zone="Europe/Lisbon", sender="visitor-1"):
    events = [{"event": "user", "text": "hi", "metadata": {"timezone": zone} if zone else {}}]
    return Tracker(
        sender,
        {"lead_tier": "sql", **(slots or {})},
        {"text": text, "intent": {"name": intent}, "entities": list(entities)},
        events,
        False,
        None,
        {},
        "action_listen",
    )


@pytest.fixture
def sql_lead(lead_db):
    for sender in ("visitor-1", "visitor-2"):
        for slot, fields in SQL_ANSWERS.items():
            lead_db.record_answer(sender, slot, "…", fields)
        lead_db.record_decision(sender, "sql", 90, ["score 90"], [])
    return lead_db


def _slots(events):
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def _offer(dispatcher, domain, **kwargs):
    slots = _slots(await ActionOfferMeeting().run(dispatcher, tracker(**kwargs), domain))
    return slots, dispatcher.messages[-1]


async def test_an_sql_is_routed_and_offered_three_times_in_local_time(dispatcher, domain, sql_lead):
    slots, message = await _offer(dispatcher, domain)
    assert slots["assigned_rep"] and len(slots["offered_slots"]) == 3
    assert message["response"] == "utter_offer_slots" and message["zone_label"] == "your local time"
    assert [b["title"] for b in message["buttons"]][-1] == "Other times"
    starts = [datetime.fromisoformat(p) for p in slots["offered_slots"]]
    assert starts == sorted(starts) and all(s > datetime.now(timezone.utc) for s in starts)
    assert sql_lead.get_lead("visitor-1")["timezone"] == "Europe/Lisbon"


async def test_without_a_timezone_the_zone_is_stated(dispatcher, domain, sql_lead):
    _, message = await _offer(dispatcher, domain, zone=None)
    assert message["zone_label"].startswith("times in ")


async def test_other_times_come_after_the_ones_offered(dispatcher, domain, sql_lead):
    first, _ = await _offer(dispatcher, domain)
    more, _ = await _offer(dispatcher, domain, slots=first, intent="more_slots")
    assert min(more["offered_slots"]) > max(first["offered_slots"])


async def test_picking_a_time_books_it_and_a_second_visitor_gets_fresh_times(dispatcher, domain, sql_lead):
    offered, _ = await _offer(dispatcher, domain)
    # The same times shown to visitor-2 too (as if both looked at once).
    shown = [MeetingTime(datetime.fromisoformat(p), datetime.fromisoformat(p)) for p in offered["offered_slots"]]
    record_offer(sql_lead, "visitor-2", offered["assigned_rep"], shown, datetime.now(timezone.utc))
    pick = offered["offered_slots"][0]
    entities = [{"entity": "slot_start", "value": pick}]
    booked = _slots(
        await ActionBookMeeting().run(dispatcher, tracker(offered, intent="choose_slot", entities=entities), domain)
    )
    start = datetime.fromisoformat(booked["meeting_start"])
    assert start.utcoffset() is not None and start == datetime.fromisoformat(pick)
    confirmation = dispatcher.messages[-1]
    assert confirmation["response"] == "utter_meeting_booked" and "/invite.ics?token=" in confirmation["invite_url"]
    assert sql_lead.get_lead("visitor-1")["stage"] == "meeting_booked"

    other = _slots(
        await ActionBookMeeting().run(
            dispatcher, tracker(offered, intent="choose_slot", entities=entities, sender="visitor-2"), domain
        )
    )
    assert [m["response"] for m in dispatcher.messages[-2:]] == ["utter_slot_taken", "utter_offer_slots"]
    assert pick not in other["offered_slots"]


async def test_a_time_never_offered_is_refused(dispatcher, domain, sql_lead):
    offered, _ = await _offer(dispatcher, domain)
    night = (datetime.now(timezone.utc) + timedelta(days=3)).replace(hour=3, minute=17, second=0, microsecond=0)
    entities = [{"entity": "slot_start", "value": night.isoformat()}]
    events = await ActionBookMeeting().run(
        dispatcher, tracker(offered, intent="choose_slot", entities=entities), domain
    )
    assert "meeting_start" not in _slots(events)
    assert [m["response"] for m in dispatcher.messages[-2:]] == ["utter_slot_not_offered", "utter_offer_slots"]


@pytest.mark.parametrize("payload", ["not a date", "2026-13-45T99:00", "2027-01-05T10:00:00"])
async def test_a_malformed_time_payload_is_not_understood(dispatcher, domain, sql_lead, payload):
    offered, _ = await _offer(dispatcher, domain)
    entities = [{"entity": "slot_start", "value": payload}]
    await ActionBookMeeting().run(dispatcher, tracker(offered, intent="choose_slot", entities=entities), domain)
    assert dispatcher.messages[-2]["response"] == "utter_slot_not_understood"


async def test_typing_the_second_one_books_the_second_offer(dispatcher, domain, sql_lead):
    offered, _ = await _offer(dispatcher, domain)
    booked = _slots(
        await ActionBookMeeting().run(
            dispatcher, tracker(offered, text="the second one works", intent="choose_slot"), domain
        )
    )
    assert datetime.fromisoformat(booked["meeting_start"]) == datetime.fromisoformat(offered["offered_slots"][1])


async def _book_first_offer(dispatcher, domain, **kwargs):
    offered, _ = await _offer(dispatcher, domain, **kwargs)
    entities = [{"entity": "slot_start", "value": offered["offered_slots"][0]}]
    booked = _slots(
        await ActionBookMeeting().run(
            dispatcher, tracker(offered, intent="choose_slot", entities=entities, **kwargs), domain
        )
    )
    return offered, booked


async def test_a_visitor_back_after_booking_is_greeted_as_booked_and_not_qualified_again(dispatcher, domain, sql_lead):
    from actions.conversation import ActionGreet, ActionQualify

    await _book_first_offer(dispatcher, domain)
    decisions_before = len(sql_lead.decisions("visitor-1"))
    await ActionGreet().run(dispatcher, tracker(text="hello again", intent="greet"), domain)
    assert dispatcher.messages[-1]["response"] == "utter_greet_booked"
    assert [b["payload"] for b in dispatcher.messages[-1]["buttons"]] == ["/more_slots"]

    told = len(dispatcher.messages)
    events = await ActionQualify().run(dispatcher, tracker(text="hello again", intent="greet"), domain)
    assert _slots(events) == {"lead_tier": "sql"}
    assert len(sql_lead.decisions("visitor-1")) == decisions_before  # no second decision
    assert await ActionOfferMeeting().run(dispatcher, tracker(intent="greet"), domain) == []
    assert len(dispatcher.messages) == told  # no new times pushed at a booked visitor


async def test_a_booked_visitor_can_move_the_meeting(dispatcher, domain, sql_lead):
    offered, booked = await _book_first_offer(dispatcher, domain)
    more, _ = await _offer(dispatcher, domain, slots={**offered, **booked}, intent="more_slots")
    new_pick = next(p for p in more["offered_slots"] if p != booked["meeting_start"])
    entities = [{"entity": "slot_start", "value": new_pick}]
    moved = _slots(
        await ActionBookMeeting().run(
            dispatcher, tracker({**booked, **more}, intent="choose_slot", entities=entities), domain
        )
    )
    assert datetime.fromisoformat(moved["meeting_start"]) == datetime.fromisoformat(new_pick)
    statuses = sorted(m["status"] for m in sql_lead.meetings("visitor-1"))
    assert statuses == ["booked", "cancelled"]  # the old time is freed, never two meetings


async def test_booking_eligibility_is_read_from_the_lead_database_not_the_slots(dispatcher, domain, lead_db):
    # A client that sets lead_tier=sql itself (slots are client-settable over REST) books nothing.
    lead_db.record_decision("visitor-1", "mql", 40, ["score 40"], [])
    events = await ActionBookMeeting().run(
        dispatcher, tracker({"lead_tier": "sql", "assigned_rep": "priya.shah"}, intent="choose_slot"), domain
    )
    assert events == [] and dispatcher.messages[-1]["response"] == "utter_cannot_book_yet"


# -- the booking gate (issue 9 item 4, issue 8 point 6): only offered times, only a stored SQL --


def _choose(offered_slots, pick, **kwargs):
    """A crafted /choose_slot turn: the client sends whatever slots and payload it likes."""
    entities = [{"entity": "slot_start", "value": pick}]
    return tracker(offered_slots, intent="choose_slot", entities=entities, **kwargs)


async def test_an_open_time_that_was_not_offered_to_this_visitor_is_refused(dispatcher, domain, sql_lead):
    offered, _ = await _offer(dispatcher, domain)
    shown = [datetime.fromisoformat(p) for p in offered["offered_slots"]]
    # The rep's next open time after the three shown: bookable, but never offered to visitor-1.
    [unshown] = open_times(
        services.roster(), offered["assigned_rep"], sql_lead, datetime.now(timezone.utc), 1, shown[-1]
    )
    # The client also lists it among the "offered" slots: the lead database is what counts.
    crafted = {**offered, "offered_slots": [*offered["offered_slots"], unshown.payload]}
    events = await ActionBookMeeting().run(dispatcher, _choose(crafted, unshown.payload), domain)

    assert "meeting_start" not in _slots(events) and sql_lead.meetings("visitor-1") == []
    assert [m["response"] for m in dispatcher.messages[-2:]] == ["utter_slot_not_offered", "utter_offer_slots"]
    assert _slots(events)["offered_slots"] == offered["offered_slots"]  # the current offer again


async def test_an_offered_time_books_with_the_rep_it_was_offered_for(dispatcher, domain, sql_lead):
    offered, _ = await _offer(dispatcher, domain)
    more, _ = await _offer(dispatcher, domain, slots=offered, intent="more_slots")
    pick = offered["offered_slots"][1]  # from the earlier offer: still a time shown to this visitor
    other_rep = next(r for r in ("anna.schmidt", "kenji.tan") if r != offered["assigned_rep"])
    crafted = {"assigned_rep": other_rep, "offered_slots": ["garbage"]}  # slots the client tampered with
    booked = _slots(await ActionBookMeeting().run(dispatcher, _choose(crafted, pick), domain))

    assert datetime.fromisoformat(booked["meeting_start"]) == datetime.fromisoformat(pick)
    assert booked["assigned_rep"] == offered["assigned_rep"]
    [meeting] = sql_lead.meetings("visitor-1")
    assert meeting["rep_id"] == offered["assigned_rep"] and meeting["start"] == datetime.fromisoformat(pick)


async def test_the_assigned_rep_slot_does_not_choose_whose_times_are_offered(dispatcher, domain, sql_lead):
    offered, _ = await _offer(dispatcher, domain)  # routed and stored: this visitor's rep
    other_rep = next(r for r in ("anna.schmidt", "kenji.tan") if r != offered["assigned_rep"])
    _, message = await _offer(dispatcher, domain, slots={"assigned_rep": other_rep})
    assert message["rep_name"] == services.roster().reps[offered["assigned_rep"]].name
    assert current_offer(sql_lead, "visitor-1").rep_id == offered["assigned_rep"]


@pytest.mark.parametrize("stored", ["mql", "no decision"])
async def test_a_lead_the_database_does_not_call_sql_sees_no_times_and_books_nothing(
    dispatcher, domain, lead_db, stored
):
    # The client claims lead_tier=sql and a rep (tracker() sets the slot); the lead row disagrees.
    if stored == "mql":
        lead_db.record_decision("visitor-1", "mql", 40, ["score 40"], [])
    else:
        lead_db.ensure_lead("visitor-1")
    claimed = {"lead_tier": "sql", "assigned_rep": "priya.shah"}
    events = await ActionOfferMeeting().run(dispatcher, tracker(claimed), domain)
    assert events == [] and [m["response"] for m in dispatcher.messages] == ["utter_cannot_book_yet"]
    assert current_offer(lead_db, "visitor-1") is None

    # Times that would be bookable for the rep, sent as the payload: still nothing booked.
    rep_times = open_times(services.roster(), "priya.shah", lead_db, datetime.now(timezone.utc))
    events = await ActionBookMeeting().run(dispatcher, _choose(claimed, rep_times[0].payload), domain)
    assert events == [] and dispatcher.messages[-1]["response"] == "utter_cannot_book_yet"
    assert lead_db.meetings("visitor-1") == [] and not any(m["buttons"] for m in dispatcher.messages)


@pytest.mark.parametrize(
    "payload",
    [
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "9999-12-31T23:59:59+00:00",
        "0001-01-01T00:00:00Z",
        "\ud800",
        "2026-12-03T10:00:00+00:00" * 20,
        "garbage",
        20261203,
    ],
)
async def test_a_hostile_payload_date_gets_a_polite_reply_and_no_crash(dispatcher, domain, sql_lead, payload):
    offered, _ = await _offer(dispatcher, domain)
    events = await ActionBookMeeting().run(dispatcher, _choose(offered, payload), domain)
    assert [m["response"] for m in dispatcher.messages[-2:]] == ["utter_slot_not_understood", "utter_offer_slots"]
    assert _slots(events)["offered_slots"] == offered["offered_slots"]
    assert sql_lead.meetings("visitor-1") == []


async def test_declining_every_time_records_a_callback(dispatcher, domain, sql_lead):
    await ActionRequestCallback().run(dispatcher, tracker(), domain)
    assert sql_lead.get_lead("visitor-1")["handoff_requested_at"] is not None
    told = dispatcher.messages[-1]
    assert told["response"] == "utter_callback_noted" and told["who"] and told["when"]


async def test_an_mql_is_enrolled_and_offered_content(dispatcher, domain, lead_db):
    lead_db.record_answer("visitor-1", "need", "…", {"need": "understand our pipeline reporting"})
    lead_db.record_decision("visitor-1", "mql", 40, ["score 40"], [])
    await ActionEnrolNurture().run(dispatcher, tracker({"lead_tier": "mql"}), domain)
    message = dispatcher.messages[-1]
    assert message["response"] == "utter_tier_mql" and message["content_links"].startswith("- ")
    assert lead_db.get_lead("visitor-1")["stage"] == "nurture"


async def test_a_student_is_closed_and_kept_out_of_nurture(dispatcher, domain, lead_db):
    lead_db.record_answer("visitor-1", "authority", "student", {"authority": "none"})
    lead_db.record_decision("visitor-1", "unqualified", 0, ["disqualified"], [])
    await ActionEnrolNurture().run(dispatcher, tracker({"lead_tier": "unqualified"}), domain)
    assert dispatcher.messages[-1]["response"] == "utter_tier_unqualified"
    assert lead_db.get_lead("visitor-1")["stage"] == "unqualified"


@pytest.mark.parametrize("intent", ["nlu_fallback", "out_of_scope"])
async def test_an_unclear_none_of_these_after_the_offer_asks_a_person(dispatcher, domain, sql_lead, intent):
    from actions.booking import ActionUnclearMessage

    offered, _ = await _offer(dispatcher, domain)
    await ActionUnclearMessage().run(
        dispatcher, tracker(offered, text="none of these times work for me", intent=intent), domain
    )
    assert dispatcher.messages[-1]["response"] == "utter_callback_noted"
    assert sql_lead.get_lead("visitor-1")["handoff_requested_at"] is not None


async def test_an_unclear_pick_after_the_offer_books_it(dispatcher, domain, sql_lead):
    from actions.booking import ActionUnclearMessage

    offered, _ = await _offer(dispatcher, domain)
    booked = _slots(
        await ActionUnclearMessage().run(dispatcher, tracker(offered, text="2nd pls", intent="nlu_fallback"), domain)
    )
    assert datetime.fromisoformat(booked["meeting_start"]) == datetime.fromisoformat(offered["offered_slots"][1])


async def test_an_unclear_message_without_an_open_offer_gets_the_plain_reply(dispatcher, domain, lead_db):
    from actions.booking import ActionUnclearMessage

    await ActionUnclearMessage().run(dispatcher, tracker(text="none of these work", intent="nlu_fallback"), domain)
    assert dispatcher.messages[-1]["response"] == "utter_default"
    assert (lead_db.get_lead("visitor-1") or {}).get("handoff_requested_at") is None


async def test_a_second_nurture_step_in_one_conversation_does_not_repeat_the_links(dispatcher, domain, lead_db):
    lead_db.record_decision("visitor-1", "mql", 40, ["score 40"], [])
    first = tracker(slots={"lead_tier": "mql"})
    await ActionEnrolNurture().run(dispatcher, first, domain)
    said = dispatcher.messages[-1]["response"]
    assert said == "utter_tier_mql"
    later = tracker(slots={"lead_tier": "mql"})
    later.events.append({"event": "bot", "text": "…", "metadata": {"utter_action": said}})
    await ActionEnrolNurture().run(dispatcher, later, domain)
    assert dispatcher.messages[-1]["response"] == "utter_nurture_noted"


async def test_a_gmail_visitor_whose_company_answer_is_an_owned_domain_is_routed_to_its_owner(
    dispatcher, domain, lead_db
):
    # Shipped config: hudson-health.example is James Carter's account and a healthcare domain.
    answers = {
        **SQL_ANSWERS,
        "email": {"email": "sam@gmail.com", "email_domain": "gmail.com", "email_is_free_mail": True},
        "company": {"company": "Https://www.hudson-health.example/about"},  # as parse_company_name keeps it
    }
    for slot, fields in answers.items():
        lead_db.record_answer("visitor-3", slot, "…", fields)
    lead_db.record_decision("visitor-3", "sql", 90, ["score 90"], [])
    slots, _ = await _offer(dispatcher, domain, sender="visitor-3")
    assert slots["assigned_rep"] == "james.carter"
    lead = lead_db.get_lead("visitor-3")  # stored before routing
    assert (lead["company_domain"], lead["industry"], lead["industry_source"]) == (
        "hudson-health.example",
        "healthcare",
        "domain table",
    )


async def test_a_booked_visitor_who_asks_to_move_it_gets_the_reps_other_times_not_the_form(
    dispatcher, domain, sql_lead
):
    from actions.conversation import ActionAcknowledgeRequest, ActionQualify
    from actions.form import ValidateQualificationForm

    _, booked = await _book_first_offer(dispatcher, domain)
    ask = "can we move it to a later time?"
    told = len(dispatcher.messages)
    # Read as a demo request, the rule acknowledges and starts the form: neither asks anything.
    await ActionAcknowledgeRequest().run(dispatcher, tracker(text=ask, intent="request_demo"), domain)
    assert len(dispatcher.messages) == told
    required = await ValidateQualificationForm().required_slots(
        ["need", "timeline"], dispatcher, tracker(text=ask, intent="request_demo"), domain
    )
    assert required == []
    events = await ActionQualify().run(dispatcher, tracker(text=ask, intent="request_demo"), domain)
    assert dispatcher.messages[-1]["response"] == "utter_offer_slots"
    assert booked["meeting_start"] not in _slots(events)["offered_slots"]
    assert _slots(events)["lead_tier"] == "sql"


async def test_a_demo_request_without_a_meeting_is_acknowledged(dispatcher, domain, lead_db):
    from actions.conversation import ActionAcknowledgeRequest

    await ActionAcknowledgeRequest().run(dispatcher, tracker(text="can i get a demo", intent="request_demo"), domain)
    assert dispatcher.messages[-1]["response"] == "utter_demo_ack"


async def test_a_booked_visitor_without_an_address_is_not_told_an_email_was_sent(dispatcher, domain, lead_db):
    from actions.conversation import ActionGreet

    for slot, fields in SQL_ANSWERS.items():
        if slot != "email":
            lead_db.record_answer("visitor-1", slot, "…", fields)
    lead_db.record_decision("visitor-1", "sql", 90, ["score 90"], [])
    offered, _ = await _offer(dispatcher, domain)
    entities = [{"entity": "slot_start", "value": offered["offered_slots"][0]}]
    await ActionBookMeeting().run(dispatcher, tracker(offered, intent="choose_slot", entities=entities), domain)
    await ActionGreet().run(dispatcher, tracker(text="hello again", intent="greet"), domain)
    assert dispatcher.messages[-1]["response"] == "utter_greet_booked_no_email"


@pytest.mark.parametrize("intent", ["nlu_fallback", "out_of_scope"])
async def test_a_booked_visitor_asking_to_move_it_in_words_nlu_cannot_place_gets_other_times(
    dispatcher, domain, sql_lead, intent
):
    from actions.booking import ActionUnclearMessage

    _, booked = await _book_first_offer(dispatcher, domain)
    events = await ActionUnclearMessage().run(
        dispatcher, tracker(text="move it to next week please", intent=intent), domain
    )
    assert dispatcher.messages[-1]["response"] == "utter_offer_slots"
    assert booked["meeting_start"] not in _slots(events)["offered_slots"]

"""The decision action and the interruption actions."""

from rasa_sdk.events import SlotSet

from actions.conversation import ActionExplainWhy, ActionQualify, ActionRequestHuman, ActionStopQualifying
from tests.actions.conftest import simple_tracker

SQL_ANSWERS = {
    "need": {"need": "reps drown in manual data entry"},
    "timeline": {"timeline_days": 20, "timeline_open_ended": False},
    "authority": {"authority": "decision_maker"},
    "budget": {"budget_amount": 60000.0, "budget_currency": "USD", "budget_period": None},
    "company_size": {"company_size": 250},
    "email": {"email": "sam@fabrikam.com", "email_domain": "fabrikam.com", "email_is_free_mail": False},
}


async def test_qualify_decides_from_the_stored_answers(dispatcher, domain, lead_db):
    for slot, fields in SQL_ANSWERS.items():
        lead_db.record_answer("visitor-1", slot, "…", fields)
    tracker = simple_tracker({"person_name": "Sam Carter", "email": "sam@fabrikam.com"})
    events = await ActionQualify().run(dispatcher, tracker, domain)
    assert events == [SlotSet("lead_tier", "sql")]
    [message] = dispatcher.messages
    assert message["response"] == "utter_tier_sql" and message["person_name"] == "Sam"
    lead = lead_db.get_lead("visitor-1")
    assert lead["tier"] == "sql" and lead["score"] > 60 and lead["reasons"]


async def test_qualify_a_student_is_unqualified(dispatcher, domain, lead_db):
    lead_db.record_answer("visitor-1", "authority", "student", {"authority": "none"})
    events = await ActionQualify().run(dispatcher, simple_tracker({"authority": "none"}), domain)
    assert events == [SlotSet("lead_tier", "unqualified")]
    assert dispatcher.messages == []  # the nurture action that follows closes politely


async def test_mql_hears_nothing_from_the_decision_itself(dispatcher, domain, lead_db):
    # The nurture action that follows speaks for MQLs and unqualified visitors.
    lead_db.record_answer("visitor-1", "need", "…", {"need": "better forecasts"})
    lead_db.record_answer("visitor-1", "authority", "…", {"authority": "influencer"})
    events = await ActionQualify().run(dispatcher, simple_tracker({}), domain)
    assert events == [SlotSet("lead_tier", "mql")]  # need 15 + influencer 15 = the MQL threshold
    assert dispatcher.messages == []


async def test_explain_why_names_the_pending_question(dispatcher, domain):
    await ActionExplainWhy().run(dispatcher, simple_tracker({"requested_slot": "budget"}), domain)
    await ActionExplainWhy().run(dispatcher, simple_tracker({}), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_why_budget", "utter_why_general"]


async def test_a_second_why_about_the_same_question_moves_on_instead_of_asking_a_third_time(
    dispatcher, domain, lead_db
):
    first = simple_tracker({"requested_slot": "email"}, text="why my email?", active_loop="qualification_form")
    events = await ActionExplainWhy().run(dispatcher, first, domain)
    counts = next(e["value"] for e in events if e["name"] == "reask_counts")
    assert counts == {"email": 1} and dispatcher.messages[-1]["response"] == "utter_why_email"
    second = simple_tracker(
        {"requested_slot": "email", "reask_counts": counts}, text="but why though?", active_loop="qualification_form"
    )
    events = await ActionExplainWhy().run(dispatcher, second, domain)
    assert {e["name"]: e["value"] for e in events}["email"] == "unknown"
    assert dispatcher.messages[-1]["response"] == "utter_moving_on"


async def test_handoff_request_is_stored(dispatcher, domain, lead_db):
    tracker = simple_tracker(
        {"requested_slot": "budget"}, text="let me talk to a human", active_loop="qualification_form"
    )
    await ActionRequestHuman().run(dispatcher, tracker, domain)
    assert lead_db.get_lead("visitor-1")["handoff_requested_at"] is not None
    assert dispatcher.messages[0]["response"] == "utter_handoff_noted"


async def test_stop_keeps_what_was_said(dispatcher, domain, lead_db):
    lead_db.record_answer("visitor-1", "need", "fix reporting", {"need": "fix reporting"})
    events = await ActionStopQualifying().run(dispatcher, simple_tracker({}, text="stop"), domain)
    assert events == [SlotSet("requested_slot", None)]
    lead = lead_db.get_lead("visitor-1")
    assert lead["stage"] == "stopped" and lead["need"] == "fix reporting"


async def test_a_company_that_reads_as_asking_for_a_person_goes_back_to_the_form(dispatcher, domain, lead_db):
    from actions.conversation import ActionRequestHuman

    company_asked = simple_tracker({"requested_slot": "company"}, text="Northwind Supply Partners")
    company_asked.active_loop = {"name": "qualification_form"}
    events = await ActionRequestHuman().run(dispatcher, company_asked, domain)
    assert events == [SlotSet("company", "Northwind Supply Partners")] and dispatcher.messages == []
    assert lead_db.get_lead("visitor-1") is None or lead_db.get_lead("visitor-1")["handoff_requested_at"] is None

    real_request = simple_tracker({"requested_slot": "company"}, text="can I talk to a real person please")
    real_request.active_loop = {"name": "qualification_form"}
    assert await ActionRequestHuman().run(dispatcher, real_request, domain) == []
    assert dispatcher.messages[-1]["response"] == "utter_handoff_noted" and dispatcher.messages[-1]["who"]
    assert lead_db.get_lead("visitor-1")["handoff_requested_at"] is not None


async def test_a_support_request_goes_to_the_support_queue_and_asks_nothing(dispatcher, domain, lead_db):
    from actions.conversation import ActionSupportHandoff, ActionSupportRequest

    tracker = simple_tracker({"requested_slot": "budget"}, text="our invoice has the wrong seat count")
    tracker.events.append(
        {
            "event": "user",
            "text": "our invoice has the wrong seat count",
            "parse_data": {"intent": {"name": "support_request"}},
        }
    )
    assert await ActionSupportRequest().run(dispatcher, tracker, domain) == [SlotSet("requested_slot", None)]
    assert dispatcher.messages[-1]["response"] == "utter_support"
    await ActionSupportHandoff().run(dispatcher, tracker, domain)
    told = dispatcher.messages[-1]
    assert told["response"] == "utter_support_handoff" and told["who"] == "the support team"
    with lead_db.session() as session:
        from leaddb.outbox import OutboxMessage

        [message] = session.query(OutboxMessage).all()
        assert message.target == "support@example.com"
        assert "our invoice has the wrong seat count" in message.payload["text"]

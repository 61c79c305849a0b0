"""The qualification form's validator: normalising, multi-answer messages, re-asking, ending early."""

import pytest
from rasa_sdk.events import SlotSet

from actions.form import ValidateQualificationForm
from tests.actions.conftest import entity, form_turn


def _slots(events):
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def _responses(dispatcher):
    return [m.get("response") for m in dispatcher.messages]


async def test_one_message_fills_three_slots_and_need_is_asked_again(dispatcher, domain, lead_db):
    text = "I'm the CTO, we have 50k and need it next month"
    entities = [
        entity(text, "CTO", "job_title"),
        entity(text, "50k", "amount"),
        entity(text, "next month", "timeframe"),
    ]
    tracker = form_turn(
        text,
        {"need": text, "authority": "CTO", "budget": "50k", "timeline": "next month"},
        requested="need",
        entities=entities,
    )
    slots = _slots(await ValidateQualificationForm().run(dispatcher, tracker, domain))
    assert slots["authority"] == "decision_maker"
    assert slots["budget"] == "50000 USD"
    assert isinstance(slots["timeline"], int) and 0 < slots["timeline"] <= 40
    assert slots["need"] is None  # the message answered other questions, not this one
    assert _responses(dispatcher) == []  # nothing to complain about
    lead = lead_db.get_lead("visitor-1")
    assert (lead["authority"], lead["budget_amount"], lead["need"]) == ("decision_maker", 50000, None)


async def test_need_with_other_answers_is_kept_whole_and_fills_the_others(dispatcher, domain, lead_db):
    text = "we need better pipeline reporting, there are 80 of us"
    tracker = form_turn(
        text,
        {"need": text, "company_size": "80 of us"},
        requested="need",
        entities=[entity(text, "80 of us", "headcount")],
    )
    slots = _slots(await ValidateQualificationForm().run(dispatcher, tracker, domain))
    # The need is kept as the visitor wrote it (a cut sentence reads badly to the rep).
    assert slots["need"] == text
    assert slots["company_size"] == 80


async def test_an_unreadable_answer_is_asked_again_once_then_kept_as_uncertain(dispatcher, domain, lead_db):
    form = ValidateQualificationForm()
    first = _slots(await form.run(dispatcher, form_turn("lots", {"budget": "lots"}, "budget"), domain))
    assert first["budget"] is None and first["reask_counts"] == {"budget": 1}
    assert _responses(dispatcher) == ["utter_hint_budget"]

    second = _slots(
        await form.run(
            dispatcher, form_turn("heaps", {"budget": "heaps"}, "budget", slots={"reask_counts": {"budget": 1}}), domain
        )
    )
    # Never a third ask in a row: the visitor's words are kept, marked uncertain.
    assert second["budget"] == "unknown" and second["reask_counts"] == {"budget": 2}
    assert _responses(dispatcher)[-1] == "utter_noted_as_said"
    answers = lead_db.answers("visitor-1")
    assert [(a["raw_text"], a["status"]) for a in answers] == [("lots", "invalid"), ("heaps", "uncertain")]


def _with_previous_user_text(tracker, text):
    tracker.events.insert(0, {"event": "user", "text": text})
    tracker.events.insert(1, {"event": "bot", "text": "(the assistant's reply)"})
    return tracker


@pytest.mark.parametrize(
    ("slot", "text", "intent", "expected"),
    [
        ("need", "a forecast view for the finance team", "request_demo", "a forecast view for the finance team"),
        ("timeline", "not before september", "ask_pricing", None),  # checked below: a number of days
        ("person_name", "Joy Park", "thank", "Joy Park"),
        ("person_name", "Kim Lee", "out_of_scope", "Kim Lee"),
    ],
)
async def test_an_answer_that_looks_like_another_intent_is_taken_as_the_answer(
    dispatcher, domain, lead_db, slot, text, intent, expected
):
    tracker = form_turn(text, {slot: text}, slot, intent=intent)
    slots = _slots(await ValidateQualificationForm().run(dispatcher, tracker, domain))
    assert slots[slot] not in (None, "unknown") and _responses(dispatcher) == []
    if expected is not None:
        assert slots[slot] == expected
    assert lead_db.answers("visitor-1")[-1]["status"] == "ok"


@pytest.mark.parametrize(
    ("text", "intent", "reply"),
    [
        ("how much is it per seat?", "ask_pricing", "utter_pricing_brief"),
        ("hi there", "greet", "utter_greet_back"),
        ("what's the weather in lisbon", "out_of_scope", "utter_out_of_scope"),
        ("tell me a joke", "out_of_scope", "utter_out_of_scope"),
    ],
)
async def test_a_real_interruption_is_answered_and_the_question_comes_again(
    dispatcher, domain, lead_db, text, intent, reply
):
    tracker = form_turn(text, {"need": text}, "need", intent=intent)
    slots = _slots(await ValidateQualificationForm().run(dispatcher, tracker, domain))
    assert slots["need"] is None and _responses(dispatcher) == [reply]
    assert lead_db.get_lead("visitor-1")["need"] is None


@pytest.mark.parametrize(
    ("slot", "text", "reply"),
    [
        ("email", "Dana Whitfield", "utter_hint_email"),
        ("timeline", "my cat knocked the coffee over", "utter_hint_timeline"),
        ("email", "what's the capital of peru?", "utter_out_of_scope"),
        ("timeline", "play some jazz", "utter_out_of_scope"),
    ],
)
async def test_an_off_topic_statement_gets_the_questions_hint_and_an_off_topic_question_the_off_topic_reply(
    dispatcher, domain, lead_db, slot, text, reply
):
    tracker = form_turn(text, {slot: text}, slot, intent="out_of_scope")
    slots = _slots(await ValidateQualificationForm().run(dispatcher, tracker, domain))
    assert slots[slot] is None and _responses(dispatcher) == [reply]


async def test_a_company_given_when_asked_the_name_is_stored_as_the_company(dispatcher, domain, lead_db):
    text = "Harbour Line Freight"
    tracker = form_turn(text, {"person_name": text}, "person_name")
    slots = _slots(await ValidateQualificationForm().run(dispatcher, tracker, domain))
    assert slots["person_name"] is None and slots["company"] == "Harbour Line Freight"
    assert _responses(dispatcher) == ["utter_noted_other_answer"]
    assert lead_db.get_lead("visitor-1")["company"] == "Harbour Line Freight"


async def test_the_same_words_after_an_interruption_reply_are_the_answer(dispatcher, domain, lead_db):
    text = "Joy"
    tracker = _with_previous_user_text(form_turn(text, {"person_name": text}, "person_name", intent="thank"), "joy")
    slots = _slots(await ValidateQualificationForm().run(dispatcher, tracker, domain))
    assert slots["person_name"] == "Joy" and _responses(dispatcher) == []


async def test_words_sent_twice_after_they_answered_one_question_are_not_the_answer_to_the_next(
    dispatcher, domain, lead_db
):
    # The first copy answered the timeline (its reply was slow); the second lands on the role.
    text = "within the next month"
    tracker = form_turn(text, {"authority": text}, "authority", intent="out_of_scope", slots={"timeline": 29})
    tracker.events[0:0] = [
        {"event": "slot", "name": "requested_slot", "value": "timeline"},
        {"event": "user", "text": text},
        {"event": "slot", "name": "timeline", "value": 29},
        {"event": "slot", "name": "requested_slot", "value": "authority"},
        {"event": "bot", "text": "What's your role?"},
    ]
    slots = _slots(await ValidateQualificationForm().run(dispatcher, tracker, domain))
    assert slots["authority"] is None and slots["reask_counts"] == {"authority": 1}
    assert [a["status"] for a in lead_db.answers("visitor-1")] == ["invalid"]


async def test_thanks_said_twice_is_not_the_company(dispatcher, domain, lead_db):
    tracker = _with_previous_user_text(form_turn("thanks", {"company": "thanks"}, "company", intent="thank"), "thanks")
    slots = _slots(await ValidateQualificationForm().run(dispatcher, tracker, domain))
    assert slots["company"] is None and _responses(dispatcher) == ["utter_youre_welcome"]
    assert lead_db.get_lead("visitor-1")["company"] is None


async def test_interruptions_count_towards_the_two_asks(dispatcher, domain, lead_db):
    tracker = form_turn("hello?", {"email": "hello?"}, "email", intent="greet", slots={"reask_counts": {"email": 1}})
    slots = _slots(await ValidateQualificationForm().run(dispatcher, tracker, domain))
    assert slots["email"] == "unknown" and _responses(dispatcher) == ["utter_moving_on"]
    # "hello?" was no answer: kept as the question skipped, not as an uncertain address.
    assert [(a["raw_text"], a["status"]) for a in lead_db.answers("visitor-1")] == [("hello?", "skipped")]


async def test_thanks_twice_to_the_budget_question_skips_it_without_storing_thanks_as_a_budget(
    dispatcher, domain, lead_db
):
    tracker = _with_previous_user_text(
        form_turn("thanks", {"budget": "thanks"}, "budget", intent="thank", slots={"reask_counts": {"budget": 1}}),
        "thanks",
    )
    slots = _slots(await ValidateQualificationForm().run(dispatcher, tracker, domain))
    assert slots["budget"] == "unknown" and _responses(dispatcher) == ["utter_moving_on"]
    assert [a["status"] for a in lead_db.answers("visitor-1")] == ["skipped"]


async def test_dont_know_is_recorded_as_unknown_without_a_hint(dispatcher, domain, lead_db):
    tracker = form_turn("rather not say", {"budget": "unknown"}, "budget", intent="dont_know")
    slots = _slots(await ValidateQualificationForm().run(dispatcher, tracker, domain))
    assert slots["budget"] == "unknown" and _responses(dispatcher) == []
    assert lead_db.answers("visitor-1")[0]["status"] == "unknown"


async def test_a_passing_mention_that_cannot_be_read_keeps_the_earlier_answer(dispatcher, domain):
    text = "the budget thing we talked about"
    tracker = form_turn(
        text,
        {"budget": "budget thing"},
        "company",
        entities=[entity(text, "budget thing", "amount")],
        slots={"budget": "20000 USD"},
    )
    tracker.events.insert(0, {"event": "slot", "name": "budget", "value": "20000 USD"})
    tracker.events.insert(1, {"event": "action", "name": "qualification_form"})
    slots = _slots(await ValidateQualificationForm().run(dispatcher, tracker, domain))
    assert slots["budget"] == "20000 USD" and _responses(dispatcher) == []


async def test_a_role_said_in_passing_is_not_overwritten_by_a_fragment_of_the_budget_answer(
    dispatcher, domain, lead_db
):
    # The role came in the opening message (not when asked); "cfo" inside the budget answer is
    # whose sign-off the budget needs, not a second answer about the visitor's own role.
    text = "about 40k, our cfo signs off on it"
    tracker = form_turn(
        text,
        {"budget": text, "authority": "cfo"},
        "budget",
        entities=[entity(text, "40k", "amount"), entity(text, "cfo", "job_title")],
        slots={"authority": "influencer"},
    )
    tracker.events[0:0] = [
        {"event": "slot", "name": "authority", "value": "influencer"},
        {"event": "action", "name": "qualification_form"},
    ]
    slots = _slots(await ValidateQualificationForm().run(dispatcher, tracker, domain))
    assert slots["authority"] == "influencer"
    assert [a["slot"] for a in lead_db.answers("visitor-1")] == ["budget"]


async def test_a_timeline_said_in_passing_is_replaced_by_one_said_instead_of_another_answer(
    dispatcher, domain, lead_db
):
    # "hi, just browsing" opened; asked the role, "maybe next month?" is no role but a timeline.
    text = "maybe next month?"
    tracker = form_turn(
        text,
        {"timeline": "next month"},
        "authority",
        entities=[entity(text, "next month", "timeframe")],
        slots={"timeline": "just browsing"},
    )
    tracker.events[0:0] = [
        {"event": "slot", "name": "timeline", "value": "just browsing"},
        {"event": "action", "name": "qualification_form"},
    ]
    slots = _slots(await ValidateQualificationForm().run(dispatcher, tracker, domain))
    assert slots["timeline"] not in (None, "unknown", "just browsing")
    assert lead_db.get_lead("visitor-1")["timeline_open_ended"] is False


async def test_a_filled_slot_validated_again_when_the_form_restarts_is_not_stored_again(dispatcher, domain, lead_db):
    # Rasa validates prefilled slots when a form is activated again ("hello again" after booking).
    tracker = form_turn("hello again", {"budget": "45000 USD/year"}, None, intent="greet")
    tracker.events[0:0] = [
        {"event": "slot", "name": "requested_slot", "value": "budget"},
        {"event": "slot", "name": "budget", "value": "45000 USD/year"},
        {"event": "slot", "name": "requested_slot", "value": None},
    ]
    slots = _slots(await ValidateQualificationForm().run(dispatcher, tracker, domain))
    assert slots.get("budget", "45000 USD/year") == "45000 USD/year"
    assert lead_db.answers("visitor-1") == []


async def test_this_turns_own_candidate_is_never_the_earlier_answer(dispatcher, domain):
    # As Rasa 3.6 sends it: slot extraction sets the candidate right after the user event, the
    # featurization marker follows, then the form appends the candidate again. Neither copy is
    # the "previous" value: the earlier answer is.
    text = "the budget thing we talked about"
    tracker = form_turn(
        text,
        {"budget": "budget thing"},
        "company",
        entities=[entity(text, "budget thing", "amount")],
        slots={"budget": "20000 USD"},
    )
    user_at = next(i for i, e in enumerate(tracker.events) if e["event"] == "user")
    tracker.events[user_at + 1 : user_at + 1] = [
        {"event": "action", "name": "action_extract_slots"},
        {"event": "slot", "name": "budget", "value": "budget thing"},
        {"event": "user_featurization", "use_text_for_featurization": False},
    ]
    tracker.events[0:0] = [
        {"event": "slot", "name": "budget", "value": "20000 USD"},
        {"event": "action", "name": "qualification_form"},
    ]
    slots = _slots(await ValidateQualificationForm().run(dispatcher, tracker, domain))
    assert slots["budget"] == "20000 USD"


async def test_a_database_that_stays_away_gets_a_reply_and_leaves_the_slot_empty(dispatcher, domain, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from actions import services

    attempts = []

    def database_down(*args, **kwargs):
        attempts.append(args)
        raise OperationalError("INSERT ...", {}, Exception("connection refused"))

    # Every unit of work fails as it would with the server gone; the store's retries run for real.
    monkeypatch.setattr(services.lead_store(), "session", database_down)
    tracker = form_turn("we have about 30k", {"budget": "30k"}, "budget")
    slots = _slots(await ValidateQualificationForm().run(dispatcher, tracker, domain))
    assert slots["budget"] is None  # never a value the lead database does not hold
    assert _responses(dispatcher) == ["utter_answer_not_saved"]
    assert len(attempts) == 4  # tried again before giving up


async def test_a_database_back_within_the_retries_keeps_the_answer(dispatcher, domain, lead_db, monkeypatch):
    from sqlalchemy.exc import OperationalError

    real_session, failures = lead_db.session, []

    def flaky_session():
        if len(failures) < 2:
            failures.append(1)
            raise OperationalError("INSERT ...", {}, Exception("server closed the connection"))
        return real_session()

    monkeypatch.setattr(lead_db, "session", flaky_session)
    tracker = form_turn("we have about 30k", {"budget": "30k"}, "budget")
    slots = _slots(await ValidateQualificationForm().run(dispatcher, tracker, domain))
    assert slots["budget"] == "30000 USD" and _responses(dispatcher) == []
    assert lead_db.get_lead("visitor-1")["budget_amount"] == 30000


async def test_student_ends_the_form_early(dispatcher, domain, lead_db):
    text = "i'm a student, just doing research for a class"
    tracker = form_turn(text, {"authority": text}, "authority", slots={"need": "x", "timeline": "open-ended"})
    events = await ValidateQualificationForm().run(dispatcher, tracker, domain)
    assert SlotSet("authority", "none") in events
    assert SlotSet("requested_slot", None) in events  # nothing more is asked


async def test_work_email_also_names_the_company(dispatcher, domain, lead_db):
    text = "sure, it's Jane.Doe@Initech-Software.com"
    tracker = form_turn(
        text,
        {"email": "Jane.Doe@Initech-Software.com"},
        "email",
        entities=[entity(text, "Jane.Doe@Initech-Software.com", "email")],
    )
    slots = _slots(await ValidateQualificationForm().run(dispatcher, tracker, domain))
    assert slots["email"].endswith("@initech-software.com")
    assert slots["company"] and "initech" in slots["company"].lower()
    lead = lead_db.get_lead("visitor-1")
    assert lead["email_is_free_mail"] is False and lead["email_domain"] == "initech-software.com"


async def test_nonsense_email_gets_a_clear_hint(dispatcher, domain, lead_db):
    tracker = form_turn("jane at initech", {"email": "jane at initech"}, "email")
    slots = _slots(await ValidateQualificationForm().run(dispatcher, tracker, domain))
    assert slots["email"] is None
    [hint] = dispatcher.messages
    assert hint["response"] == "utter_hint_email" and hint["email_problem"]


async def test_the_asked_question_is_read_from_the_whole_answer(dispatcher, domain, lead_db):
    # The entity rules find "next month"; the visitor said "within the next month" (≤ 30 days).
    text = "we'd like it live within the next month, budget is 20k"
    tracker = form_turn(
        text,
        {"timeline": "next month", "budget": "20k"},
        "timeline",
        entities=[entity(text, "next month", "timeframe"), entity(text, "20k", "amount")],
    )
    slots = _slots(await ValidateQualificationForm().run(dispatcher, tracker, domain))
    assert 28 <= slots["timeline"] <= 31
    assert slots["budget"] == "20000 USD"


async def test_a_product_question_inside_the_form_is_answered_and_the_question_asked_again(dispatcher, domain, lead_db):
    text = "before I answer that, can we host it on our own servers?"
    tracker = form_turn(text, {"budget": text}, "budget", intent="ask_product")
    slots = _slots(await ValidateQualificationForm().run(dispatcher, tracker, domain))
    assert slots["budget"] is None and slots["reask_counts"] == {"budget": 1}
    (reply,) = dispatcher.messages
    assert reply["response"] == "utter_product_answer" and "self-hosted" in reply["answer"]

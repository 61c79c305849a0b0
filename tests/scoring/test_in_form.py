"""Answer first: inside the form a message is the answer unless it clearly is something else."""

import pytest

from scoring.in_form import (
    asked_too_often,
    is_request_to_assistant,
    reads_as_answer,
    status_after_asks,
    uncertain_answer_reasons,
)


@pytest.mark.parametrize(
    ("slot", "text", "intent"),
    [
        ("need", "a forecast view for the finance team", "request_demo"),
        ("company", "Northwind Supply Partners", "inform"),
        ("need", "nothing specific, just comparing what's out there", "ask_pricing"),
        ("person_name", "Joy Thanks", "thank"),
        ("person_name", "Hiro Hello", "greet"),
        ("timeline", "sure, end of next quarter", "affirm"),
        ("budget", "around 40 grand for the year", "ask_pricing"),
        ("person_name", "Kim Lee", "out_of_scope"),
        ("company", "Tailwind Analytics", "nlu_fallback"),
        ("need", "a forecast view for the finance team", "out_of_scope"),  # the gate can be wrong
        ("need", "need something that books demos for our sdrs from the chat widget", "support_request"),
    ],
)
def test_an_answer_that_reads_like_another_intent_is_the_answer(slot, text, intent):
    assert reads_as_answer(slot, text, intent, parsed=True, repeated=False)


@pytest.mark.parametrize(
    ("slot", "text", "intent"),
    [
        ("need", "how much does it cost?", "ask_pricing"),
        ("need", "can I see a demo first", "request_demo"),
        ("timeline", "what are your prices", "ask_pricing"),
        ("company", "hi there!", "greet"),
        ("budget", "thanks", "thank"),
        ("need", "tell me a joke", "out_of_scope"),  # off-topic words parse as a need: never taken
        ("person_name", "ok", "affirm"),
        ("need", "whats 17 times 23", "out_of_scope"),
        ("need", "set a timer for ten minutes", "out_of_scope"),
        ("need", "i can't log in to our account", "support_request"),
        ("budget", "let's book a call", "request_demo"),
    ],
)
def test_a_question_or_a_plain_request_interrupts(slot, text, intent):
    assert not reads_as_answer(slot, text, intent, parsed=True, repeated=False)


def test_a_company_read_as_a_request_for_a_person_is_the_company():
    assert reads_as_answer("company", "Northwind Supply Partners", "human_handoff", parsed=True, repeated=False)
    assert not reads_as_answer("company", "can I talk to a real person", "human_handoff", parsed=True, repeated=False)
    assert not reads_as_answer("need", "get me someone from sales", "human_handoff", parsed=True, repeated=False)


def test_an_unparsed_message_interrupts_unless_it_is_repeated():
    assert not reads_as_answer("company", "hmm", "greet", parsed=False, repeated=False)
    assert reads_as_answer("company", "hmm", "greet", parsed=False, repeated=True)


def test_requests_the_rules_answer_are_never_taken_as_answers():
    for intent in ("ask_why", "bot_challenge", "stop", "goodbye"):
        assert not reads_as_answer("need", "anything at all", intent, parsed=True, repeated=True)


def test_questions_are_recognised():
    assert is_request_to_assistant("Do you integrate with HubSpot", "inform")
    assert is_request_to_assistant("pricing for 20 seats?", "inform")
    assert not is_request_to_assistant("we use hubspot today", "inform")


def test_a_question_is_asked_at_most_twice_in_a_row():
    assert not asked_too_often(1)
    assert asked_too_often(2)


def test_uncertain_answers_are_named_in_the_reasons_unless_answered_later():
    answers = [
        {"slot": "budget", "raw_text": "lots", "status": "invalid"},
        {"slot": "budget", "raw_text": "heaps", "status": "uncertain"},
        {"slot": "timeline", "raw_text": "dunno, soonish", "status": "uncertain"},
        {"slot": "timeline", "raw_text": "next month", "status": "ok"},
        {"slot": "company_size", "raw_text": "thanks", "status": "skipped"},
    ]
    assert uncertain_answer_reasons(answers) == [
        "budget: 'heaps' (not understood, asked twice)",
        "company size: not answered (asked twice)",
    ]


@pytest.mark.parametrize(
    ("text", "intent", "status"),
    [
        ("heaps", "inform", "uncertain"),
        ("whatever the board gives us", "inform", "uncertain"),
        ("thanks", "thank", "skipped"),
        ("ok", "affirm", "skipped"),
        ("hi there", "greet", "skipped"),
        ("but why though?", "ask_why", "skipped"),
        ("what's the weather in oslo", "out_of_scope", "skipped"),
    ],
)
def test_after_two_asks_an_answer_is_kept_uncertain_and_a_non_answer_is_a_skip(text, intent, status):
    from datetime import date

    assert status_after_asks(text, intent, "budget", date(2026, 12, 3)) == status


def test_after_two_asks_an_answer_to_another_question_is_a_skip_of_this_one():
    from datetime import date

    assert status_after_asks("in a couple of months", "inform", "authority", date(2026, 12, 3)) == "skipped"
    assert status_after_asks("the cfo mostly", "inform", "authority", date(2026, 12, 3)) == "uncertain"


@pytest.mark.parametrize(
    ("slot", "text", "intent"),
    [
        ("need", "get rid of manual data entry for the sdr team", "request_data_erasure"),
        ("need", "a way to delete duplicate records from our crm automatically", "request_data_erasure"),
        ("need", "export clean pipeline data to the board every monday", "request_data_export"),
        ("need", "we want to know what data visitors look at before they book", "request_data_export"),
        ("company", "Forget-Me-Not Florists", "request_data_erasure"),
    ],
)
def test_an_answer_that_reads_like_a_data_request_is_the_answer(slot, text, intent):
    assert reads_as_answer(slot, text, intent, parsed=True, repeated=False)


@pytest.mark.parametrize(
    ("slot", "text", "intent"),
    [
        ("need", "please delete my data", "request_data_erasure"),
        ("need", "can you wipe whatever you have saved on me", "request_data_erasure"),
        ("budget", "under gdpr I want a copy of my information", "request_data_export"),
        ("timeline", "what do you store about me?", "request_data_export"),
        ("need", "forget me", "request_data_erasure"),
    ],
)
def test_a_real_data_request_inside_the_form_is_not_an_answer(slot, text, intent):
    assert not reads_as_answer(slot, text, intent, parsed=True, repeated=True)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("want to stop losing leads that come in overnight", "stop"),
        ("we'd like to stop reps from cold calling dead accounts", "stop"),
        ("can your bot tell our sdrs which visitors are worth a call?", "bot_challenge"),
        ("a bot that answers visitors at night and hands hot ones to sales", "bot_challenge"),
        ("we want to know which accounts are researching us", "ask_why"),
        ("need to prioritise inbound demo requests by deal size", "request_demo"),
        ("bye bye spreadsheets, we need proper lead routing for the team", "goodbye"),
    ],
)
def test_a_need_that_says_more_than_its_intent_is_the_need(text, intent):
    assert reads_as_answer("need", text, intent, parsed=True, repeated=False)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("stop asking me questions", "stop"),
        ("not interested, please stop", "stop"),
        ("are you a real person?", "bot_challenge"),
        ("am I talking to a bot", "bot_challenge"),
        ("why do you need to know that?", "ask_why"),
        ("ok bye", "goodbye"),
    ],
)
def test_a_plain_rule_request_is_not_an_answer_even_when_repeated(text, intent):
    assert not reads_as_answer("need", text, intent, parsed=True, repeated=True)


@pytest.mark.parametrize(
    ("slot", "text"),
    [
        ("timeline", "hmm what's the weather like in lisbon today"),
        ("timeline", "weather in lisbon today"),
        ("timeline", "ok so who won the football last week"),
        ("budget", "convert 40 dollars to yen for my trip"),
        ("company_size", "how many people live in tokyo"),
        ("need", "um tell me a joke about cats"),
    ],
)
def test_a_number_or_time_word_inside_an_off_topic_message_is_not_the_answer(slot, text):
    assert not reads_as_answer(slot, text, "out_of_scope", parsed=True, repeated=False)


@pytest.mark.parametrize(
    ("slot", "text"),
    [
        ("budget", "dunno honestly, not my department"),
        ("timeline", "no plans, just browsing"),
        ("timeline", "sometime around august next year"),
        ("company_size", "roughly 40 people"),
    ],
)
def test_an_answer_the_classifier_calls_off_topic_is_still_the_answer(slot, text):
    assert reads_as_answer(slot, text, "nlu_fallback", parsed=True, repeated=False)


def test_an_opening_message_states_a_need_only_when_it_says_more_than_hello():
    from scoring.in_form import says_more_than_its_intent

    assert not says_more_than_its_intent("sup guys", "greet")
    assert not says_more_than_its_intent("hello from the uk", "greet")
    assert says_more_than_its_intent("our inbound leads sit for days before anyone touches them", "inform")
    assert says_more_than_its_intent("hi, we want faster lead routing", "greet")


@pytest.mark.parametrize(
    ("slot", "text", "intent"),
    [
        ("timeline", "maybe next month?", "inform"),
        ("company_size", "like 55?", "nlu_fallback"),
        ("authority", "i guess im the decision maker?", "nlu_fallback"),
        ("budget", "30k?", "out_of_scope"),
    ],
)
def test_an_answer_said_with_a_question_mark_is_still_the_answer(slot, text, intent):
    assert reads_as_answer(slot, text, intent, parsed=True, repeated=False)


@pytest.mark.parametrize(
    ("slot", "text", "intent"),
    [
        ("company", "Stop & Go Logistics", "stop"),
        ("person_name", "Will Price", "ask_pricing"),
        ("company", "Sol y Mar Travel", "out_of_scope"),
        ("person_name", "Hope Demo", "request_demo"),
    ],
)
def test_a_capitalised_name_is_the_answer_whatever_it_resembles(slot, text, intent):
    assert reads_as_answer(slot, text, intent, parsed=True, repeated=False)


def test_a_lone_capitalised_word_or_a_question_is_not_taken_as_a_name():
    assert not reads_as_answer("company", "Stop", "stop", parsed=True, repeated=False)
    assert not reads_as_answer("company", "Who Are You?", "bot_challenge", parsed=True, repeated=False)


def test_an_email_address_asks_nothing():
    assert reads_as_answer("email", "will.price@stopandgo-logistics.ie", "ask_pricing", parsed=True, repeated=False)
    assert reads_as_answer("email", "demo.team@acme.io", "request_demo", parsed=True, repeated=False)


def test_a_message_of_other_answers_states_no_need():
    from scoring.in_form import states_a_need

    assert not states_a_need("I'm the , we've set aside and want it running")
    assert states_a_need("we need faster lead routing, budget")


@pytest.mark.parametrize(
    "text",
    [
        "I'm the  at a  logistics firm",
        "hi, of marketing at a fintech startup",
        "hello! i'm the  for a small design agency",
        "we're a  b2b saas company",
        "I run revenue operations at a 300 person freight forwarding company",
        "I head marketing at a fintech startup",
        "i'm the coo, for a chain of dental clinics",
    ],
)
def test_who_they_are_states_no_need(text):
    from scoring.in_form import states_a_need

    assert not states_a_need(text)


@pytest.mark.parametrize(
    "text",
    [
        "we're a logistics firm that loses inbound leads overnight",
        "at a small agency we can't follow up on demo requests fast enough",
        "our reps at the company waste hours qualifying junk leads",
        "I run a sales team that never sees the leads from our website",
        "i'm the coo and we lose deals because nobody answers the chat at night",
        "I lead growth, we want to book demos straight from the pricing page",
    ],
)
def test_a_need_beside_who_they_are_is_still_a_need(text):
    from scoring.in_form import states_a_need

    assert states_a_need(text)


@pytest.mark.parametrize(
    ("asked", "text", "slot"),
    [
        ("person_name", "Harbour Line Freight", "company"),
        ("person_name", "dana.whitfield@harbourline-freight.com", "email"),
        ("budget", "early next quarter", "timeline"),
        ("company_size", "Kestrel Robotics Ltd", "company"),
        ("person_name", "Dana Whitfield", None),  # a name, not another answer
        ("budget", "200 people", None),  # numbers fit too many questions to guess
        ("budget", "the weather next week", None),  # a time word inside something else
        ("person_name", "harbour line freight is who we are and we ship a lot", None),
    ],
)
def test_a_message_that_answers_another_open_question_is_recognised(asked, text, slot):
    from datetime import date

    from scoring.in_form import answer_to_another_question

    found = answer_to_another_question(asked, text, ["company", "email", "timeline", "person_name"], date(2026, 12, 3))
    assert (found[0] if found else None) == slot


def test_an_answered_question_is_not_answered_again_by_another():
    from datetime import date

    from scoring.in_form import answer_to_another_question

    assert answer_to_another_question("person_name", "Harbour Line Freight", ["email"], date(2026, 12, 3)) is None

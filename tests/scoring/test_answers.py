"""One answer → slot value, lead fields and status, as the form validators use it."""

from datetime import date

import pytest

from scoring.answers import normalise_answer, remove_spans

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    "slot, text, status, slot_value",
    [
        ("need", "we can't see which campaigns bring revenue", "ok", "we can't see which campaigns bring revenue"),
        ("need", "CRM cleanup", "ok", "CRM cleanup"),
        ("need", "yes", "invalid", None),
        ("need", "ok sure", "invalid", None),
        ("timeline", "by the end of january", "ok", 70),
        ("timeline", "just researching for now", "ok", "open-ended"),
        ("timeline", "no rush tbh", "ok", "open-ended"),
        ("timeline", "banana", "invalid", None),
        ("authority", "I'm the founder", "ok", "decision_maker"),
        ("authority", "i'm looking for a job actually", "ok", "none"),
        ("authority", "purple", "invalid", None),
        ("budget", "€2k a month", "ok", "2000 EUR/month"),
        ("budget", "nothing allocated yet", "ok", "0 USD"),
        ("budget", "depends", "invalid", None),
        ("company", "I work at Globex Corporation", "ok", "Globex Corporation"),
        ("company_size", "team of 12", "ok", 12),
        ("company_size", "big", "invalid", None),
        ("person_name", "my name is ana lucia", "ok", "Ana Lucia"),
        ("email", "ana@gmail.com", "ok", "ana@gmail.com"),
        ("email", "ana at gmail", "invalid", None),
        ("budget", "unknown", "unknown", "unknown"),  # what a "don't know" maps to
        ("budget", "honestly no idea yet, finance decides", "unknown", "unknown"),  # skipped, not re-asked
        ("budget", "not sure, maybe around 15k", "ok", "15000 USD"),  # an amount still wins
        ("timeline", "tbd really", "unknown", "unknown"),
        ("timeline", "eventually, it's not urgent", "ok", "open-ended"),
        ("timeline", "not before September next year", "ok", 283),
    ],
)
def test_answers(slot, text, status, slot_value):
    answer = normalise_answer(slot, text, TODAY)
    assert (answer.status, answer.slot_value) == (status, slot_value)


def test_fields_are_lead_columns():
    assert normalise_answer("email", "Ana@Gmail.com", TODAY).fields == {
        "email": "Ana@gmail.com",
        "email_domain": "gmail.com",
        "email_is_free_mail": True,
    }
    assert normalise_answer("timeline", "just looking around", TODAY).fields == {
        "timeline_days": None,
        "timeline_earliest_days": None,
        "timeline_latest_days": None,
        "timeline_open_ended": True,
    }
    assert normalise_answer("budget", "$40k", TODAY).fields == {
        "budget_amount": 40000,
        "budget_currency": "USD",
        "budget_period": None,
        "budget_status": "unstated",
    }


def test_timeline_fields_keep_the_window():
    # 22 November 2026: September next year opens in 283 days and has no end.
    assert normalise_answer("timeline", "not before September next year", TODAY).fields == {
        "timeline_days": 283,
        "timeline_earliest_days": 283,
        "timeline_latest_days": None,
        "timeline_open_ended": False,
    }
    # A bare "next year" stands for its middle; the window is 1 January to 31 December.
    assert normalise_answer("timeline", "next year", TODAY).fields == {
        "timeline_days": 222,
        "timeline_earliest_days": 40,
        "timeline_latest_days": 404,
        "timeline_open_ended": False,
    }


@pytest.mark.parametrize(
    "text, status",
    [
        ("maybe 40k once the board signs off next year", "pending"),
        ("60k, budget approved", "approved"),
        ("about 60k", "unstated"),
        ("no budget yet", "none"),
    ],
)
def test_budget_fields_keep_the_status(text, status):
    assert normalise_answer("budget", text, TODAY).fields["budget_status"] == status


def test_fields_are_columns_the_lead_database_accepts():
    from leaddb.store import ANSWER_COLUMNS

    for slot, text in [("timeline", "not before May"), ("timeline", "no rush"), ("budget", "40k pending approval")]:
        assert set(normalise_answer(slot, text, TODAY).fields) <= ANSWER_COLUMNS


def test_invalid_email_says_what_is_wrong():
    answer = normalise_answer("email", "jane at example", TODAY)
    assert answer.status == "invalid" and answer.problem


def test_free_text_answers_drop_parts_that_answered_other_questions():
    text = "Acme, about 300 people"
    answer = normalise_answer("company", text, TODAY, other_spans=[(6, 22)])
    assert answer.slot_value == "Acme"
    only_others = normalise_answer("need", "I'm the CTO", TODAY, other_spans=[(8, 11)])
    assert only_others.status == "invalid" and only_others.other_answers_only


def test_long_answers_are_cut_not_refused():
    answer = normalise_answer("need", "reporting " * 1000, TODAY)
    assert answer.status == "ok" and len(answer.slot_value) <= 2000


def test_remove_spans():
    assert remove_spans("I'm the CTO, we have 50k", [(8, 11), (21, 24)]) == "I'm the , we have"


def test_unknown_slot_is_a_programming_error():
    with pytest.raises(ValueError):
        normalise_answer("favourite_colour", "blue", TODAY)


@pytest.mark.parametrize(
    "slot, text, value",
    [
        ("person_name", "Dana Whitfield", "Dana Whitfield"),
        ("person_name", "what's the weather like in lisbon today", None),
        ("person_name", "can you order me a pizza", None),
        ("company", "Tailwind Analytics", "Tailwind Analytics"),
        ("company", "Procter & Gamble", "Procter & Gamble"),
        ("company", "tell me a joke", None),
        ("company", "Can You Order Me A Pizza Right Now Please", None),  # too long for a name
        ("budget", "Dana Whitfield", None),  # only free-text name questions
    ],
)
def test_off_topic_messages_that_are_really_names(slot, text, value):
    from scoring.answers import off_topic_answer

    answer = off_topic_answer(slot, text, TODAY)
    assert (answer.slot_value if answer else None) == value


def test_a_one_word_need_is_asked_again():
    for text in ("Joy", "software", "leads!"):
        assert normalise_answer("need", text, date(2026, 12, 2)).status == "invalid", text
    assert normalise_answer("need", "lead routing", date(2026, 12, 2)).status == "ok"


def test_a_structured_answer_is_read_whole_though_a_span_answered_another_question():
    text = "40k but still waiting on the cfo to approve it"
    cfo = (text.index("cfo"), text.index("cfo") + 3)
    answer = normalise_answer("budget", text, date(2026, 12, 2), [cfo])
    assert answer.fields["budget_status"] == "pending"
    assert answer.fields["budget_amount"] == 40000


@pytest.mark.parametrize(
    ("text", "clause"),
    [
        (
            "im the coo, we need faster lead response, budget about 60k and we want it live within a month",
            "live within a month",
        ),
        ("we want our chatbot to qualify leads. 25k budget, starting in three weeks", "starting in three weeks"),
        ("I work at Acme and we need it ready by march", "ready by march"),
        ("we route about 2000 inbound leads a month by hand", None),  # a rate, not a timeline
        ("our sdrs waste an hour a day on bad leads", None),
        ("we want to know which accounts are researching us", None),
    ],
)
def test_a_timeline_in_passing_is_read_only_after_a_word_that_ties_it_to_the_purchase(text, clause):
    from scoring.answers import timeline_in_passing

    assert timeline_in_passing(text, date(2026, 12, 2)) == clause


@pytest.mark.parametrize(
    ("text", "company"),
    [
        ("I'm the CTO at Kestrel Robotics, about 120 people", "Kestrel Robotics"),
        ("hey im priya from fernwood analytics, about 120 people", "Fernwood Analytics"),
        ("i'm with Globex", "Globex"),
        ("hello from the uk", None),
        ("i'm looking for a tool with good routing", None),
        ("we need better routing for our sdrs", None),
    ],
)
def test_a_company_said_by_someone_introducing_themselves(text, company):
    from scoring.answers import company_in_passing

    assert company_in_passing(text) == company

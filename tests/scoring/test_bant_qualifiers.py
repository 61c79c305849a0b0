"""Answers with qualifiers: "not before September next year", "it's my budget", "not my call",
"we build a competing product", "40k once the board signs off". Phrases typed as visitors type."""

from datetime import date

import pytest

from scoring.bant import parse_authority, parse_budget, parse_timeline, read_timeline

# 1 December, the day of the bug report: a bare "next year" used to be 31 days away.
TODAY = date(2026, 12, 1)
NEXT_YEAR = (date(2027, 1, 1), date(2027, 12, 31))

# ---------------------------------------------------------------------------------------------
# Timeline: (text, day meant, earliest, latest, qualifier); latest None = no end stated.
# ---------------------------------------------------------------------------------------------
NOT_BEFORE = [
    ("not before September next year", date(2027, 9, 1)),
    ("Not before Sept. 2027", date(2027, 9, 1)),
    ("no earlier than march", date(2027, 3, 1)),
    ("we won't be ready before the summer", date(2027, 6, 1)),
    ("September at the earliest", date(2027, 9, 1)),
    ("not till Q3", date(2027, 7, 1)),
    ("only from april onwards", date(2027, 4, 1)),
    ("can't start until after new year", date(2027, 1, 1)),
    ("it won't happen any earlier than May", date(2027, 5, 1)),
    ("not before the second half of next year", date(2027, 7, 1)),
    ("wouldnt be until february", date(2027, 2, 1)),
    ("not this year", date(2027, 1, 1)),
]
TIMELINE_QUALIFIER_CASES = [
    *[(text, day, day, None, "not_before") for text, day in NOT_BEFORE],
    # "not until next year" opens on 1 January and, like a bare "next year", means its middle.
    ("not until next year", date(2027, 7, 2), date(2027, 1, 1), None, "not_before"),
    ("next year", date(2027, 7, 2), *NEXT_YEAR, "window"),
    ("some time next year", date(2027, 7, 2), *NEXT_YEAR, "window"),
    ("sometime in 2027", date(2027, 7, 2), *NEXT_YEAR, "window"),
    ("probably next year sometime", date(2027, 7, 2), *NEXT_YEAR, "window"),
    ("6-12 months", date(2027, 6, 1), date(2027, 6, 1), date(2027, 12, 1), "window"),
    ("not urgent, maybe in 3 months", date(2027, 3, 1), date(2027, 3, 1), date(2027, 3, 1), "exact"),
    ("not urgent", None, None, None, "open_ended"),
    ("eventually", None, None, None, "open_ended"),
    ("no rush, eventually we will switch", None, None, None, "open_ended"),
    ("not a priority right now", None, None, None, "open_ended"),
    ("not for a while yet", None, None, None, "open_ended"),
]


def _days(day):
    return None if day is None else (day - TODAY).days


@pytest.mark.parametrize("text, day, earliest, latest, qualifier", TIMELINE_QUALIFIER_CASES)
def test_timeline_qualifiers(text, day, earliest, latest, qualifier):
    timeline = read_timeline(text, TODAY)
    assert (timeline.days, timeline.earliest_days, timeline.latest_days, timeline.qualifier) == (
        _days(day),
        _days(earliest),
        _days(latest),
        qualifier,
    )
    assert parse_timeline(text, TODAY) == _days(day)  # the fixed interface is the day meant


def test_a_bare_next_year_is_not_its_first_day():
    assert parse_timeline("next year", TODAY) > 200  # the middle of next year, not 31 days
    assert read_timeline("next year", TODAY).earliest_days == 31  # the window still opens then


def test_no_time_said_is_none():
    assert read_timeline("banana", TODAY) is None


# ---------------------------------------------------------------------------------------------
# Authority
# ---------------------------------------------------------------------------------------------
BUDGET_OWNERSHIP = [
    "I hold the budget",
    "it's my budget",
    "I sign off on purchases",
    "its my budget we're spending",
    "the budget is mine",
    "budget sits with me",
    "i control the budget for tools like this",
    "I own the marketing budget",
    "purchases like this go through me",
    "I'm the one paying for it",
    "I approve the spend",
    "i have signing authority",
    "it comes out of my budget",
    "I manage the budget for our team",
    "I hold the purse strings",
    "I've got budget authority for this",
    "I sign the contracts",
]


@pytest.mark.parametrize("text", BUDGET_OWNERSHIP)
def test_holding_the_budget_without_a_title_is_a_decision_maker(text):
    assert parse_authority(text) == "decision_maker"


# Denying buying power is influencer; user when the visitor says they would use the tool.
NO_BUYING_POWER = [
    ("I just use the tool, someone else buys", "user"),
    ("I'd be a user, not a buyer", "user"),
    ("I'm just a user", "user"),
    ("I only use it day to day, purchasing handles buying", "user"),
    ("developer, procurement does the buying", "user"),
    ("somebody else signs, I'll be using it though", "user"),
    ("not my call", "influencer"),
    ("I don't make the decision", "influencer"),
    ("i dont make the decisions here", "influencer"),
    ("I do not hold the budget", "influencer"),
    ("someone else decides on purchases", "influencer"),
    ("honestly it's above my pay grade", "influencer"),
    ("the decision isn't mine", "influencer"),
    ("not my decision to make, but I can pass it on", "influencer"),
    ("I have no purchasing power", "influencer"),
    ("i'm not the one who buys", "influencer"),
    ("I can't approve spend", "influencer"),
]


@pytest.mark.parametrize("text, level", NO_BUYING_POWER)
def test_denying_buying_power(text, level):
    assert parse_authority(text) == level


NOT_A_PROSPECT = [
    ("I'm a researcher", "none"),
    ("academic researcher looking at chatbots", "none"),
    ("university lecturer", "none"),
    ("I'm a professor", "none"),
    ("postdoc studying lead scoring", "none"),
    ("it's for a research project at my uni", "none"),
    ("I'm at a university, writing a research paper", "none"),
    ("just a student", "none"),
    ("I'm job hunting", "none"),
    ("we build a competing product", "none"),
    ("I work for a competitor", "none"),
    ("we make a similar tool, just checking you out", "none"),
    ("I'm from a rival company", "none"),
    ("doing competitive analysis for my employer", "none"),
    ("we sell the same kind of platform", "none"),
    # A consultant evaluating for a client influences a real purchase.
    ("consultant evaluating this for a client", "influencer"),
    ("I'm a consultant, my client pays", "influencer"),
    ("freelance consultant shortlisting tools for a client", "influencer"),
    # A researcher inside a buying company uses the tool.
    ("UX researcher", "user"),
]


@pytest.mark.parametrize("text, level", NOT_A_PROSPECT)
def test_researchers_students_and_rivals_are_not_prospects(text, level):
    assert parse_authority(text) == level


# ---------------------------------------------------------------------------------------------
# Budget status
# ---------------------------------------------------------------------------------------------
PENDING_BUDGETS = [
    ("maybe 40k once the board signs off next year", 40_000),
    ("we'd need approval but probably 25k", 25_000),
    ("budget opens up next fiscal year, around 60k", 60_000),
    ("30k pending approval", 30_000),
    ("20k if finance agrees", 20_000),
    ("roughly €15k, subject to sign-off from our CFO", 15_000),
    ("about 10k a month but it's not approved yet", 10_000),
    ("50k has been requested, waiting on the board", 50_000),
    ("we're hoping to get 35k in next year's budget", 35_000),
    ("$80k, needs sign off from the ceo", 80_000),
    ("12k once my boss approves it", 12_000),
    ("provisionally 45k", 45_000),
    ("around 20 grand if management says yes", 20_000),
    ("70k tbc", 70_000),
    ("40k when the new budget cycle opens up in april", 40_000),
    ("probably £9k, still has to be approved", 9_000),
    ("100k but nothing is signed off yet", 100_000),
]


@pytest.mark.parametrize("text, amount", PENDING_BUDGETS)
def test_a_budget_waiting_for_approval_keeps_its_amount_and_is_pending(text, amount):
    budget = parse_budget(text)
    assert (budget.amount, budget.status) == (amount, "pending")


@pytest.mark.parametrize(
    "text, amount, status",
    [
        ("50k approved", 50_000, "approved"),
        ("we've budgeted 30k for this", 30_000, "approved"),
        ("20k set aside already", 20_000, "approved"),
        ("40k", 40_000, "unstated"),
        ("we could stretch to 30k if it works", 30_000, "unstated"),  # no one to approve it
        ("no budget yet", 0, "none"),
        ("nothing approved yet", 0, "none"),
    ],
)
def test_other_budget_statuses(text, amount, status):
    budget = parse_budget(text)
    assert (budget.amount, budget.status) == (amount, status)

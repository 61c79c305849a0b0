"""The saved pipeline, built from the project's patterns file, finds the right spans.

These phrases are not in the NLU training data.
"""

from pathlib import Path

import pytest
import spacy

from entity_pipeline import save_pipeline

PROJECT_PATTERNS = Path(__file__).resolve().parents[2] / "config" / "entity_patterns.yml"

PHRASES_WITH_ENTITIES = [
    # amount
    ("we can spend $40k on this", [("$40k", "amount")]),
    ("budget is roughly £12,500", [("£12,500", "amount")]),
    ("about 7k euros", [("7k euros", "amount")]),
    ("we were thinking 250K", [("250K", "amount")]),
    ("AUD 15,000 annually", [("AUD 15,000 annually", "amount")]),
    ("three hundred thousand dollars", [("three hundred thousand dollars", "amount")]),
    ("no budget at the moment", [("no budget", "amount")]),
    ("somewhere between 5k and 8k", [("5k and 8k", "amount")]),
    ("2.5 million is the cap", [("2.5 million", "amount")]),
    ("$300 a month per user", [("$300 a month", "amount")]),
    ("we don't have a budget for this", [("don't have a budget", "amount")]),
    ("€60k-€80k", [("€60k-€80k", "amount")]),
    ("up to 90,000 GBP", [("90,000 GBP", "amount")]),
    ("a couple grand", [("a couple grand", "amount")]),
    # timeframe
    ("we'd like it running by Q2", [("Q2", "timeframe")]),
    ("within the next two weeks", [("next two weeks", "timeframe")]),
    ("hoping for end of next month", [("end of next month", "timeframe")]),
    ("in roughly 4 months", [("4 months", "timeframe")]),
    ("not before November", [("November", "timeframe")]),
    ("honestly we're just exploring options", [("just exploring", "timeframe")]),
    ("as soon as possible please", [("as soon as possible", "timeframe")]),
    ("sometime in H1 2026", [("H1 2026", "timeframe")]),
    ("late next year", [("late next year", "timeframe")]),
    ("next summer probably", [("next summer", "timeframe")]),
    ("ASAP!!", [("ASAP", "timeframe")]),
    # job_title
    ("I'm the head of customer success", [("head of customer success", "job_title")]),
    ("VP of Engineering here", [("VP of Engineering", "job_title")]),
    ("product designer on the growth team", [("product designer", "job_title")]),
    ("chief operating officer", [("chief operating officer", "job_title")]),
    ("I'm a university student", [("student", "job_title")]),
    ("currently looking for work", [("looking for work", "job_title")]),
    ("our cfo will decide", [("cfo", "job_title")]),
    ("senior marketing manager", [("marketing manager", "job_title")]),
    ("sales operations manager", [("sales operations manager", "job_title")]),
    ("Co-Founder & CEO", [("Co-Founder", "job_title"), ("CEO", "job_title")]),
    # headcount
    ("we have 350 employees", [("350 employees", "headcount")]),
    ("about 40 staff", [("40 staff", "headcount")]),
    ("a team of five", [("team of five", "headcount")]),
    ("12 FTEs", [("12 FTEs", "headcount")]),
    ("a couple hundred people", [("a couple hundred people", "headcount")]),
    ("3k people worldwide", [("3k people", "headcount")]),
    ("it's just three of us", [("three of us", "headcount")]),
    ("200-500 employees", [("200-500 employees", "headcount")]),
    # email
    ("reach me at maria.lopez@example.org", [("maria.lopez@example.org", "email")]),
    ("j_smith99@sub.domain.co.uk", [("j_smith99@sub.domain.co.uk", "email")]),
    # several in one message
    (
        "CTO, 200 people, $80k, need it next quarter",
        [("CTO", "job_title"), ("200 people", "headcount"), ("$80k", "amount"), ("next quarter", "timeframe")],
    ),
    (
        "I'm the COO at a 75-person firm and we have €20k",
        [("COO", "job_title"), ("75-person", "headcount"), ("€20k", "amount")],
    ),
]

PHRASES_WITHOUT_ENTITIES = [
    "hello there",
    "we need better reporting",
    "what does your product do",
    "I'll think about it",
    "my name is Jordan",
    "we use salesforce and hubspot",
    "is this secure?",
    "can you integrate with slack",
    "the team is great",
    "we may buy later",
    "I have 3 questions",
    "our office is at 221 Baker Street",
    "call me on 555 0199",
    "we tried 2 other tools",
]


@pytest.fixture(scope="module")
def saved_pipeline(tmp_path_factory):
    out = tmp_path_factory.mktemp("pipeline") / "spacy-en-leads"
    save_pipeline(PROJECT_PATTERNS, out)
    return spacy.load(out)


@pytest.mark.parametrize("text, expected", PHRASES_WITH_ENTITIES)
def test_finds_the_right_spans(saved_pipeline, text, expected):
    assert [(e.text, e.label_) for e in saved_pipeline(text).ents] == expected


@pytest.mark.parametrize("text", PHRASES_WITHOUT_ENTITIES)
def test_finds_nothing_where_there_is_nothing(saved_pipeline, text):
    assert [(e.text, e.label_) for e in saved_pipeline(text).ents] == []


def test_table_is_big_enough():
    assert len(PHRASES_WITH_ENTITIES) >= 40

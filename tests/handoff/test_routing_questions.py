"""Which routing question the chat asks (country, industry, or none), and how the answers read."""

from __future__ import annotations

from dataclasses import replace

import pytest

from handoff import LeadFacts, load_industries, load_roster, read_routing_answer, routing_questions
from handoff.geo import country_for_timezone, country_in_answer

from .conftest import ROSTER_YML

# The handoff tests' roster, plus a second North American generalist: there, whether the lead is
# in healthcare decides between Nia alone and Nia or Bo.
WITH_BOSTON = ROSTER_YML.replace(
    "routing_rules:",
    """  - id: boston
    name: Bo Ston
    email: bo@example.com
    timezone: America/New_York
    working_hours: {mon-fri: "09:00-17:00"}
    territories: [north_america]
    segments: [smb, mid]
    daily_meeting_cap: 3
routing_rules:""",
)


@pytest.fixture
def roster(tmp_path):
    path = tmp_path / "roster.yml"
    path.write_text(WITH_BOSTON)
    return load_roster(path)


def lead(**fields) -> LeadFacts:
    return LeadFacts(visitor_id="v1", **fields)


@pytest.mark.parametrize(
    "facts, answered, asked",
    [
        # No zone, or one that belongs to no country: DE, US and "elsewhere" go to different reps.
        (lead(company_size=50), frozenset(), ("country",)),
        (lead(timezone="UTC", company_size=50), frozenset(), ("country",)),
        (lead(timezone="Etc/GMT-2", company_size=5000), frozenset(), ("country",)),
        # The zone tells the country; in DACH no one specialises in healthcare, so no question.
        (lead(timezone="Europe/Vienna", company_size=50), frozenset(), ()),
        (lead(country="DE", company_size=50), frozenset(), ()),
        # In the US, healthcare goes to Nia alone, anything else to Nia or Bo: ask.
        (lead(timezone="America/Chicago", company_size=50), frozenset(), ("industry",)),
        (lead(country="US", company_size=500), frozenset(), ("industry",)),
        # ... unless the company's industry is known, or the lead is enterprise (one rule for all).
        (lead(country="US", company_size=50, industry="software", industry_source="suffix rule"), frozenset(), ()),
        (lead(country="US", company_size=5000), frozenset(), ()),
        # An active account owner takes the lead whatever the answers; an inactive one does not.
        (lead(email="cfo@owned-gmbh.example", company_size=50), frozenset(), ()),
        (lead(company_domain="owned-gmbh.example"), frozenset(), ()),
        (lead(email="cfo@old-account.example", company_size=50), frozenset(), ("country",)),
        # Answered already ("rather not say" included): not asked again; without a country the
        # industry changes nothing (every such lead goes to the fallback).
        (lead(company_size=50), frozenset({"country"}), ()),
        (lead(country="US", company_size=50), frozenset({"industry"}), ()),
    ],
)
def test_a_routing_question_is_asked_only_when_the_answer_could_change_the_rep(roster, facts, answered, asked):
    assert routing_questions(roster, facts, answered) == asked


def test_the_industry_is_asked_after_the_country_once_the_country_makes_it_matter(roster):
    unknown = lead(timezone="UTC", company_size=50)
    assert routing_questions(roster, unknown) == ("country",)
    assert routing_questions(roster, replace(unknown, country="CA"), frozenset({"country"})) == ("industry",)
    assert routing_questions(roster, replace(unknown, country="AT"), frozenset({"country"})) == ()


def test_a_roster_without_territory_or_industry_rules_asks_nothing(tmp_path):
    path = tmp_path / "roster.yml"
    rules = ROSTER_YML[ROSTER_YML.index("routing_rules:") : ROSTER_YML.index("fallback:")]
    path.write_text(ROSTER_YML.replace(rules, "routing_rules:\n  - name: everyone\n    reps: [berlin, munich]\n"))
    assert routing_questions(load_roster(path), lead(company_size=50)) == ()


@pytest.mark.parametrize(
    "text, country",
    [
        ("we're in the UK", "GB"),
        ("Munich, Germany", "DE"),
        ("based out of Toronto", "CA"),
        ("DE", "DE"),
        ("the Netherlands", "NL"),
        ("usa!", "US"),
        ("New Jersey", "US"),  # a state says the country (not Jersey, the island)
        ("Zürich", "CH"),
        ("Côte d’Ivoire", "CI"),
        ("our IT team is in India", "IN"),  # "IT" inside a sentence is a word, not Italy
        ("Germany, with an office in Austria", "DE"),  # the first named: where they are based
        ("let us know", None),  # "us" is a word
        ("NO idea", None),  # and so is "NO", inside a sentence
        ("we're fully remote", None),
        ("christmas", None),  # Indian/Christmas is a zone, not an answer
    ],
)
def test_the_country_an_answer_names(text, country):
    assert country_in_answer(text) == country


@pytest.fixture(scope="module")
def industries():
    return load_industries("config/industries.yml")


@pytest.mark.parametrize(
    "slot, text, status, fields",
    [
        ("country", "we're in the UK", "ok", {"country": "GB"}),
        ("country", "rather not say", "unknown", {}),
        ("country", "the moon", "invalid", {}),
        ("industry", "we're a bank", "ok", {"industry": "financial services", "industry_source": "conversation"}),
        ("industry", "Hospitals mostly", "ok", {"industry": "healthcare", "industry_source": "conversation"}),
        # Software for banks is software: the earliest word names it.
        ("industry", "we make SaaS for banks", "ok", {"industry": "software", "industry_source": "conversation"}),
        # No word of the file: kept as the visitor put it, an industry no rep specialises in.
        ("industry", "We make furniture.", "ok", {"industry": "we make furniture", "industry_source": "conversation"}),
        ("industry", "not sure", "unknown", {}),
        ("industry", "??", "invalid", {}),
    ],
)
def test_a_routing_answer_is_read_like_the_forms_other_answers(industries, slot, text, status, fields):
    answer = read_routing_answer(slot, text, industries)
    assert (answer.status, answer.fields) == (status, fields)


@pytest.mark.parametrize(
    "zone, country",
    [
        ("Europe/Berlin", "DE"),
        # Old names browsers still send are links to a zone.tab zone: the same country.
        ("Asia/Calcutta", "IN"),
        ("America/Buenos_Aires", "AR"),
        ("US/Eastern", "US"),
        ("UTC", None),
        ("Etc/GMT+2", None),
        ("../../etc/passwd", None),
    ],
)
def test_the_country_of_a_time_zone(zone, country):
    assert country_for_timezone(zone) == country

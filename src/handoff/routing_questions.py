"""Which routing facts are worth a question in the chat.

A visitor's industry, and their country when the time zone does not tell it (no zone, or one
such as UTC that belongs to no country), are asked only when the answer could change who gets
the lead: routing is tried with every value the roster distinguishes, and the question is
asked when the reps who could be chosen differ. The country comes first, since whether the
industry matters depends on the territory."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from .company import FROM_CONVERSATION, Industries
from .facts import LeadFacts
from .geo import country_in_answer
from .roster import Roster
from .routing import covering_reps, routing_facts

if TYPE_CHECKING:
    from scoring.answers import Answer

ROUTING_SLOTS = ("country", "industry")
MAX_ANSWER = 128  # the lead's industry column


def routing_questions(roster: Roster, lead: LeadFacts, answered: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The next slot of ROUTING_SLOTS to ask, or none: not when an active account owner takes
    the lead, nor when no answer would change the reps routing could choose from. `answered`
    are the routing questions the visitor has answered already ("rather not say" included)."""
    for domain in filter(None, (lead.email_domain, lead.company_domain)):
        owner = roster.owner_of(domain)
        if owner is not None and owner.active:
            return ()
    if "country" not in answered and lead.resolved_country()[0] is None:
        countries = _named(roster, "territory")
        if _differs(roster, [replace(lead, country=country) for country in countries]):
            return ("country",)
    if "industry" not in answered and not lead.industry:
        industries = _named(roster, "industry")
        leads = [replace(lead, industry=industry, industry_source=FROM_CONVERSATION) for industry in industries]
        if _differs(roster, leads):
            return ("industry",)
    return ()


def _differs(roster: Roster, leads: list[LeadFacts]) -> bool:
    return len({_who_could_get_it(roster, lead) for lead in leads}) > 1


def _who_could_get_it(roster: Roster, lead: LeadFacts) -> frozenset[str]:
    """The reps of the first rule with any rep covering the lead (capacity aside); empty when
    the lead would go to the fallback."""
    facts, _ = routing_facts(roster, lead)
    for _, covering in covering_reps(roster, facts):
        if covering:
            return frozenset(rep.id for rep in covering)
    return frozenset()


def _named(roster: Roster, fact: str) -> list[str | None]:
    """Every value of `fact` (territory, industry) a rep or a rule names, and None for all others."""
    covered = "countries" if fact == "territory" else "industries"
    named: set[str] = set()
    for rep in roster.reps.values():
        named |= getattr(rep, covered)
    for rule in roster.rules:
        named |= rule.when.get(fact, frozenset())
    return [*sorted(named), None]


def read_routing_answer(slot: str, text: str, industries: Industries) -> Answer:
    """The answer to a routing question, as scoring.answers reads the form's other answers.

    A country must be one the answer names. An industry is the one the answer names by
    industries.yml's words, else the visitor's own words: "we make furniture" is an industry
    no rep specialises in, and the rep reads it as typed."""
    # Imported here: scoring.answers loads spaCy (and through thinc, TensorFlow), which the web
    # app and the outbox workers, importing handoff, should not carry.
    from scoring.answers import UNKNOWN, Answer, content_words, says_dont_know

    if text == UNKNOWN:  # the visitor said they don't know ("dont_know" intent)
        return Answer("unknown", UNKNOWN)
    text = " ".join((text or "").split())[:MAX_ANSWER]
    if slot == "country":
        country = country_in_answer(text)
        if country:
            return Answer("ok", country, {"country": country})
        if says_dont_know(text):
            return Answer("unknown", UNKNOWN)
        return Answer("invalid", problem="no country found")
    if slot != "industry":
        raise ValueError(f"not a routing slot: {slot!r}")
    industry = industries.industry_in_answer(text)
    if industry is None and says_dont_know(text):
        return Answer("unknown", UNKNOWN)
    if industry is None:
        if not content_words(text):
            return Answer("invalid", problem="no industry found")
        industry = text.lower().strip(" .!")
    return Answer("ok", industry, {"industry": industry, "industry_source": FROM_CONVERSATION})

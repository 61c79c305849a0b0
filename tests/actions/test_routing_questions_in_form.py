"""The form asks the country or the industry last, only of a visitor who will be an SQL and only
when routing (config/roster.yml) needs the answer; the answers are stored on the lead."""

import pytest

from actions.form import ValidateQualificationForm
from tests.actions.conftest import form_turn

SQL_ANSWERS = {
    "need": ("our inbound leads wait days for a reply", {"need": "our inbound leads wait days for a reply"}),
    "timeline": ("within a month", {}),  # stored by _stored_lead with its window
    "authority": ("head of sales, my budget", {"authority": "decision_maker"}),
    "budget": ("40k a year", {"budget_amount": 40000.0, "budget_currency": "USD", "budget_period": "year"}),
    "company": ("Tundra Labs", {"company": "Tundra Labs"}),
    "person_name": ("Ola Hansen", {"person_name": "Ola Hansen"}),
}
SLOT_VALUES = {
    "need": "our inbound leads wait days for a reply",
    "timeline": 30,
    "authority": "decision_maker",
    "budget": "40000 USD/year",
    "company": "Tundra Labs",
    "person_name": "Ola Hansen",
}


def _stored_lead(lead_db, company_size: int, timeline_days: int = 30) -> dict:
    for slot, (raw, fields) in SQL_ANSWERS.items():
        if slot == "timeline":
            fields = {
                "timeline_days": timeline_days,
                "timeline_earliest_days": timeline_days,
                "timeline_latest_days": timeline_days,
            }
        lead_db.record_answer("visitor-1", slot, raw, fields)
    lead_db.record_answer("visitor-1", "company_size", str(company_size), {"company_size": company_size})
    return {**SLOT_VALUES, "company_size": company_size, "timeline": timeline_days}


async def _email_turn(dispatcher, domain, slots, zone=None):
    tracker = form_turn("ola@tundralabs.com", {"email": "ola@tundralabs.com"}, "email", slots=slots)
    if zone:
        tracker.events[1]["metadata"] = {"timezone": zone}
    events = await ValidateQualificationForm().run(dispatcher, tracker, domain)
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def _next_question(tracker, dispatcher, domain):
    """What the form asks next: the first required slot still empty (rasa_sdk leaves it to Rasa
    when the list is the domain's own)."""
    form = ValidateQualificationForm()
    required = await form.required_slots(form.domain_slots(domain), dispatcher, tracker, domain)
    return next((slot for slot in required if tracker.slots.get(slot) is None), None)


async def test_an_sql_whose_client_sent_no_zone_is_asked_the_country(dispatcher, domain, lead_db):
    slots = await _email_turn(dispatcher, domain, _stored_lead(lead_db, company_size=85))
    assert slots["requested_slot"] == "country"


async def test_a_zone_that_settles_the_rep_asks_nothing_more(dispatcher, domain, lead_db):
    # Europe/London: the UK has one rep for every size and industry.
    slots = await _email_turn(dispatcher, domain, _stored_lead(lead_db, company_size=85), zone="Europe/London")
    assert slots["requested_slot"] is None


async def test_an_mql_is_not_asked_routing_questions(dispatcher, domain, lead_db):
    slots = await _email_turn(dispatcher, domain, _stored_lead(lead_db, company_size=85, timeline_days=300))
    assert slots["requested_slot"] is None
    assert lead_db.get_lead("visitor-1")["tier"] is None  # the form only asks; action_qualify decides


@pytest.mark.parametrize(
    "answer, country, next_question",
    [
        # Canada, 350 people: a financial-services lead goes to the specialist alone.
        ("we're in Canada, Toronto mostly", "CA", "industry"),
        # The UK: one rep whatever the industry.
        ("UK", "GB", None),
    ],
)
async def test_the_country_answer_is_stored_and_decides_whether_the_industry_is_asked(
    dispatcher, domain, lead_db, answer, country, next_question
):
    slots = {**_stored_lead(lead_db, company_size=350), "email": "ola@tundralabs.com"}
    lead_db.record_answer("visitor-1", "email", "ola@tundralabs.com", {"email": "ola@tundralabs.com"})
    tracker = form_turn(answer, {"country": answer}, "country", slots=slots)
    events = await ValidateQualificationForm().run(dispatcher, tracker, domain)
    assert {e["name"]: e["value"] for e in events if e["event"] == "slot"}["country"] == country
    assert await _next_question(tracker, dispatcher, domain) == next_question
    assert lead_db.get_lead("visitor-1")["country"] == country


async def test_the_industry_answer_is_stored_as_stated_in_the_conversation(dispatcher, domain, lead_db):
    slots = {**_stored_lead(lead_db, company_size=350), "email": "ola@tundralabs.com", "country": "CA"}
    lead_db.record_answer("visitor-1", "country", "Canada", {"country": "CA"})
    text = "insurance, home and auto mostly"
    tracker = form_turn(text, {"industry": text}, "industry", slots=slots)
    events = await ValidateQualificationForm().run(dispatcher, tracker, domain)
    assert {e["name"]: e["value"] for e in events if e["event"] == "slot"}["industry"] == "financial services"
    assert await _next_question(tracker, dispatcher, domain) is None
    lead = lead_db.get_lead("visitor-1")
    assert (lead["industry"], lead["industry_source"]) == ("financial services", "conversation")

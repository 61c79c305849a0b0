"""A request for a person reaches one: the routed rep or a queue, by real SMTP, with the answers,
the transcript and a reply link; the visitor is told who answers and when they are at work."""

from __future__ import annotations

import email
from datetime import timedelta
from email import policy

import pytest

from handoff import LeadFacts, Notifications, SmtpSettings, default_senders, deliver_due, request_a_person, route_lead
from handoff.person_requests import contact_for
from tests.support.servers import LocalSmtpServer

from .conftest import MONDAY

TRANSCRIPT = [("visitor", "we need better routing"), ("assistant", "What's your timeline?"), ("visitor", "a human pls")]


async def _delivered(store):
    with LocalSmtpServer() as smtp:
        senders = default_senders(SmtpSettings(host="127.0.0.1", port=smtp.port, starttls=False))
        await deliver_due(store, senders, MONDAY + timedelta(minutes=1))
        return [
            (envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=policy.default))
            for envelope in smtp.envelopes
        ]


async def test_a_routed_lead_reaches_its_rep_with_answers_transcript_and_a_reply_link(roster, store):
    store.record_answer("v1", "need", "better routing", {"need": "better routing"})
    store.record_answer("v1", "email", "ada@engines.example", {"email": "ada@engines.example"})
    store.record_answer("v1", "company_size", "300", {"company_size": 300})
    decision = route_lead(roster, LeadFacts.from_lead(store.get_lead("v1"), country="DE"), store, MONDAY)
    contact = request_a_person(store, roster, Notifications(), "v1", "asked for a person", TRANSCRIPT, MONDAY)
    assert contact.name == roster.reps[decision.rep_id].name

    [(recipients, message)] = await _delivered(store)
    assert recipients == [roster.reps[decision.rep_id].email]
    assert message["Subject"] == "Sales request from ada@engines.example"
    body = message.get_body(("plain",)).get_content()
    for expected in ["Why: asked for a person", "mailto:ada@engines.example", "Need:      better routing",
                     "visitor: a human pls", "assistant: What's your timeline?"]:  # fmt: skip
        assert expected in body
    assert store.get_lead("v1")["handoff_requested_at"] is not None


async def test_an_unrouted_visitor_reaches_the_fallback_queue(roster, store):
    contact = request_a_person(store, roster, Notifications(), "v2", "no rep available", [], MONDAY)
    assert (contact.name, contact.email) == ("the sales-inbox team", "sales@example.com")
    [(recipients, message)] = await _delivered(store)
    assert recipients == ["sales@example.com"]
    assert "the visitor left no email yet" in message.get_body(("plain",)).get_content()


def test_support_goes_to_the_support_queue_even_for_a_routed_lead(roster):
    contact = contact_for(roster, "berlin", kind="support")
    assert contact.email == "support@example.com"
    with pytest.raises(ValueError, match="unknown person request kind"):
        contact_for(roster, None, kind="billing")


def test_an_inactive_rep_is_never_the_contact(roster):
    assert contact_for(roster, "retired").email == "sales@example.com"


def test_the_visitor_is_told_when_the_person_is_next_at_work(roster):
    queue = contact_for(roster, None)  # Europe/Berlin, mon-fri 08:00-18:00
    monday_9_berlin = MONDAY  # 08:00 UTC
    assert queue.reply_promise(monday_9_berlin, None) == "today: they are at work now"
    friday_evening = MONDAY + timedelta(days=4, hours=12)  # Fri 21:00 in Berlin
    assert queue.next_at_work(friday_evening) == MONDAY + timedelta(days=7) - timedelta(hours=1)  # Mon 08:00
    promise = queue.reply_promise(friday_evening, "America/New_York")
    # 07:00 UTC: 03:00 in New York, whose clocks went forward on Sunday 8 March.
    assert promise == "from Monday 03:00 (your time), when they are next at work"
    assert queue.hours_text() == "Mon-Fri 08:00-18:00 (Europe/Berlin)"


def test_hours_with_a_different_day_read_as_two_groups(roster):
    support = contact_for(roster, None, kind="support")
    assert support.hours_text() == "Mon-Fri 08:00-20:00; Sat 10:00-14:00 (America/New_York)"

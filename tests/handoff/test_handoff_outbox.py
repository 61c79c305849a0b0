"""The outbox against real local servers: SMTP delivery, an HTTP receiver that fails and then
recovers (nothing lost), one that never recovers (parked), backoff, and exclusive claims."""

from __future__ import annotations

import asyncio
import email
import json
import random
from datetime import timedelta
from email import policy

import pytest
from icalendar import Calendar

from handoff import (
    Booking,
    LeadFacts,
    Notifications,
    OutboxPolicy,
    SmtpSettings,
    book_meeting,
    default_senders,
    deliver_due,
    enqueue,
    outbox_message,
    parked_messages,
    post_json,
    requeue,
    route_lead,
    run_worker,
)
from handoff.outbox import retry_delay, without_tokens
from leaddb.outbox import OutboxMessage
from tests.support.servers import LocalSmtpServer, ScriptedHttpServer

from .conftest import MONDAY

POLICY = OutboxPolicy(max_attempts=4)


def queue(store, kind, target, payloads) -> list[int]:
    with store.session() as session:
        return [enqueue(session, kind, target, payload, MONDAY).id for payload in payloads]


async def deliver_until_settled(store, senders, now=MONDAY, rounds=10):
    """Run delivery rounds, each two hours after the last (past any retry delay)."""
    reports = []
    for _ in range(rounds):
        reports.append(await deliver_due(store, senders, now, POLICY, random.Random(7)))
        now += timedelta(hours=2)
    return reports


async def test_the_rep_gets_an_email_with_the_full_context_and_the_invite(roster, sqlite_store):
    store = sqlite_store
    answers = {
        "person_name": "Ada Lovelace",
        "email": "ada@analytical.example",
        "company": "Analytical Engines",
        "company_size": 450,
        "budget_amount": 50000.0,
        "budget_currency": "EUR",
        "budget_period": "year",
        "authority": "decision_maker",
        "need": "automate lead routing",
        "timeline_days": 30,
        "timezone": "America/New_York",
        "country": "US",
        "industry": "rail freight",  # as a visitor answers when routing asks
    }
    for slot, value in answers.items():
        store.record_answer("v1", slot, str(value), {slot: value})
    store.record_decision(
        "v1",
        "sql",
        82,
        ["Budget 50k EUR per year fits", "Decision maker"],
        [{"rule": "budget_fit", "points": 30, "group": "bant", "detail": "50k EUR/year"}],
    )
    decision = route_lead(roster, LeadFacts.from_lead(store.get_lead("v1"), country="DE"), store, MONDAY)
    start = MONDAY + timedelta(days=1, hours=1)  # Tuesday 10:00 in Berlin
    transcript = [
        ("visitor", "Hi, we need a demo"),
        ("assistant", "Happy to help. What is your budget?"),
        ("visitor", "50k EUR a year"),
    ]
    booking = book_meeting(store, decision.rep_id, "v1", start, roster, MONDAY, Notifications(), transcript)
    assert isinstance(booking, Booking)

    with LocalSmtpServer() as smtp:
        senders = default_senders(
            SmtpSettings(host="127.0.0.1", port=smtp.port, starttls=False, sender="bot@leads.example")
        )
        report = await deliver_due(store, senders, MONDAY, POLICY)
        assert (report.sent, report.retrying, report.parked) == (1, 0, 0)
        [envelope] = smtp.envelopes

    rep = roster.reps[decision.rep_id]
    assert envelope.rcpt_tos == [rep.email]
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    assert message["From"] == "bot@leads.example"
    assert (
        "Ada Lovelace (Analytical Engines)" in message["Subject"]
        and "Tue 3 Mar 2026, 10:00–10:30 CET" in message["Subject"]
    )
    body = message.get_body(("plain",)).get_content()
    for expected in [
        "When: Tue 3 Mar 2026, 10:00–10:30 CET (Europe/Berlin)",  # the rep's time zone
        "Tue 3 Mar 2026, 04:00–04:30 EST for the visitor (America/New_York)",
        "Budget:    50,000 EUR per year",
        "Authority: decision_maker",
        "Need:      automate lead routing",
        "Timeline:  in about 30 days",
        "Industry: rail freight",
        "Country:  US (zone America/New_York)",
        "SCORE: 82 (sql)",
        "- Budget 50k EUR per year fits",
        "+30  budget_fit  50k EUR/year",
        f"WHY YOU: {decision.rule}",
        "visitor: Hi, we need a demo",
        "assistant: Happy to help. What is your budget?",
        f"/meetings/{booking.meeting_id}/accept?token={booking.decision_token}",
    ]:
        assert expected in body
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar" and attachment.get_filename() == "invite.ics"
    [event] = Calendar.from_ical(attachment.get_content()).events
    assert (str(event["UID"]), event.start) == (booking.ics_uid, start)


async def test_email_waits_while_the_smtp_server_is_down(sqlite_store):
    [message_id] = queue(sqlite_store, "email", "rep@example.com", [{"subject": "s", "text": "t"}])
    with LocalSmtpServer() as smtp:
        port = smtp.port
    senders = default_senders(SmtpSettings(host="127.0.0.1", port=port, starttls=False))  # nobody listens now
    report = await deliver_due(sqlite_store, senders, MONDAY, POLICY)
    assert (report.sent, report.retrying) == (0, 1)
    stored = outbox_message(sqlite_store, message_id)
    assert (
        stored["status"] == "pending" and stored["attempts"] == 1 and "ConnectionRefusedError" in stored["last_error"]
    )
    assert stored["next_attempt_at"] > MONDAY


async def test_a_receiver_that_fails_then_recovers_gets_everything_once(store):
    with ScriptedHttpServer(script=["500", "close", "503", "close", "500"]) as receiver:
        payloads = [{"event": "test", "n": n} for n in range(3)]
        ids = queue(store, "webhook", receiver.url, payloads[:2]) + queue(store, "crm", receiver.url, payloads[2:])
        reports = await deliver_until_settled(store, {"webhook": post_json, "crm": post_json})
    assert sorted(receiver.accepted, key=lambda body: body["n"]) == payloads
    assert receiver.requests == 5 + 3
    # Every attempt at a message carried its key: 8 requests, 3 keys, one recorded body each.
    assert None not in receiver.keys and len(set(receiver.keys)) == 3
    assert sorted(receiver.recorded.values(), key=lambda body: body["n"]) == payloads
    assert sum(report.sent for report in reports) == 3 and sum(report.parked for report in reports) == 0
    stored = [outbox_message(store, message_id) for message_id in ids]
    assert {row["status"] for row in stored} == {"sent"}
    assert sum(row["attempts"] for row in stored) == 8
    assert parked_messages(store) == []


async def test_a_receiver_that_never_recovers_parks_the_message_until_requeued(store):
    with ScriptedHttpServer(then="503") as receiver:
        [message_id] = queue(store, "webhook", receiver.url, [{"event": "test"}])
        reports = await deliver_until_settled(store, {"webhook": post_json})
        assert receiver.requests == POLICY.max_attempts  # and not one more once parked
        assert [report.parked for report in reports].count(1) == 1
        [parked] = parked_messages(store)
        assert parked["id"] == message_id and parked["attempts"] == POLICY.max_attempts
        assert "503 Service Unavailable" in parked["last_error"]

        receiver.then = "ok"  # the receiver is fixed; an operator re-queues the message
        assert requeue(store, message_id, MONDAY)
        assert not requeue(store, message_id, MONDAY)  # only parked messages
        report = await deliver_due(store, {"webhook": post_json}, MONDAY, POLICY)
        assert report.sent == 1 and receiver.accepted == [{"event": "test"}]
    assert parked_messages(store) == []


async def test_a_failed_message_is_not_retried_before_its_backoff(sqlite_store):
    with ScriptedHttpServer(then="500") as receiver:
        queue(sqlite_store, "webhook", receiver.url, [{"event": "test"}])
        first = await deliver_due(sqlite_store, {"webhook": post_json}, MONDAY, POLICY)
        again = await deliver_due(sqlite_store, {"webhook": post_json}, MONDAY + timedelta(seconds=1), POLICY)
    assert (first.retrying, again.retrying, receiver.requests) == (1, 0, 1)


class WorkerCrashed(BaseException):
    """The worker process dying; not an Exception, so deliver_due does not record an outcome."""


async def deliver_with_a_crash_after_sending(store, kind, sender) -> None:
    """Deliver through the real code path while the worker crashes right after the first send,
    before recording it; once the claim runs out, the next round delivers the same row again."""

    async def send_then_crash(target, payload, idempotency_key):
        await sender(target, payload, idempotency_key)
        raise WorkerCrashed

    with pytest.raises(WorkerCrashed):
        await deliver_due(store, {kind: send_then_crash}, MONDAY, POLICY)
    report = await deliver_due(store, {kind: sender}, MONDAY + POLICY.claim_for + timedelta(seconds=1), POLICY)
    assert report.sent == 2


@pytest.mark.parametrize("kind", ["webhook", "crm"])
async def test_a_webhook_sent_again_after_a_crash_has_the_same_key(store, kind):
    payloads = [{"event": "lead.qualified", "n": 1}, {"event": "lead.qualified", "n": 2}]
    with ScriptedHttpServer() as receiver:
        queue(store, kind, receiver.url, payloads)
        await deliver_with_a_crash_after_sending(store, kind, post_json)
    # The first message arrived twice, the second once; a receiver deduplicating by the key
    # (`recorded`) has each once.
    assert receiver.accepted == [payloads[0], payloads[0], payloads[1]]
    first, again, second = receiver.keys
    assert first == again and first is not None and second not in (None, first)
    assert list(receiver.recorded.values()) == payloads


async def test_an_email_sent_again_after_a_crash_has_the_same_message_id(store):
    queue(store, "email", "rep@example.com", [{"subject": "one", "text": "t"}, {"subject": "two", "text": "t"}])
    with LocalSmtpServer() as smtp:
        settings = SmtpSettings(host="127.0.0.1", port=smtp.port, starttls=False, sender="bot@leads.example")
        await deliver_with_a_crash_after_sending(store, "email", default_senders(settings)["email"])
        received = [email.message_from_bytes(e.content, policy=policy.default) for e in smtp.envelopes]
    assert [message["Subject"] for message in received] == ["one", "one", "two"]
    first, again, second = (message["Message-ID"] for message in received)
    assert first == again != second
    assert first.startswith("<") and first.endswith("@leads.example>")


def test_backoff_doubles_up_to_the_ceiling_with_jitter():
    rng = random.Random(1)
    rule = OutboxPolicy(first_retry=timedelta(seconds=30), max_retry=timedelta(minutes=10))
    for attempts, ceiling in [(1, 30), (2, 60), (3, 120), (5, 480), (6, 600), (12, 600)]:
        delays = {retry_delay(attempts, rule, rng) for _ in range(50)}
        assert all(timedelta(seconds=ceiling / 2) <= delay <= timedelta(seconds=ceiling) for delay in delays)
        assert len(delays) > 1  # jittered


async def test_two_workers_never_send_the_same_message(sqlite_store):
    calls = []

    async def slow_sender(target, payload, idempotency_key):
        calls.append(payload["n"])
        await asyncio.sleep(0.05)

    queue(sqlite_store, "webhook", "http://unused.test", [{"n": n} for n in range(5)])
    reports = await asyncio.gather(
        *(deliver_due(sqlite_store, {"webhook": slow_sender}, MONDAY, POLICY) for _ in range(2))
    )
    assert sorted(calls) == [0, 1, 2, 3, 4]
    assert sum(report.sent for report in reports) == 5


async def test_a_kind_without_a_sender_waits(sqlite_store):
    [message_id] = queue(sqlite_store, "email", "rep@example.com", [{"subject": "s", "text": "t"}])
    report = await deliver_due(sqlite_store, default_senders(smtp=None), MONDAY, POLICY)
    assert report.sent == report.retrying == 0
    assert outbox_message(sqlite_store, message_id)["attempts"] == 0


async def test_the_worker_delivers_in_the_background(sqlite_store):
    fast = OutboxPolicy(first_retry=timedelta(milliseconds=10), max_retry=timedelta(milliseconds=50))
    with ScriptedHttpServer(script=["500", "close"]) as receiver:
        with sqlite_store.session() as session:
            message_id = enqueue(session, "webhook", receiver.url, {"event": "test"}).id
        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(sqlite_store, {"webhook": post_json}, stop, fast, poll_seconds=0.02))
        for _ in range(500):  # up to ~10 s on a busy machine
            if outbox_message(sqlite_store, message_id)["status"] == "sent":
                break
            await asyncio.sleep(0.02)
        stop.set()
        await worker
    assert outbox_message(sqlite_store, message_id)["status"] == "sent"
    assert receiver.accepted == [{"event": "test"}]


@pytest.mark.parametrize(
    "kind, target, payload, error",
    [
        ("fax", "x", {}, ValueError),
        ("email", "", {}, ValueError),
        ("webhook", "http://x.test", {"when": MONDAY}, TypeError),  # not JSON: fail in the caller
    ],
)
def test_enqueue_refuses_bad_messages(sqlite_store, kind, target, payload, error):
    with pytest.raises(error), sqlite_store.session() as session:
        enqueue(session, kind, target, payload)


def test_smtp_settings_come_from_the_environment(monkeypatch):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    assert SmtpSettings.from_env() is None  # email then waits in the outbox
    monkeypatch.setenv("SMTP_HOST", "mail.example.com")
    monkeypatch.setenv("SMTP_PORT", "2525")
    monkeypatch.setenv("SMTP_USER", "bot")
    monkeypatch.setenv("SMTP_PASSWORD", "pw")
    monkeypatch.setenv("SMTP_FROM", "sales-bot@example.com")
    monkeypatch.setenv("SMTP_STARTTLS", "false")
    assert SmtpSettings.from_env() == SmtpSettings(
        "mail.example.com", 2525, "bot", "pw", "sales-bot@example.com", False
    )
    monkeypatch.setenv("SMTP_PORT", "smtp")
    with pytest.raises(ValueError, match="SMTP_PORT: must be a whole number, got 'smtp'"):
        SmtpSettings.from_env()


async def test_a_sent_message_keeps_no_token_but_a_failing_one_does(roster, sqlite_store):
    """Issue 9: the rep's plain accept/reject token left outbox.payload once the email was sent."""
    store = sqlite_store
    store.record_answer("v-token", "person_name", "Ada", {"person_name": "Ada"})
    sent = book_meeting(
        store, "berlin", "v-token", MONDAY + timedelta(days=1, hours=1), roster, MONDAY, Notifications()
    )
    with LocalSmtpServer() as smtp:
        port = smtp.port
        senders = default_senders(SmtpSettings(host="127.0.0.1", port=port, starttls=False))
        assert (await deliver_due(store, senders, MONDAY, POLICY)).sent == 1
        [envelope] = smtp.envelopes
    body = email.message_from_bytes(envelope.content, policy=policy.default).get_body(("plain",)).get_content()
    assert f"accept?token={sent.decision_token}" in body  # the rep got the links ...
    with store.session() as session:
        [row] = session.query(OutboxMessage).all()
        stored, message_id = row.payload, row.id
    assert sent.decision_token not in json.dumps(stored)  # ... the database no longer has them
    assert f"/meetings/{sent.meeting_id}/accept?token=[sent]" in stored["text"]
    assert outbox_message(store, message_id)["status"] == "sent"

    # Not delivered yet (nobody listens on the port now): the token stays, it is still needed.
    waiting = book_meeting(
        store, "berlin", "v-wait", MONDAY + timedelta(days=1, hours=4), roster, MONDAY, Notifications()
    )
    assert isinstance(waiting, Booking)
    report = await deliver_due(
        store, default_senders(SmtpSettings(host="127.0.0.1", port=port, starttls=False)), MONDAY, POLICY
    )
    assert report.retrying == 1
    with store.session() as session:
        pending = session.query(OutboxMessage).filter(OutboxMessage.status == "pending").one()
        assert waiting.decision_token in pending.payload["text"]


def test_without_tokens_scrubs_links_and_token_fields():
    payload = {
        "text": "Accept: https://x.test/meetings/1/accept?token=abc-_12\nReject: https://x.test/m?a=1&token=Zz9",
        "token": "plain",
        "access_token": "plain",
        "nested": [{"verify_token": "plain", "url": "https://x.test/v?email_token=qq#frag"}],
        "tokens_left": 3,
        "other": None,
    }
    assert without_tokens(payload) == {
        "text": "Accept: https://x.test/meetings/1/accept?token=[sent]\nReject: https://x.test/m?a=1&token=[sent]",
        "token": "[sent]",
        "access_token": "[sent]",
        "nested": [{"verify_token": "[sent]", "url": "https://x.test/v?email_token=[sent]#frag"}],
        "tokens_left": 3,
        "other": None,
    }


async def test_a_worker_dying_mid_round_holds_back_only_the_message_it_was_sending(store):
    """Claims are taken one message at a time: after a crash while sending the first of two
    messages, another worker sends the second at once instead of waiting out a batch claim."""
    payloads = [{"event": "lead.qualified", "n": 1}, {"event": "lead.qualified", "n": 2}]
    with ScriptedHttpServer() as receiver:
        queue(store, "webhook", receiver.url, payloads)

        async def crash(target, payload, idempotency_key):
            raise WorkerCrashed

        with pytest.raises(WorkerCrashed):
            await deliver_due(store, {"webhook": crash}, MONDAY, POLICY)
        other_worker = await deliver_due(store, {"webhook": post_json}, MONDAY + timedelta(seconds=1), POLICY)
    assert other_worker.sent == 1 and receiver.accepted == [payloads[1]]

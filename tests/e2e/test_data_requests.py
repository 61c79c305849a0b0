"""A visitor asks in the chat for a copy of their data, or for its erasure, against the real
stack: the link arrives by email at the real SMTP server (through the outbox worker), and the
web app's pages behind it export or erase. Nothing about the person is said in the chat."""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import timedelta
from email import policy
from email.parser import BytesParser

import httpx
import pytest
from sqlalchemy import create_engine, text, update

from leaddb import LeadStore, utcnow
from leaddb.data_requests import DataRequest
from tests.support.identity import proof_headers

pytestmark = pytest.mark.e2e

LINK = re.compile(r"http://\S+/privacy/(export|erase)\?token=[\w-]+")


def _say(stack, sender: str, text: str) -> str:
    port = stack.env["RASA_PORT"]
    response = httpx.post(
        f"http://127.0.0.1:{port}/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        headers=proof_headers(sender, stack.env),
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return " ".join(message.get("text", "") for message in response.json())


def _link_sent_to(smtp_server, address: str, kind: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for envelope in list(smtp_server.envelopes):
            if address not in envelope.rcpt_tos:
                continue
            message = BytesParser(policy=policy.default).parsebytes(envelope.content)
            found = LINK.search(message.get_body(preferencelist=("plain",)).get_content())
            if found and found.group(1) == kind:
                return found.group(0)
        time.sleep(0.5)
    raise AssertionError(f"no {kind} link reached {address} within {timeout}s")


def _store(stack) -> LeadStore:
    return LeadStore.from_url(stack.env["DATABASE_URL"])


def _visitor_who_answered_the_first_question(stack, need: str) -> str:
    sender = f"v-{uuid.uuid4()}"
    _say(stack, sender, "hello")
    _say(stack, sender, need)
    return sender


def _mentions(url: str, needle: str) -> int:
    """Rows of any table of that SQLite database holding `needle` in any text column."""
    engine = create_engine(url, future=True)
    count = 0
    try:
        with engine.connect() as connection:
            tables = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").scalars().all()
            for table in tables:
                for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                    count += any(isinstance(value, str) and needle.lower() in value.lower() for value in row)
    finally:
        engine.dispose()
    return count


def test_a_visitor_gets_a_copy_of_their_data_by_a_link_to_their_address(running_stack, smtp_server):
    sender = _visitor_who_answered_the_first_question(
        running_stack, "our reps take two days to call back inbound leads, we want that under an hour"
    )
    address = f"ilse.brandt.{uuid.uuid4().hex[:6]}@fernwerk-example.de"
    # As if given earlier in the conversation: the link goes to the address on the lead.
    _store(running_stack).record_answer(sender, "email", address, {"email": address})
    reply = _say(running_stack, sender, "could you send me a copy of what you've stored on me")
    assert "sent a link" in reply
    assert address not in reply and "two days" not in reply  # nothing about them in the chat

    link = _link_sent_to(smtp_server, address, "export")
    page = httpx.get(link, timeout=30)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    assert "Your data" in page.text and "answers: " in page.text
    download = httpx.get(link + "&download=1", timeout=30)
    assert "attachment" in download.headers["content-disposition"]
    exported = json.loads(download.text)
    assert [lead["visitor_id"] for lead in exported["leads"]] == [sender]
    assert exported["leads"][0]["email"] == address
    answers = {answer["raw_text"] for answer in exported["lead_answers"]}
    assert "our reps take two days to call back inbound leads, we want that under an hour" in answers
    said = [row["data"]["text"] for row in exported["transcript"] if row["type_name"] == "user"]
    assert "could you send me a copy of what you've stored on me" in said
    assert "token_hash" not in download.text

    # An export link can be opened again until it expires; a changed token is no link at all.
    assert httpx.get(link, timeout=30).status_code == 200
    forged = httpx.get(link[:-3] + "xyz", timeout=30)
    assert forged.status_code == 404 and "Link not valid" in forged.text and address not in forged.text
    with _store(running_stack).session() as session:
        session.execute(
            update(DataRequest).where(DataRequest.email == address).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    expired = httpx.get(link, timeout=30)
    assert expired.status_code == 410 and "Link expired" in expired.text and "two days" not in expired.text


def test_erasure_asks_for_the_address_and_removes_the_person_from_both_databases(running_stack, smtp_server):
    sender = _visitor_who_answered_the_first_question(
        running_stack, "demo requests from the website sit in a spreadsheet until friday"
    )
    address = f"noor.haddad.{uuid.uuid4().hex[:6]}@brightkiln-example.com"
    asked = _say(running_stack, sender, "ok actually please wipe everything you have saved about me")
    assert "Which email address" in asked
    done = _say(running_stack, sender, f"it's {address}")
    assert "sent a link" in done and address not in done

    # Someone else, naming an address nothing is stored about, hears exactly the same.
    stranger = f"v-{uuid.uuid4()}"
    _say(running_stack, stranger, "delete any data you hold on me")
    assert _say(running_stack, stranger, f"it's nobody.{uuid.uuid4().hex[:6]}@brightkiln-example.com") == done

    link = _link_sent_to(smtp_server, address, "erase")
    confirm = httpx.get(link, timeout=30)
    assert confirm.status_code == 200 and "Erase my data" in confirm.text
    assert _store(running_stack).get_lead(sender) is not None  # opening the link erased nothing
    token = link.split("token=", 1)[1]
    action = link.split("?", 1)[0]

    foreign = httpx.post(action, data={"token": token}, headers={"Origin": "https://evil.example"}, timeout=30)
    assert foreign.status_code == 403
    assert _store(running_stack).get_lead(sender) is not None

    erased = httpx.post(action, data={"token": token}, timeout=60)
    assert erased.status_code == 200 and "We erased everything" in erased.text
    assert re.search(r"answers: [1-9]", erased.text) and re.search(r"chat transcript events: [1-9]", erased.text)
    assert _store(running_stack).get_lead(sender) is None
    assert _mentions(running_stack.env["DATABASE_URL"], address) == 0
    assert _mentions(running_stack.env["TRACKER_STORE_URL"], address) == 0
    for database in ("DATABASE_URL", "TRACKER_STORE_URL"):
        assert _mentions(running_stack.env[database], "sit in a spreadsheet until friday") == 0

    # Single use: the same link again, shown or posted, is refused with a page that says why.
    for again in (httpx.get(link, timeout=30), httpx.post(action, data={"token": token}, timeout=30)):
        assert again.status_code == 410 and "Link already used" in again.text

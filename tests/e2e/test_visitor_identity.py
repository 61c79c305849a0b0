"""Issue 9, item 3 (visitor identity) against the real stack: knowing a visitor's id is not
enough to act as them. Forged /track events do not move their score, REST messages under their
sender are refused, and a socket claiming their session without the proof neither takes part
in their conversation nor hears the assistant's replies to it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import socketio

from channels.website_socketio import BAD_SESSION
from leaddb import LeadStore
from leaddb.events import visitor_events
from tests.e2e.test_behaviour_changes_tier import ANSWERS
from tests.e2e.test_rest_conversation import _say, _slot
from tests.support.widget import RasaAPI, hang_up

pytestmark = pytest.mark.e2e


def _site_visitor(stack) -> tuple[str, str]:
    """A visitor as the site makes one: (id, proof) from the cookie a page of the web app sets."""
    page = httpx.get(f"http://127.0.0.1:{stack.env['WEB_PORT']}/", timeout=30)
    proof = page.cookies["lq_vid"]
    return proof.split(".")[0], proof


def _rest(stack, sender: str, text: str, headers=None, metadata=None) -> httpx.Response:
    body = {"sender": sender, "message": text, **({"metadata": metadata} if metadata else {})}
    return httpx.post(
        f"http://127.0.0.1:{stack.env['RASA_PORT']}/webhooks/rest/webhook", json=body, headers=headers or {}, timeout=60
    )


def _user_texts(stack, sender: str) -> list[str]:
    return [event["text"] for event in RasaAPI(stack.env).user_events(sender)]


def test_forged_events_under_another_id_do_not_change_the_victims_score(running_stack):
    victim, victim_proof = _site_visitor(running_stack)
    attacker, attacker_proof = _site_visitor(running_stack)
    now = datetime.now(timezone.utc)
    # What turned identical answers from MQL (42) into SQL (72) in the probe.
    events = [
        {"id": str(uuid.uuid4()), "type": kind, "url": "https://beacon.example/pricing", "occurred_at": when}
        for kind, when in [
            *[("pricing_view", (now - timedelta(hours=n + 1)).isoformat()) for n in range(3)],
            ("webinar_attendance", (now - timedelta(hours=4)).isoformat()),
        ]
    ]
    track = f"http://127.0.0.1:{running_stack.env['WEB_PORT']}/track"
    forged = [
        httpx.post(track, json={"visitor_id": victim, "events": events}, cookies=cookies, timeout=30)
        for cookies in ({}, {"lq_vid": attacker_proof})  # no cookie, and the attacker's own
    ]

    # The victim chats with the proof its browser holds (the web app's, checked by Rasa's channel).
    first = _rest(running_stack, victim, "hello", headers={"X-Visitor-Proof": victim_proof})
    assert first.status_code == 200, first.text
    for answer in ANSWERS:
        _say(running_stack, victim, answer)
    store = LeadStore.from_url(running_stack.env["DATABASE_URL"])
    assert _slot(running_stack, victim, "lead_tier") == "mql"
    assert not any("pricing" in reason for reason in store.get_lead(victim)["reasons"])
    assert [response.status_code for response in forged] == [403, 403]
    assert visitor_events(store.engine, victim) == []


def test_rest_messages_under_a_borrowed_sender_are_refused(running_stack):
    victim, victim_proof = _site_visitor(running_stack)
    attacker, attacker_proof = _site_visitor(running_stack)
    assert _rest(running_stack, victim, "hello", headers={"X-Visitor-Proof": victim_proof}).status_code == 200
    for headers, metadata in [
        ({}, None),
        ({"X-Visitor-Proof": attacker_proof}, None),  # a valid proof, of another id
        ({}, {"visitor_proof": attacker_proof}),
        ({"X-Visitor-Proof": victim_proof[:-2] + "xx"}, None),  # tampered
    ]:
        refused = _rest(running_stack, victim, "cancel my meeting please", headers=headers, metadata=metadata)
        assert refused.status_code == 403, refused.text
        assert refused.json()["errors"][0]["field"] == "sender"
        assert "X-Visitor-Proof" in refused.json()["errors"][0]["problem"]
    # A sender never proven has no conversation at all.
    stranger = f"visitor-{uuid.uuid4().hex[:12]}"
    assert _rest(running_stack, stranger, "hi").status_code == 403
    assert _user_texts(running_stack, stranger) == []
    # The proof may travel in the metadata too; it is not stored with the message.
    kept = _rest(running_stack, victim, "what does it cost?", metadata={"visitor_proof": victim_proof, "page": "/"})
    assert kept.status_code == 200, kept.text
    assert _user_texts(running_stack, victim) == ["hello", "what does it cost?"]
    stored_metadata = RasaAPI(running_stack.env).user_events(victim)[-1]["metadata"]
    assert stored_metadata.get("page") == "/" and "visitor_proof" not in stored_metadata


class _Socket:
    def __init__(self, stack, proof: str | None):
        self.stack, self.proof = stack, proof
        self.client = socketio.AsyncClient(reconnection=False)
        self.replies: asyncio.Queue = asyncio.Queue()
        self.confirmed: asyncio.Queue = asyncio.Queue()
        self.client.on("bot_uttered", self.replies.put)
        self.client.on("session_confirm", self.confirmed.put)

    async def start(self, session_id: str) -> str:
        """Connect (the proof in the query, as chat.js sends it), ask for `session_id`; the id confirmed."""
        query = f"?visitor_proof={self.proof}" if self.proof else ""
        await self.client.connect(
            f"http://127.0.0.1:{self.stack.env['RASA_PORT']}{query}",
            headers={"Origin": self.stack.env["ALLOWED_ORIGINS"].split(",")[0]},
            transports=["polling"],
            wait_timeout=20,
        )
        await self.client.emit("session_request", {"session_id": session_id})
        return await asyncio.wait_for(self.confirmed.get(), 20)

    async def say(self, session_id: str, text: str) -> None:
        await self.client.emit("user_uttered", {"message": text, "session_id": session_id})


async def test_a_socket_without_the_proof_gets_neither_the_session_nor_its_replies(running_stack):
    victim, victim_proof = _site_visitor(running_stack)
    owner, intruder = _Socket(running_stack, victim_proof), _Socket(running_stack, None)
    try:
        assert await owner.start(victim) == victim
        given = await intruder.start(victim)
        assert given != victim  # a fresh id of its own

        await owner.say(victim, "hello")
        assert (await asyncio.wait_for(owner.replies.get(), 60)).get("text")
        await asyncio.sleep(3)  # the replies went out together; none came to the intruder
        assert intruder.replies.empty()

        await intruder.say(victim, "cancel my meeting")  # naming the session it was not given
        assert await asyncio.wait_for(intruder.replies.get(), 30) == {"text": BAD_SESSION}
    finally:
        await hang_up(owner.client)
        await hang_up(intruder.client)
    assert _user_texts(running_stack, victim) == ["hello"]


async def test_the_proof_may_come_in_the_connect_auth_object(running_stack):
    victim, victim_proof = _site_visitor(running_stack)
    client = socketio.AsyncClient(reconnection=False)
    confirmed: asyncio.Queue = asyncio.Queue()
    client.on("session_confirm", confirmed.put)
    await client.connect(
        f"http://127.0.0.1:{running_stack.env['RASA_PORT']}",
        headers={"Origin": running_stack.env["ALLOWED_ORIGINS"].split(",")[0]},
        auth={"visitor_proof": victim_proof},
        transports=["polling"],
        wait_timeout=20,
    )
    try:
        await client.emit("session_request", {"session_id": victim})
        assert await asyncio.wait_for(confirmed.get(), 20) == victim
    finally:
        await hang_up(client)

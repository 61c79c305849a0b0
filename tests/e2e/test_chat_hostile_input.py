"""Hostile chat input against the real Rasa: the REST channel answers 400 naming the field
(stock Rasa 3.6.21 gave 500 for `[1]`, made leads of `default`, `../../x` and 5,000-character
senders, and stayed silent on a lone surrogate); the socket.io channel answers politely."""

import asyncio
import json
import sqlite3
import uuid

import httpx
import pytest
import socketio
from hypothesis import given, settings
from hypothesis import strategies as st

from appconfig.inputs import VISITOR_ID
from channels.website_socketio import BAD_SESSION, UNREADABLE_MESSAGE
from leaddb import LeadStore
from tests.support.identity import proof_headers, visitor_proof
from tests.support.widget import RasaAPI, hang_up

pytestmark = pytest.mark.e2e


def _post(stack, content: bytes, sender: str | None = None) -> httpx.Response:
    """POST a raw body; with `sender`'s proof when given."""
    return httpx.post(
        f"http://127.0.0.1:{stack.env['RASA_PORT']}/webhooks/rest/webhook",
        content=content,
        headers={"Content-Type": "application/json", **(proof_headers(sender, stack.env) if sender else {})},
        timeout=60,
    )


def _conversation_ids(stack) -> set[str]:
    path = stack.env["TRACKER_STORE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("SELECT DISTINCT sender_id FROM events")}


@pytest.mark.parametrize(
    "body, fields",
    [
        (b"[1]", ["body"]),
        (b"null", ["body"]),
        (b'"hello"', ["body"]),
        (b'{"message": "hi"}', ["sender"]),
        (b'{"sender": "default", "message": "hi"}', ["sender"]),
        (b'{"sender": "../../x", "message": "hi"}', ["sender"]),
        (b'{"sender": "' + b"a" * 5000 + b'", "message": "hi"}', ["sender"]),
        (b'{"sender": "visitor-1234567\\u0000", "message": "hi"}', ["sender"]),
        (b'{"sender": "visitor-1234567\\n", "message": "hi"}', ["sender"]),
        (b'{"sender": 12345678, "message": "hi"}', ["sender"]),
        (b'{"sender": "visitor-12345678", "message": "hi \\ud800"}', ["message"]),
        (b'{"sender": "visitor-12345678", "message": 5}', ["message"]),
        (b'{"sender": "visitor-12345678", "message": "hi", "metadata": [1]}', ["metadata"]),
        (b'{"sender": "visitor-12345678", "message": "hi", "input_channel": {}}', ["input_channel"]),
    ],
)
def test_a_hostile_rest_body_is_a_400_naming_the_field(running_stack, body, fields):
    before = _conversation_ids(running_stack)
    response = _post(running_stack, body)
    assert response.status_code == 400, response.text
    assert [error["field"] for error in response.json()["errors"]] == fields
    assert _conversation_ids(running_stack) == before  # no conversation started, no lead
    assert LeadStore.from_url(running_stack.env["DATABASE_URL"]).get_lead("default") is None


def test_a_site_visitor_id_still_chats_over_rest(running_stack):
    sender = str(uuid.uuid4())  # what the web app issues
    response = _post(running_stack, f'{{"sender": "{sender}", "message": "hello"}}'.encode(), sender)
    assert response.status_code == 200 and response.json(), response.text


_text = st.text(st.characters(), max_size=30) | st.sampled_from(["\ud800", "\x00", "default", "../../x", "a" * 5000])
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=40, deadline=None)
@given(
    body=_json
    | st.fixed_dictionaries(
        {"sender": _text | _json, "message": _text | _json}, optional={"metadata": _json, "input_channel": _json}
    )
)
def test_fuzzed_rest_bodies_never_give_a_5xx_or_a_stray_conversation(running_stack, body):
    before = _conversation_ids(running_stack)
    sender = body.get("sender") if isinstance(body, dict) else None
    proven = sender if isinstance(sender, str) and VISITOR_ID.fullmatch(sender) else None
    response = _post(running_stack, json.dumps(body).encode(), proven)
    assert response.status_code < 500, response.text
    if response.status_code != 200:
        assert _conversation_ids(running_stack) == before


async def _socket(stack) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(
        f"http://127.0.0.1:{stack.env['RASA_PORT']}",
        headers={"Origin": stack.env["ALLOWED_ORIGINS"].split(",")[0]},
        transports=["polling"],
        wait_timeout=20,
    )
    return client


async def _first_reply(client: socketio.AsyncClient, env, session_id: str | None, message) -> tuple[str, dict]:
    """Ask for `session_id` (with its proof when it is a visitor id) and send `message`."""
    replies: asyncio.Queue = asyncio.Queue()
    confirmed: asyncio.Queue = asyncio.Queue()
    client.on("bot_uttered", replies.put)
    client.on("session_confirm", confirmed.put)
    request = {"session_id": session_id}
    if isinstance(session_id, str) and VISITOR_ID.fullmatch(session_id):
        request["visitor_proof"] = visitor_proof(session_id, env)
    await client.emit("session_request", request)
    confirmed_id = await asyncio.wait_for(confirmed.get(), 20)
    await client.emit("user_uttered", {"message": message, "session_id": session_id or confirmed_id})
    return confirmed_id, await asyncio.wait_for(replies.get(), 60)


@pytest.mark.parametrize("message", ["hi \ud800", 42, ["hi"]])
async def test_an_unreadable_socket_message_gets_a_polite_reply(running_stack, message):
    client = await _socket(running_stack)
    session_id = f"visitor-{uuid.uuid4().hex[:8]}"
    try:
        _, reply = await _first_reply(client, running_stack.env, session_id, message)
    finally:
        await hang_up(client)
    assert reply == {"text": UNREADABLE_MESSAGE}
    assert session_id not in _conversation_ids(running_stack)


@pytest.mark.parametrize("session_id", ["default", "../../x", "a" * 5000, "visitor-1234\x00"])
async def test_a_malformed_session_id_is_replaced_by_a_fresh_one(running_stack, session_id):
    client = await _socket(running_stack)
    try:
        confirmed, _ = await _first_reply(client, running_stack.env, session_id, "hello")
    finally:
        await hang_up(client)
    assert confirmed != session_id and len(confirmed) == 32
    assert session_id not in _conversation_ids(running_stack)


async def test_a_message_under_a_malformed_session_id_is_refused_politely(running_stack):
    client = await _socket(running_stack)
    replies: asyncio.Queue = asyncio.Queue()
    client.on("bot_uttered", replies.put)
    try:
        await client.emit("user_uttered", {"message": "hello", "session_id": "../../x"})
        reply = await asyncio.wait_for(replies.get(), 60)
    finally:
        await hang_up(client)
    assert reply == {"text": BAD_SESSION}
    assert "../../x" not in _conversation_ids(running_stack)


def test_a_nul_in_a_message_is_answered_and_not_stored(running_stack):
    sender = f"visitor-{uuid.uuid4().hex[:8]}"
    response = _post(running_stack, f'{{"sender": "{sender}", "message": "hi\\u0000 there"}}'.encode(), sender)
    assert response.status_code == 200 and response.json(), response.text
    assert [event["text"] for event in RasaAPI(running_stack.env).user_events(sender)] == ["hi there"]

"""Rasa's socket.io channel as the widget uses it: only the site's origins may connect, and the
bot's replies reach the session the client asked for (both broken in stock Rasa 3.6.21)."""

import asyncio
import uuid

import pytest
import socketio

from tests.support.identity import visitor_proof

pytestmark = pytest.mark.e2e


async def _connect(stack, origin: str, proof: str = "") -> socketio.AsyncClient:
    """A socket from a page of `origin`; `proof` in the connect query, as chat.js sends it."""
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(
        f"http://127.0.0.1:{stack.env['RASA_PORT']}" + (f"?visitor_proof={proof}" if proof else ""),
        headers={"Origin": origin},
        transports=["polling"],
        wait_timeout=20,
    )  # Rasa pins an aiohttp too old for the websocket client
    return client


async def test_a_foreign_origin_cannot_open_a_chat_socket(running_stack):
    with pytest.raises(socketio.exceptions.ConnectionError):
        await _connect(running_stack, "http://evil.example")


async def test_the_site_origin_chats_and_gets_replies_in_its_session(running_stack):
    origin = running_stack.env["ALLOWED_ORIGINS"].split(",")[0]
    session_id = f"visitor-{uuid.uuid4().hex[:8]}"
    client = await _connect(running_stack, origin, visitor_proof(session_id, running_stack.env))
    replies: asyncio.Queue = asyncio.Queue()
    confirmed: asyncio.Queue = asyncio.Queue()
    client.on("bot_uttered", replies.put)
    client.on("session_confirm", confirmed.put)
    try:
        await client.emit("session_request", {"session_id": session_id})
        assert await asyncio.wait_for(confirmed.get(), 20) == session_id
        await client.emit(
            "user_uttered",
            {"message": "hi there", "session_id": session_id, "customData": {"timezone": "Europe/Paris"}},
        )
        first = await asyncio.wait_for(replies.get(), 60)
        assert first.get("text")
    finally:
        await client.disconnect()

"""Issue 9, item 3 (rate limits on chat): the real chat channels (REST and socket.io, on their
own Sanic server with an echo in place of the model) limit messages per client address and
per sender, as config/limits.yml `chat:` says: 429 with Retry-After on REST, a polite
"please wait" on socket.io; a refused message reaches no one."""

from __future__ import annotations

import asyncio
import shutil

import httpx
import pytest
import socketio

from appconfig.settings import PROJECT_ROOT
from channels.website_socketio import SLOW_DOWN
from tests.support.identity import proof_headers, visitor_proof
from tests.support.servers import SITE_ORIGIN, running_chat_channel
from tests.support.widget import hang_up

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def limited_channel(tmp_path_factory):
    config_dir = tmp_path_factory.mktemp("chat-limits") / "config"
    shutil.copytree(PROJECT_ROOT / "config", config_dir)
    (config_dir / "limits.yml").write_text(
        "chat:\n  messages_per_minute_per_ip: 5\n  messages_per_minute_per_visitor: 3\n"
    )
    with running_chat_channel(LEADQUAL_ENV="production", LEADQUAL_CONFIG_DIR=str(config_dir)) as server:
        yield server


def _rest(server, sender: str, text: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        headers=proof_headers(sender, server.secret_key),
        timeout=20,
    )


def test_rest_refuses_a_sender_and_then_an_address_over_its_limit(limited_channel):
    first, second = "visitor-limit-0001", "visitor-limit-0002"
    answers = [_rest(limited_channel, first, f"message {n}") for n in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].json() == [{"recipient_id": first, "text": "echo: message 0"}]
    refused = answers[3]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["errors"][0]["field"] == "sender"
    # Another sender from the same address: every message counted against the address (the
    # refused one too), so one more fits in its 5 a minute.
    more = [_rest(limited_channel, second, f"message {n}") for n in range(2)]
    assert [m.status_code for m in more] == [200, 429]
    assert more[1].json()["errors"][0]["field"] == "client address"
    assert int(more[1].headers["Retry-After"]) >= 1


async def test_socket_answers_politely_over_the_limit_and_passes_nothing_on(limited_channel):
    session_id = "visitor-limit-sock01"
    client = socketio.AsyncClient(reconnection=False)
    replies: asyncio.Queue = asyncio.Queue()
    confirmed: asyncio.Queue = asyncio.Queue()
    client.on("bot_uttered", replies.put)
    client.on("session_confirm", confirmed.put)
    await client.connect(
        limited_channel.url,
        headers={"Origin": SITE_ORIGIN},
        auth={"visitor_proof": visitor_proof(session_id, limited_channel.secret_key)},
        transports=["polling"],
        wait_timeout=20,
    )
    try:
        await client.emit("session_request", {"session_id": session_id})
        assert await asyncio.wait_for(confirmed.get(), 20) == session_id
        texts = []
        for n in range(4):
            await client.emit("user_uttered", {"message": f"message {n}", "session_id": session_id})
            texts.append((await asyncio.wait_for(replies.get(), 20))["text"])
    finally:
        await hang_up(client)
    assert texts[:3] == ["echo: message 0", "echo: message 1", "echo: message 2"]
    assert texts[3].startswith(SLOW_DOWN.split("{")[0]) and " s and try again" in texts[3]

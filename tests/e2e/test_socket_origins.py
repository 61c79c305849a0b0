"""Who may open the chat socket, on the real channel (channels/website_socketio.py) served by
Sanic: no Origin only in development, and origins compared by scheme, host and port."""

import asyncio
import json

import httpx
import pytest
import socketio

from tests.support.identity import visitor_proof
from tests.support.servers import SITE_ORIGIN, RunningWebapp, running_chat_channel
from tests.support.widget import hang_up


@pytest.fixture(scope="module")
def production_channel():
    with running_chat_channel(LEADQUAL_ENV="production", PUBLIC_BASE_URL="https://leads.example-site.test") as server:
        yield server


@pytest.fixture(scope="module")
def development_channel():
    with running_chat_channel(LEADQUAL_ENV="development") as server:
        yield server


async def _chat(server: RunningWebapp, headers: dict[str, str]) -> str:
    """Connect (with the visitor's proof), send one message, return the (echoed) reply."""
    client = socketio.AsyncClient(reconnection=False)
    auth = {"visitor_proof": visitor_proof("visitor-origin01", server.secret_key)}
    await client.connect(server.url, headers=headers, auth=auth, transports=["polling"], wait_timeout=20)
    replies: asyncio.Queue = asyncio.Queue()
    client.on("bot_uttered", replies.put)
    try:
        await client.emit("session_request", {"session_id": "visitor-origin01"})
        await client.emit("user_uttered", {"message": "hello", "session_id": "visitor-origin01"})
        return (await asyncio.wait_for(replies.get(), 20))["text"]
    finally:
        await hang_up(client)


def _namespace_answer(server: RunningWebapp, headers: dict[str, str]) -> str:
    """The server's answer to a socket.io connect, spoken in raw engine.io polling: "40" is
    accepted, "44" refused. (The socket.io client takes ~30 s to report a refusal.)"""
    with httpx.Client(base_url=f"{server.url}/socket.io/", headers=headers, timeout=20) as http:
        query = {"EIO": "4", "transport": "polling"}
        handshake = http.get("", params=query)
        assert handshake.status_code == 200 and handshake.text.startswith("0"), handshake.text
        query["sid"] = json.loads(handshake.text[1:])["sid"]
        assert http.post("", params=query, content=b"40").status_code == 200
        return http.get("", params=query).text[:2]


def test_no_origin_is_refused_outside_development(production_channel):
    assert _namespace_answer(production_channel, {}) == "44"


async def test_no_origin_is_allowed_in_development(development_channel):
    assert await _chat(development_channel, {}) == "echo: hello"


@pytest.mark.parametrize(
    "origin",
    [
        SITE_ORIGIN,
        SITE_ORIGIN.upper().replace("HTTPS", "https"),  # host names are not case-sensitive
        SITE_ORIGIN + ":443",  # the default port, written out
        "https://leads.example-site.test",  # PUBLIC_BASE_URL
    ],
)
async def test_the_site_origin_connects_however_it_is_written(production_channel, origin):
    assert await _chat(production_channel, {"Origin": origin}) == "echo: hello"


@pytest.mark.parametrize(
    "origin",
    [
        SITE_ORIGIN.replace("https", "http"),  # same host, other scheme
        SITE_ORIGIN + ":8443",  # same host, other port
        SITE_ORIGIN + ".evil.test",
        "null",
        "https://evil.test",
        "garbage:99999",
    ],
)
def test_another_scheme_host_or_port_is_refused(production_channel, origin):
    assert _namespace_answer(production_channel, {"Origin": origin}) == "44"


def test_the_raw_check_sees_an_accepted_connect(production_channel):
    assert _namespace_answer(production_channel, {"Origin": SITE_ORIGIN}) == "40"

"""The production profile end to end: conversations through nginx to RASA_REPLICAS Rasa
processes and ACTION_REPLICAS action servers, PostgreSQL for leads and trackers, the Redis lock
store, Rasa's events through RabbitMQ into `chat_events`, and several outbox workers."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from pathlib import Path

import aiohttp
import httpx
import pytest
import redis
import socketio
from sqlalchemy import text
from yarl import URL

from tests.support.identity import visitor_proof
from tests.support.load_with_faults import QUESTIONS, answered_slots
from tests.support.production_stack import ProductionStack, wait_for
from tests.support.scripted_visitor import Profile, ScriptedVisitor

pytestmark = pytest.mark.production


async def _visitors(stack: ProductionStack, count: int, first: int = 0) -> list:
    async with httpx.AsyncClient(timeout=120) as client:
        visitors = [ScriptedVisitor(stack.chat_url, Profile(first + n), stack.env) for n in range(count)]
        return await asyncio.gather(*(visitor.run(client) for visitor in visitors))


def _upstreams(stack: ProductionStack, path_pattern: str) -> dict[str, set[str]]:
    """For each request line matching `path_pattern` (one group: the key), the replicas that served it."""
    served: dict[str, set[str]] = defaultdict(set)
    for line in stack.access_log():
        request = re.search(r'"[A-Z]+ (\S+) HTTP', line)
        upstream = re.search(r"upstream=(.+)$", line)
        if request and upstream:
            match = re.search(path_pattern, request.group(1))
            if match:
                # "a, b" when the first replica refused and the next one served the request
                served[match.group(1)].add(upstream.group(1).split(", ")[-1].strip())
    return served


def test_conversations_through_the_proxy_book_meetings_and_land_in_postgres(production_stack: ProductionStack):
    outcomes = asyncio.run(_visitors(production_stack, 4))

    for outcome in outcomes:
        assert outcome.booked, outcome.transcript
        # Every question stored; the industry too where routing asked it (the Netherlands).
        assert (
            QUESTIONS <= answered_slots(production_stack, [outcome.sender])[outcome.sender] <= QUESTIONS | {"industry"}
        )
    with production_stack.conversations.connect() as connection:
        senders = {row[0] for row in connection.execute(text("select distinct sender_id from events"))}
    assert {outcome.sender for outcome in outcomes} <= senders  # Rasa's trackers are in PostgreSQL
    # The replicas count each visitor's messages together, in Redis (webapp/limits.py).
    buckets = redis.Redis(db=int(production_stack.env.get("REDIS_RATE_LIMIT_DB", "2")))
    assert all(buckets.exists(f"leadqual:rate:chat-visitor:{outcome.sender}") for outcome in outcomes)
    # Both Rasa replicas answered REST messages (least-connections spreads them).
    replicas = set().union(*_upstreams(production_stack, r"^(/webhooks/rest/webhook)").values())
    assert len(replicas) == 2, replicas
    with production_stack.leads.connect() as connection:
        meetings = connection.execute(
            text(
                "select l.visitor_id, count(*) from meetings m join leads l on l.id = m.lead_id "
                "where m.status = 'booked' group by l.visitor_id"
            )
        ).all()
    assert {sender: count for sender, count in meetings if sender in {o.sender for o in outcomes}} == {
        outcome.sender: 1 for outcome in outcomes
    }


def test_the_broker_consumer_feeds_chat_events_from_every_replica(production_stack: ProductionStack):
    (outcome,) = asyncio.run(_visitors(production_stack, 1, first=100))

    def stored_messages() -> list[str]:
        with production_stack.leads.connect() as connection:
            return [
                row[0]
                for row in connection.execute(
                    text(
                        "select text from chat_events where sender_id = :s and type = 'user' order by occurred_at, id"
                    ),
                    {"s": outcome.sender},
                )
            ]

    said = [line for who, line in outcome.transcript if who == "visitor"]
    assert wait_for(lambda: stored_messages() == said, timeout=30), (stored_messages(), said)


async def _until_question(replies: list[str], before: int, received: asyncio.Event) -> None:
    while not any(reply.endswith("?") for reply in replies[before:]):
        received.clear()
        await received.wait()


async def _socket_chat(stack: ProductionStack, visitor_id: str, messages: list[str]) -> list[str]:
    replies: list[str] = []
    received = asyncio.Event()
    # Like a browser, send the visitor cookie with every request (python-socketio sends extra
    # headers only with the handshake): the proxy places the conversation by it.
    proof = visitor_proof(visitor_id, stack.env)  # what the site's cookie holds
    jar = aiohttp.CookieJar(unsafe=True)  # unsafe: cookies for an IP address host
    jar.update_cookies({"lq_vid": proof}, URL(stack.chat_url))
    http = aiohttp.ClientSession(cookie_jar=jar)
    client = socketio.AsyncClient(http_session=http)

    @client.on("bot_uttered")
    async def on_reply(data):
        replies.append(data.get("text", ""))
        received.set()

    origin = stack.env.get("PUBLIC_BASE_URL") or f"http://localhost:{stack.env['WEB_PORT']}"
    await client.connect(
        stack.chat_url,
        headers={"Origin": origin},
        transports=["polling"],  # every message a separate HTTP request: stickiness is needed for each
        socketio_path="/socket.io",
    )
    try:
        await client.emit("session_request", {"session_id": visitor_id, "visitor_proof": proof})
        for message in messages:
            before = len(replies)
            await client.emit("user_uttered", {"message": message, "session_id": visitor_id})
            # The turn ends with the assistant's next question (the first turn of a replica
            # that just started takes a while).
            await asyncio.wait_for(_until_question(replies, before, received), timeout=90)
    finally:
        await client.disconnect()
        await http.close()
    return replies


def test_socketio_through_the_proxy_stays_on_one_replica(production_stack: ProductionStack):
    visitors = [f"sock{n}{'0' * 20}{n}" for n in range(4)]

    async def chat_all():
        return await asyncio.gather(
            *(_socket_chat(production_stack, v, ["hi there", "we need faster lead routing"]) for v in visitors)
        )

    transcripts = asyncio.run(chat_all())
    for replies in transcripts:
        assert any("?" in reply for reply in replies), replies  # each got the assistant's question
    sessions = _upstreams(production_stack, r"^/socket\.io/\?.*\bsid=([^&]+)")
    assert sessions, "no socket.io polling requests in the proxy's log"
    assert all(len(replicas) == 1 for replicas in sessions.values()), sessions


def _listening(pid: int) -> set[tuple[str, int]]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().as_posix()
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                address, port = fields[1].split(":")
                found.add((address, int(port, 16)))
    return found


def test_every_process_of_the_profile_listens_on_loopback_only(production_stack: ProductionStack):
    listening = set()
    for pid_file in (production_stack.var_dir / "run").glob("*.pid"):
        listening |= _listening(int(pid_file.read_text()))
    loopback = {"0100007F", "00000000000000000000000001000000"}
    assert listening, "no listening sockets found"
    assert {address for address, _ in listening} <= loopback, listening

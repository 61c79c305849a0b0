"""leaddb.chat_events and the analytics consumer: Rasa's events from a real RabbitMQ queue into
`chat_events`, stored once each, junk dropped, nothing lost while the database refuses writes."""

from __future__ import annotations

import asyncio
import json
import uuid

import aio_pika
import pytest
from sqlalchemy import create_engine, text

from analytics.consumer import RASA_EXCHANGE, ConsumerSettings, consume
from appconfig.settings import DEFAULTS
from leaddb import LeadStore
from leaddb.chat_events import NotAnEvent, chat_event_row, record_chat_events, transcript

USER = {
    "sender_id": "visitor-1",
    "event": "user",
    "timestamp": 1767268800.5,
    "text": "we need faster lead routing\x00",
    "parse_data": {"intent": {"name": "inform", "confidence": 0.9}},
}
BOT = {"sender_id": "visitor-1", "event": "bot", "timestamp": 1767268801.0, "text": "When do you need it?"}
SLOT = {"sender_id": "visitor-1", "event": "slot", "timestamp": 1767268801.2, "name": "email", "value": "a@b.example"}


def test_a_row_keeps_what_was_said_and_never_a_slots_value():
    user, slot = chat_event_row(USER), chat_event_row(SLOT)
    assert (user["type"], user["name"], user["text"]) == ("user", "inform", "we need faster lead routing")
    assert (slot["name"], slot["text"]) == ("email", None)
    assert "a@b.example" not in json.dumps({k: v for k, v in slot.items() if k != "occurred_at"})
    assert chat_event_row({**USER, "event": "user_featurization"}) is None  # a type not kept
    for junk in ([1], {"event": "user"}, {**USER, "timestamp": "noon"}, {**USER, "timestamp": 1e300}):
        with pytest.raises(NotAnEvent):
            chat_event_row(junk)


def test_the_same_event_twice_is_stored_once_and_read_back_in_order(database_url):
    store = LeadStore.from_url(database_url)
    assert record_chat_events(store.engine, [chat_event_row(USER), chat_event_row(BOT)]) == 2
    assert record_chat_events(store.engine, [chat_event_row(BOT), chat_event_row(SLOT)]) == 1
    assert [(line["who"], line["text"]) for line in transcript(store.engine, "visitor-1")] == [
        ("visitor", "we need faster lead routing"),
        ("assistant", "When do you need it?"),
    ]


async def _publish(queue: str, bodies: list[bytes]) -> None:
    connection = await aio_pika.connect_robust(DEFAULTS.event_broker_url)
    async with connection:
        channel = await connection.channel()
        # As Rasa's pika broker does: a fanout exchange bound to durable queues.
        exchange = await channel.declare_exchange(RASA_EXCHANGE, type=aio_pika.ExchangeType.FANOUT)
        bound = await channel.declare_queue(queue, durable=True)
        await bound.bind(exchange, "")
        for body in bodies:
            await exchange.publish(aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT), "")


async def _messages_left(queue: str) -> int:
    connection = await aio_pika.connect_robust(DEFAULTS.event_broker_url)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, durable=True, passive=True)
        count = declared.declaration_result.message_count
        await channel.queue_delete(queue)
        return count


@pytest.fixture
def queue_name():
    return f"leadqual_test_{uuid.uuid4().hex[:10]}"


def _rows(engine) -> list[tuple[str, str | None]]:
    with engine.connect() as connection:
        return connection.execute(text("select type, text from chat_events order by occurred_at, id")).all()


async def _consume_until(engine, queue: str, condition, timeout: float = 30):
    stop = asyncio.Event()
    task = asyncio.create_task(
        consume(ConsumerSettings(DEFAULTS.event_broker_url, queue, retry_seconds=0.2), engine, stop)
    )
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition() and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.2)
    stop.set()
    return await asyncio.wait_for(task, timeout=10)


def test_the_consumer_stores_each_event_once_and_drops_what_is_not_an_event(sqlite_url, queue_name):
    store = LeadStore.from_url(sqlite_url)
    bodies = [json.dumps(USER).encode(), json.dumps(BOT).encode(), json.dumps(BOT).encode(), b"not json", b"[1]"]

    async def scenario():
        await _publish(queue_name, bodies)
        counts = await _consume_until(store.engine, queue_name, lambda: len(_rows(store.engine)) >= 2)
        return counts, await _messages_left(queue_name)

    counts, left = asyncio.run(scenario())
    assert _rows(store.engine) == [("user", "we need faster lead routing"), ("bot", "When do you need it?")]
    assert (counts.stored, counts.duplicates, counts.dropped) == (2, 1, 2)
    assert left == 0  # everything acknowledged


def test_events_wait_in_the_queue_while_the_database_refuses_them(tmp_path, queue_name):
    # A database without the chat_events table yet refuses every write (an outage as far as
    # the consumer can tell); once migrated, the same messages are stored.
    url = f"sqlite:///{tmp_path / 'leads.db'}"
    engine = create_engine(url, future=True)

    async def scenario():
        await _publish(queue_name, [json.dumps(USER).encode(), json.dumps(BOT).encode()])
        consumer = asyncio.create_task(
            consume(ConsumerSettings(DEFAULTS.event_broker_url, queue_name, retry_seconds=0.2), engine, stop)
        )
        await asyncio.sleep(2)  # several refused attempts
        refused_meanwhile = not consumer.done()
        await asyncio.to_thread(LeadStore.from_url, url)  # the database comes back, migrated
        while len(_rows(engine)) < 2:
            await asyncio.sleep(0.2)
        stop.set()
        counts = await asyncio.wait_for(consumer, timeout=10)
        return refused_meanwhile, counts, await _messages_left(queue_name)

    stop = asyncio.Event()
    refused_meanwhile, counts, left = asyncio.run(scenario())
    assert refused_meanwhile and counts.stored == 2 and left == 0

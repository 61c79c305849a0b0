"""Consume Rasa's events from RabbitMQ and store them in `chat_events`, in batches.

Rasa's pika broker publishes every new tracker event to a fanout exchange (`rasa-exchange`)
bound to durable queues. The consumer declares the same exchange and queue, so it may start
before or after Rasa and messages published meanwhile wait in the queue.

Delivery is at least once: a batch is acknowledged only after its transaction commits. When the
database is down the batch goes back to the queue and the consumer waits and retries, so an
outage delays the feed and loses nothing; a redelivered event is stored once (`event_key`).
A message that is not a Rasa event is logged and dropped, never retried forever.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractIncomingMessage
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from leaddb.chat_events import NotAnEvent, chat_event_row, record_chat_events

log = logging.getLogger(__name__)

RASA_EXCHANGE = "rasa-exchange"  # rasa.core.brokers.pika.RABBITMQ_EXCHANGE


@dataclass(frozen=True)
class ConsumerSettings:
    broker_url: str
    queue: str
    batch_size: int = 500
    batch_wait_seconds: float = 0.2
    retry_seconds: float = 2.0


@dataclass
class Counts:
    stored: int = 0
    duplicates: int = 0
    skipped: int = 0  # event types not kept
    dropped: int = 0  # not Rasa events


def rows_of(messages: list[AbstractIncomingMessage], counts: Counts) -> list[dict]:
    rows = []
    for message in messages:
        try:
            row = chat_event_row(json.loads(message.body))
        except (NotAnEvent, ValueError) as error:  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
            counts.dropped += 1
            log.warning("dropped a broker message that is not a Rasa event: %s", error)
            continue
        if row is None:
            counts.skipped += 1
        else:
            rows.append(row)
    return rows


async def consume(settings: ConsumerSettings, engine: Engine, stop: asyncio.Event | None = None) -> Counts:
    """Run until `stop` is set (forever without one); returns what was stored."""
    stop = stop or asyncio.Event()
    counts = Counts()
    connection = await aio_pika.connect_robust(settings.broker_url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=settings.batch_size * 2)
        # Declared exactly as Rasa's broker declares them, or RabbitMQ refuses the second one.
        exchange = await channel.declare_exchange(RASA_EXCHANGE, type=aio_pika.ExchangeType.FANOUT)
        queue = await channel.declare_queue(settings.queue, durable=True)
        await queue.bind(exchange, "")
        pending: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        tag = await queue.consume(pending.put)
        log.info("consuming %s into chat_events", settings.queue)
        try:
            while not stop.is_set():
                batch = await _next_batch(pending, settings, stop)
                if batch:
                    await _store(batch, engine, settings, counts)
        finally:
            await queue.cancel(tag)
    return counts


async def _next_batch(
    pending: asyncio.Queue[AbstractIncomingMessage], settings: ConsumerSettings, stop: asyncio.Event
) -> list[AbstractIncomingMessage]:
    try:
        first = await asyncio.wait_for(pending.get(), timeout=0.5)
    except asyncio.TimeoutError:
        return []
    batch = [first]
    deadline = asyncio.get_running_loop().time() + settings.batch_wait_seconds
    while len(batch) < settings.batch_size and not stop.is_set():
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            break
        try:
            batch.append(await asyncio.wait_for(pending.get(), timeout=remaining))
        except asyncio.TimeoutError:
            break
    return batch


async def _store(
    batch: list[AbstractIncomingMessage], engine: Engine, settings: ConsumerSettings, counts: Counts
) -> None:
    rows = rows_of(batch, counts)
    while True:
        try:
            new = await asyncio.to_thread(record_chat_events, engine, rows)
            break
        except SQLAlchemyError as error:
            # The database is down or restarting: keep the batch unacknowledged and try again.
            log.warning(
                "could not store %d chat events (%s); retrying in %.0fs",
                len(rows),
                type(error).__name__,
                settings.retry_seconds,
            )
            await asyncio.sleep(settings.retry_seconds)
    counts.stored += new
    counts.duplicates += len(rows) - new
    await batch[-1].ack(multiple=True)  # the channel delivers in order: this acknowledges the batch

"""What was said in each conversation, as Rasa's event broker streamed it (production profile):
the table reporting and the console read, so they never query Rasa's tracker store.

One row per user message, bot message, action and slot set. Rasa publishes a tracker's new
events after every turn and RabbitMQ may deliver a message twice (a consumer that died before
acknowledging); `event_key`, a hash of the event itself, keeps a redelivered event from being
stored twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Column, Index, Integer, String, Text, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from .base import Base, UTCDateTime

# Rasa event types kept: what was said, what the assistant did, what it remembered.
KEPT_TYPES = ("user", "bot", "action", "slot", "session_started")
MAX_TEXT = 5000


class ChatEvent(Base):
    __tablename__ = "chat_events"

    id = Column(Integer, primary_key=True)
    event_key = Column(String(64), nullable=False, unique=True)
    sender_id = Column(String(255), nullable=False)
    type = Column(String(32), nullable=False)
    # user: the intent; action: the action; slot: the slot's name (its value is not copied).
    name = Column(String(255))
    text = Column(Text)  # user and bot messages only
    occurred_at = Column(UTCDateTime, nullable=False)
    received_at = Column(UTCDateTime, nullable=False, server_default=func.now())

    __table_args__ = (Index("ix_chat_events_sender_time", "sender_id", "occurred_at"),)


class NotAnEvent(ValueError):
    """A broker message that is not one of Rasa's events (logged and dropped, never retried)."""


def _clean(value: Any, limit: int) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    # PostgreSQL text holds no NUL, UTF-8 no lone surrogate.
    cleaned = value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return cleaned[:limit]


def chat_event_row(message: Mapping[str, Any]) -> dict[str, Any] | None:
    """The row for one broker message (Rasa's event as a dict plus `sender_id`); None for an
    event type that is not kept. Raises NotAnEvent for anything else."""
    if not isinstance(message, Mapping):
        raise NotAnEvent("not a JSON object")
    sender_id, kind, timestamp = message.get("sender_id"), message.get("event"), message.get("timestamp")
    if not isinstance(sender_id, str) or not sender_id or not isinstance(kind, str):
        raise NotAnEvent("no sender_id or event")
    if not isinstance(timestamp, (int, float)) or isinstance(timestamp, bool):
        raise NotAnEvent("no numeric timestamp")
    if kind not in KEPT_TYPES:
        return None
    try:
        occurred_at = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    except (OverflowError, OSError, ValueError) as error:
        raise NotAnEvent(f"timestamp out of range: {timestamp}") from error
    name: Any = None
    if kind == "user":
        name = (message.get("parse_data") or {}).get("intent", {}).get("name")
    elif kind in ("action", "slot"):
        name = message.get("name")
    # The whole event, in a canonical form, identifies it: the same event delivered twice has
    # the same key; two messages with the same words at different times do not.
    canonical = json.dumps(message, sort_keys=True, ensure_ascii=True, default=str)
    return {
        "event_key": hashlib.sha256(canonical.encode()).hexdigest(),
        "sender_id": _clean(sender_id, 255),
        "type": kind,
        "name": _clean(name, 255),
        "text": _clean(message.get("text"), MAX_TEXT) if kind in ("user", "bot") else None,
        "occurred_at": occurred_at,
    }


def record_chat_events(engine: Engine, rows: Iterable[dict[str, Any]]) -> int:
    """Store rows in one transaction, skipping any already stored; returns how many were new."""
    rows = list(rows)
    if not rows:
        return 0
    insert = postgresql_insert if engine.dialect.name == "postgresql" else sqlite_insert
    statement = insert(ChatEvent.__table__).on_conflict_do_nothing(index_elements=["event_key"])
    with engine.begin() as connection:
        return connection.execute(statement, rows).rowcount or 0


def transcript(engine: Engine, sender_id: str) -> list[dict[str, Any]]:
    """The conversation's messages in order: [{"who": "visitor" | "assistant", "text", "at"}]."""
    table = ChatEvent.__table__
    query = (
        select(table.c.type, table.c.text, table.c.occurred_at)
        .where(table.c.sender_id == sender_id, table.c.type.in_(("user", "bot")), table.c.text.is_not(None))
        .order_by(table.c.occurred_at, table.c.id)
    )
    with engine.connect() as connection:
        return [
            {"who": "visitor" if kind == "user" else "assistant", "text": text, "at": at}
            for kind, text, at in connection.execute(query)
        ]

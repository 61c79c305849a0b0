"""Behavioural events sent by tracker.js (and server-side sources such as an email tool).

Ingest is idempotent: an event id seen before (for the same visitor) is counted as a
duplicate, never stored twice, so a browser may resend a batch whose answer it did not receive.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias

from sqlalchemy import JSON, Column, String, Text, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from .base import Base, UTCDateTime

EVENT_TYPES = (
    "page_view",
    "pricing_view",
    "content_download",
    "webinar_registration",
    "webinar_attendance",
    "form_submit",
    "demo_request",  # a "book a demo" / "contact sales" button or form
    "email_open",
    "email_click",
    "unsubscribe",
)

UTM_FIELDS = ("source", "medium", "campaign", "term", "content")


class Event(Base):
    __tablename__ = "events"

    # (visitor_id, event_id) identifies an event: the event id is tracker.js's random UUID,
    # and a resent batch carries the same pair, so ON CONFLICT DO NOTHING skips it. Leading
    # with visitor_id, this one key also serves "this visitor's events", so an insert updates
    # one index instead of two (what bounds ingest speed on a large table).
    visitor_id = Column(String(128), primary_key=True)
    event_id = Column(String(64), primary_key=True)
    type = Column(String(32), nullable=False)
    url = Column(Text)
    referrer = Column(Text)
    utm_source = Column(String(255))
    utm_medium = Column(String(255))
    utm_campaign = Column(String(255))
    utm_term = Column(String(255))
    utm_content = Column(String(255))
    properties = Column(JSON)
    occurred_at = Column(UTCDateTime, nullable=False)
    received_at = Column(UTCDateTime, nullable=False, server_default=func.now())  # the database clock


@dataclass(frozen=True)
class TrackedEvent:
    """One event as ingested and as read back (by scoring and the assistant).

    `occurred_at` is timezone-aware; `utm` has keys from UTM_FIELDS."""

    event_id: str
    visitor_id: str
    type: str
    occurred_at: datetime
    url: str | None = None
    referrer: str | None = None
    utm: dict[str, str] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int


EngineOrSessions: TypeAlias = Engine | sessionmaker


def _engine(target: EngineOrSessions) -> Engine:
    if isinstance(target, Engine):
        return target
    bind = target.kw.get("bind") if isinstance(target, sessionmaker) else None
    if bind is None:
        raise TypeError(f"expected an Engine or a bound sessionmaker, got {type(target).__name__}")
    return bind


def _row(event: TrackedEvent) -> dict[str, Any]:
    utm = event.utm
    return {
        "visitor_id": event.visitor_id,
        "event_id": event.event_id,
        "type": event.type,
        "url": event.url,
        "referrer": event.referrer,
        "utm_source": utm.get("source"),
        "utm_medium": utm.get("medium"),
        "utm_campaign": utm.get("campaign"),
        "utm_term": utm.get("term"),
        "utm_content": utm.get("content"),
        "properties": event.properties or None,
        "occurred_at": event.occurred_at,
    }


def ingest_events(target: EngineOrSessions, events: Iterable[TrackedEvent]) -> IngestResult:
    """Store a batch of already-validated events in one transaction.

    Events already stored, or repeated within the batch, are counted as duplicates.
    """
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    given = 0
    for event in events:
        given += 1
        rows.setdefault((event.visitor_id, event.event_id), _row(event))
    if not rows:
        return IngestResult(accepted=0, duplicates=0)

    engine = _engine(target)
    table = Event.__table__
    with engine.begin() as connection:
        # One executemany; ON CONFLICT DO NOTHING turns a known id into a no-op, not an error.
        if engine.dialect.name == "postgresql":
            # psycopg2 sends the batch in pages, so rowcount covers only the last page;
            # RETURNING lists every row actually inserted.
            statement = (
                postgresql_insert(table)
                .on_conflict_do_nothing(index_elements=["visitor_id", "event_id"])
                .returning(table.c.event_id)
            )
            accepted = len(connection.execute(statement, list(rows.values())).all())
        elif engine.dialect.name == "sqlite":
            statement = sqlite_insert(table).on_conflict_do_nothing(index_elements=["visitor_id", "event_id"])
            accepted = connection.execute(statement, list(rows.values())).rowcount
        else:
            raise NotImplementedError(f"event ingest supports SQLite and PostgreSQL, not {engine.dialect.name}")
    return IngestResult(accepted=accepted, duplicates=given - accepted)


def visitor_events(target: EngineOrSessions, visitor_id: str, since: datetime | None = None) -> list[TrackedEvent]:
    """One visitor's events, oldest first; only those that occurred at or after `since`."""
    table = Event.__table__
    query = select(table).where(table.c.visitor_id == visitor_id).order_by(table.c.occurred_at, table.c.event_id)
    if since is not None:
        query = query.where(table.c.occurred_at >= since)
    with _engine(target).connect() as connection:
        return [
            TrackedEvent(
                event_id=row["event_id"],
                visitor_id=row["visitor_id"],
                type=row["type"],
                occurred_at=row["occurred_at"],
                url=row["url"],
                referrer=row["referrer"],
                utm={name: row[f"utm_{name}"] for name in UTM_FIELDS if row[f"utm_{name}"] is not None},
                properties=row["properties"] or {},
            )
            for row in connection.execute(query).mappings()
        ]

"""Behavioural events sent by tracker.js (and server-side sources such as an email tool).

Ingest is idempotent: an event id seen before (for the same visitor) is counted as a
duplicate, never stored twice, so a browser may resend a batch whose answer it did not receive.
`ingest_events` is the bulk path (/track and imports use it): COPY on PostgreSQL, one
executemany on SQLite, an invalid event refusing its whole batch on both.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias

from sqlalchemy import JSON, Column, String, Text, bindparam, func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.sql import Select

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


class InvalidEvent(ValueError):
    """An event the events table must not hold; the whole batch is refused, nothing stored."""

    def __init__(self, index: int, field: str, problem: str):
        super().__init__(f"event {index}: {field} {problem}")
        self.index, self.field, self.problem = index, field, problem


_COLUMNS = (
    "visitor_id",
    "event_id",
    "type",
    "url",
    "referrer",
    *(f"utm_{name}" for name in UTM_FIELDS),
    "properties",
    "occurred_at",
)
_KNOWN_TYPES = frozenset(EVENT_TYPES)
_NO_UTM: tuple[str | None, ...] = (None,) * len(UTM_FIELDS)


def _values(index: int, event: TrackedEvent) -> tuple[Any, ...]:
    """The row's column values (in _COLUMNS order), properties as JSON text, after checking
    what the table must not hold. The column lengths are checked here because PostgreSQL
    enforces them and SQLite does not, so a batch is refused alike on both. Empty optional text
    is stored as NULL on both (Python's CSV writer, which feeds COPY, writes both alike)."""
    # Checked inline, without a schema library: this runs once per event on the ingest path.
    for name, value, limit in (("visitor_id", event.visitor_id, 128), ("event_id", event.event_id, 64)):
        if type(value) is not str or not 0 < len(value) <= limit:
            raise InvalidEvent(index, name, f"must be text of 1-{limit} characters, got {value!r:.80}")
    if type(event.type) is not str or event.type not in _KNOWN_TYPES:
        raise InvalidEvent(index, "type", f"unknown event type {event.type!r:.80}")
    occurred_at = event.occurred_at
    if not isinstance(occurred_at, datetime) or occurred_at.tzinfo is None:
        raise InvalidEvent(index, "occurred_at", "must be a timezone-aware datetime (naive datetime given)")
    url, referrer = event.url or None, event.referrer or None
    for name, link in (("url", url), ("referrer", referrer)):
        if link is not None and (type(link) is not str or "\x00" in link):  # PostgreSQL text has no NUL
            raise InvalidEvent(index, name, "must be text without NUL characters, or None")
    utm = _NO_UTM
    if event.utm:
        unknown = set(event.utm) - set(UTM_FIELDS)
        if unknown:
            raise InvalidEvent(index, "utm", f"has unknown keys {sorted(unknown)}")
        utm = tuple(event.utm.get(name) or None for name in UTM_FIELDS)
        for text in utm:
            if text is not None and (type(text) is not str or len(text) > 255 or "\x00" in text):
                raise InvalidEvent(index, "utm", "values must be text of at most 255 characters without NUL")
    properties: str | None = None
    if event.properties:
        try:
            properties = json.dumps(event.properties, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvalidEvent(index, "properties", f"must be JSON: {exc}") from None
        if "\\u0000" in properties:
            raise InvalidEvent(index, "properties", "must not contain NUL characters")
    return (event.visitor_id, event.event_id, event.type, url, referrer, *utm, properties, occurred_at)


def ingest_events(target: EngineOrSessions, events: Iterable[TrackedEvent]) -> IngestResult:
    """Store a batch of events in one transaction: the bulk path, for /track and imports.

    Events already stored, or repeated within the batch, are counted as duplicates. An invalid
    event (InvalidEvent: unknown type, naive time, over-long id, NUL, ...) refuses the whole
    batch: the transaction is rolled back, nothing of it is stored.
    """
    batch = list(events)
    if not batch:
        return IngestResult(accepted=0, duplicates=0)
    engine = _engine(target)
    if engine.dialect.name == "postgresql":
        accepted = _copy_postgresql(engine, _unique_rows(batch))
    elif engine.dialect.name == "sqlite":
        accepted = _insert_sqlite(engine, _unique_rows(batch))
    else:
        raise NotImplementedError(f"event ingest supports SQLite and PostgreSQL, not {engine.dialect.name}")
    return IngestResult(accepted=accepted, duplicates=len(batch) - accepted)


def _unique_rows(batch: list[TrackedEvent]) -> Iterator[tuple[Any, ...]]:
    """The checked rows of the batch, each (visitor_id, event_id) once, made as the database
    reads them (so on PostgreSQL, Python makes the next rows while the server stores the last)."""
    seen: set[tuple[str, str]] = set()
    for index, event in enumerate(batch):
        key = (event.visitor_id, event.event_id)
        if key not in seen:
            seen.add(key)
            yield _values(index, event)


class _CsvStream:
    """What psycopg2's copy_expert reads from: CSV written from `rows` as it asks for more.
    An InvalidEvent met on the way is kept, since psycopg2 reports it only as a cancelled COPY."""

    def __init__(self, rows: Iterable[tuple[Any, ...]]):
        self._rows = iter(rows)
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\n")
        self.error: InvalidEvent | None = None

    def read(self, size: int = -1) -> str:
        buffer, writer = self._buffer, self._writer
        try:
            for row in self._rows:
                writer.writerow((*row[:-1], row[-1].isoformat()))  # the offset included: any zone reads right
                if 0 < size <= buffer.tell():
                    break
        except InvalidEvent as error:
            self.error = error
            raise
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text


_COLUMN_LIST = ", ".join(_COLUMNS)
_UNIQUE_VIOLATION = "23505"


def _copy_postgresql(engine: Engine, rows: Iterator[tuple[Any, ...]]) -> int:
    """COPY the batch straight into the table. A batch with an event stored before (a resend)
    fails that COPY on the primary key; it is then rolled back to a savepoint and the batch goes
    through a session-local staging table and one INSERT ... SELECT ... ON CONFLICT DO NOTHING,
    which skips the known events. Both counts are exactly the events stored. COPY spares the
    per-row statement work of INSERT, and going straight in spares the staging copy in the
    usual case (new events); together they roughly double ingest."""
    sent: list[tuple[Any, ...]] = []

    def keeping() -> Iterator[tuple[Any, ...]]:
        for row in rows:
            sent.append(row)
            yield row

    with engine.begin() as connection:
        savepoint = connection.begin_nested()
        try:
            accepted = _copy(connection, "events", keeping())
            savepoint.commit()
            return accepted
        except DBAPIError as error:
            if getattr(error.orig, "pgcode", None) != _UNIQUE_VIOLATION:
                raise
            savepoint.rollback()
        sent.extend(rows)  # those the failed COPY had not read yet
        # Kept per connection and emptied at each commit, so a resend does not pay for DDL.
        connection.exec_driver_sql(
            "CREATE TEMP TABLE IF NOT EXISTS events_incoming (LIKE events INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        _copy(connection, "events_incoming", sent)
        return connection.exec_driver_sql(
            f"INSERT INTO events ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM events_incoming"
            " ON CONFLICT (visitor_id, event_id) DO NOTHING"
        ).rowcount


def _copy(connection: Connection, table: str, rows: Iterable[tuple[Any, ...]]) -> int:
    """COPY `rows` into `table` on the driver's cursor (COPY has no SQLAlchemy API); its errors
    are raised as SQLAlchemy's, as every other database error is."""
    statement = f"COPY {table} ({_COLUMN_LIST}) FROM STDIN WITH (FORMAT csv)"
    stream = _CsvStream(rows)
    dbapi_error = connection.dialect.dbapi.Error
    cursor = connection.connection.cursor()
    try:
        cursor.copy_expert(statement, stream, size=32768)
        return cursor.rowcount
    except dbapi_error as error:
        if stream.error is not None:
            raise stream.error from None
        raise DBAPIError.instance(statement, None, error, dbapi_error, hide_parameters=True) from error
    finally:
        cursor.close()


def _insert_sqlite(engine: Engine, rows: Iterator[tuple[Any, ...]]) -> int:
    """One executemany of INSERT ... ON CONFLICT DO NOTHING; the time column goes through
    SQLAlchemy's own conversion, so reads and comparisons see the format they expect."""
    column_type = Event.__table__.c.occurred_at.type.dialect_impl(engine.dialect)
    stored_time = column_type.bind_processor(engine.dialect)
    values = [(*row[:-1], stored_time(row[-1])) for row in rows]  # checked before the database is touched
    placeholders = ", ".join("?" for _ in _COLUMNS)
    with engine.begin() as connection:
        return connection.exec_driver_sql(
            f"INSERT INTO events ({_COLUMN_LIST}) VALUES ({placeholders})"
            " ON CONFLICT (visitor_id, event_id) DO NOTHING",
            values,
        ).rowcount


def _visitor_query(since: bool) -> Select:
    c = Event.__table__.c
    query = (
        select(c.event_id, c.type, c.occurred_at, c.url, c.referrer, c.properties, *(c[f"utm_{n}"] for n in UTM_FIELDS))
        .where(c.visitor_id == bindparam("visitor_id"))
        .order_by(c.occurred_at, c.event_id)
    )
    return query.where(c.occurred_at >= bindparam("since")) if since else query


# Built once: building a query and its cache key on each call was most of a small visitor's read.
_VISITOR_EVENTS = _visitor_query(since=False)
_VISITOR_EVENTS_SINCE = _visitor_query(since=True)


def visitor_events(target: EngineOrSessions, visitor_id: str, since: datetime | None = None) -> list[TrackedEvent]:
    """One visitor's events, oldest first; only those that occurred at or after `since`."""
    with _engine(target).connect() as connection:
        if since is None:
            rows = connection.execute(_VISITOR_EVENTS, {"visitor_id": visitor_id}).all()
        else:
            rows = connection.execute(_VISITOR_EVENTS_SINCE, {"visitor_id": visitor_id, "since": since}).all()
    # Plain tuples, unpacked by position: this runs for every event a visitor has when scored.
    return [
        TrackedEvent(
            event_id=event_id,
            visitor_id=visitor_id,
            type=kind,
            occurred_at=occurred_at,
            url=url,
            referrer=referrer,
            utm={name: value for name, value in zip(UTM_FIELDS, utm) if value is not None} if any(utm) else {},
            properties=properties or {},
        )
        for event_id, kind, occurred_at, url, referrer, properties, *utm in rows
    ]

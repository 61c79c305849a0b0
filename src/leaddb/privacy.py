"""A person's data: everything stored about them (export), removing it (erase), and the
retention period after which raw events and chat transcripts are deleted (purge).

A person is found by email address or visitor id. From either, the lead database gives the
person's leads (every lead with that address, compared without case) and so their visitor
ids, which are also their chat sender ids in Rasa's tracker store. A transcript that mentions
the address counts as theirs too (a visitor who typed it in a conversation of another id).

Rasa's tracker store (`TRACKER_STORE_URL`, the SQL tracker store of endpoints.yml) is read
and changed with SQLAlchemy directly: its `events` table (id, sender_id, type_name,
timestamp, intent_name, action_name, data), as Rasa's `SQLTrackerStore` creates it.

Erasing deletes the person's rows (leads and everything hanging off them, their behaviour
events, their transcripts) and the outbox messages addressed to them or mentioning their
address, visitor id or name; it keeps no copy. Funnel figures lose those leads with them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    cast,
    create_engine,
    delete,
    func,
    or_,
    select,
)
from sqlalchemy import inspect as inspect_schema
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session

from .base import utcnow
from .chat_events import ChatEvent
from .data_requests import DataRequest
from .events import Event
from .experiments import LeadExperiment
from .leads import Lead, LeadAnswer, PersonRequest, QualificationDecision, StageTransition
from .meetings import HandoffAudit, LeadAssignment, Meeting, OfferedTime
from .outbox import OutboxMessage
from .store import LeadStore

# Rasa's SQLTrackerStore.SQLEvent, column for column (rasa/core/tracker_store.py).
_tracker_metadata = MetaData()
TRACKER_EVENTS = Table(
    "events",
    _tracker_metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)

# Tables hanging off a lead (lead_id), in the order they are exported and erased.
LEAD_CHILDREN = (
    LeadAnswer,
    QualificationDecision,
    StageTransition,
    PersonRequest,
    LeadAssignment,
    HandoffAudit,
    Meeting,
    OfferedTime,
    LeadExperiment,
)
# Never handed out: the hash of the rep's accept/reject token is the rep's secret, not the visitor's data.
_NOT_EXPORTED = {"meetings": {"decision_token_hash"}, "data_requests": {"token_hash"}}
# How long a data request link's row outlives the link, so that a late click is told it expired.
DATA_REQUESTS_KEPT = timedelta(days=7)


class TrackerStore:
    """Rasa's SQL tracker store, or nothing when it does not exist yet (no conversation so far:
    a SQLite file that is not there is not created by looking for it)."""

    def __init__(self, url: str | None):
        self.url = url
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine | None:
        if self._engine is None and self.url:
            parsed = make_url(self.url)
            if parsed.get_backend_name() == "sqlite":
                if not parsed.database or parsed.database == ":memory:" or not Path(parsed.database).exists():
                    return None
                self._engine = create_engine(self.url, future=True, connect_args={"timeout": 30})
            else:
                self._engine = create_engine(self.url, future=True, pool_pre_ping=True)
        return self._engine

    def table(self) -> Table | None:
        """The events table, when the store has one of Rasa's shape."""
        engine = self.engine
        if engine is None or not inspect_schema(engine).has_table("events"):
            return None
        columns = {column["name"] for column in inspect_schema(engine).get_columns("events")}
        if not {"sender_id", "timestamp", "data"} <= columns:
            raise ValueError(f"{self.where}: table 'events' is not Rasa's tracker store (no sender_id/data columns)")
        return TRACKER_EVENTS

    @property
    def where(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True) if self.url else "(no tracker store)"

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


@dataclass
class Person:
    """Who a request is about: the addresses and visitor ids found, and their leads."""

    emails: set[str] = field(default_factory=set)  # lower case
    visitor_ids: set[str] = field(default_factory=set)  # lead visitor ids and chat sender ids
    lead_ids: set[int] = field(default_factory=set)
    names: set[str] = field(default_factory=set)  # "Name (Company)" as notifications write it

    @property
    def found(self) -> bool:
        return bool(self.visitor_ids or self.lead_ids)

    def needles(self) -> set[str]:
        """Lower-case strings whose presence in a stored text ties it to the person, each also
        as JSON writes it (non-ASCII characters escaped). A visitor id counts only as a whole
        JSON string (`"v-123"`): ids such as `default` are words too."""
        plain = self.emails | self.names
        found = {form.lower() for text in plain if text for form in (text, json.dumps(text)[1:-1])}
        return found | {json.dumps(visitor_id).lower() for visitor_id in self.visitor_ids if visitor_id}


@contextmanager
def _scrubbing(connection: Connection) -> Iterator[None]:
    """On SQLite, deleted rows are overwritten with zeros (`secure_delete`) instead of staying
    readable in free pages of the file; other databases reclaim space on their own."""
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA secure_delete").scalar()
    connection.exec_driver_sql("PRAGMA secure_delete=ON")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA secure_delete={int(before or 0)}")


def _flush_wal(engine: Engine) -> None:
    """Copy SQLite's write-ahead log into the file and empty it: the log still holds the pages
    as they were before the delete. (Readers still open may keep some frames until they finish.)"""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


def _mentions(column, needles: Iterable[str]):
    return or_(*[func.lower(column).contains(needle, autoescape=True) for needle in needles])


def find_person(
    store: LeadStore, tracker: TrackerStore, email: str | None = None, visitor_id: str | None = None
) -> Person:
    """Resolve an address or a visitor id to every lead, visitor id and address that belongs to it
    (one step: the leads of the visitor's address too, and the address-less lead of a
    conversation in which the address was typed)."""
    if (email is None) == (visitor_id is None):
        raise ValueError("give exactly one of email and visitor_id")
    person = Person()
    if email is not None:
        person.emails.add(email.strip().lower())
    with store.session() as session:
        if visitor_id is not None:
            lead = session.execute(select(Lead).where(Lead.visitor_id == visitor_id)).scalar_one_or_none()
            person.visitor_ids.add(visitor_id)
            if lead is not None and lead.email:
                person.emails.add(lead.email.strip().lower())
        leads = []
        if person.emails:
            leads = list(
                session.execute(select(Lead).where(func.lower(Lead.email).in_(sorted(person.emails)))).scalars()
            )
        if visitor_id is not None:
            leads += list(session.execute(select(Lead).where(Lead.visitor_id == visitor_id)).scalars())
        for lead in leads:
            person.lead_ids.add(lead.id)
            person.visitor_ids.add(lead.visitor_id)
            if lead.person_name and (lead.company or len(lead.person_name.split()) > 1):
                person.names.add(f"{lead.person_name} ({lead.company})" if lead.company else lead.person_name)
        if visitor_id is not None and not person.lead_ids:
            # A visitor who never chatted is a person only if something is stored under the id.
            has_events = session.execute(
                select(Event.visitor_id).where(Event.visitor_id == visitor_id).limit(1)
            ).first()
            if has_events is None:
                person.visitor_ids.discard(visitor_id)
    typed_in: set[str] = set()
    table = tracker.table()
    if table is not None:
        with tracker.engine.connect() as connection:  # type: ignore[union-attr]
            if (
                visitor_id is not None
                and connection.execute(select(table.c.id).where(table.c.sender_id == visitor_id).limit(1)).first()
            ):
                person.visitor_ids.add(visitor_id)
            if person.emails:
                senders = connection.execute(
                    select(table.c.sender_id)
                    .where(_mentions(table.c.data, Person(emails=person.emails).needles()))
                    .distinct()
                ).scalars()
                typed_in = set(senders) - person.visitor_ids
                person.visitor_ids.update(typed_in)
    if email is not None and typed_in:
        # The lead of a conversation where the address was typed, if it has no address of its
        # own (the visitor gave it only to ask for their data): theirs as well.
        with store.session() as session:
            person.lead_ids.update(
                session.execute(
                    select(Lead.id).where(Lead.visitor_id.in_(sorted(typed_in)), Lead.email.is_(None))
                ).scalars()
            )
    return person


def _row(row: Any, table_name: str) -> dict[str, Any]:
    hidden = _NOT_EXPORTED.get(table_name, set())
    return {c.name: getattr(row, c.name) for c in row.__table__.columns if c.name not in hidden}


def _outbox_about(session: Session, person: Person) -> list[OutboxMessage]:
    needles = person.needles()
    if not needles:
        return []
    rows = session.execute(
        select(OutboxMessage)
        .where(
            or_(
                func.lower(OutboxMessage.target).in_(sorted(person.emails)),
                _mentions(cast(OutboxMessage.payload, Text), needles),
            )
        )
        .order_by(OutboxMessage.id)
    ).scalars()
    return list(rows)


def _transcript_rows(tracker: TrackerStore, person: Person) -> list[dict[str, Any]]:
    table = tracker.table()
    if table is None or not person.visitor_ids:
        return []
    with tracker.engine.connect() as connection:  # type: ignore[union-attr]
        rows = connection.execute(
            select(table)
            .where(table.c.sender_id.in_(sorted(person.visitor_ids)))
            .order_by(table.c.sender_id, table.c.id)
        ).mappings()
        out = []
        for row in rows:
            item = dict(row)
            try:
                item["data"] = json.loads(item["data"]) if item["data"] else None
            except ValueError:
                pass  # kept as the text it is
            out.append(item)
        return out


def export_person(
    store: LeadStore, tracker: TrackerStore, email: str | None = None, visitor_id: str | None = None
) -> dict[str, Any]:
    """Everything stored about the person, as one JSON-ready object (datetimes stay datetimes:
    dump with `to_json`). Pending outbox messages lose their tokens: a rep's accept/reject link
    is not the visitor's to use."""
    from handoff.outbox import without_tokens  # handoff builds on leaddb; imported here, not at the top

    person = find_person(store, tracker, email, visitor_id)
    result: dict[str, Any] = {
        "query": {"email": email} if email is not None else {"visitor_id": visitor_id},
        "found": person.found,
        "emails": sorted(person.emails) if person.found else [],
        "visitor_ids": sorted(person.visitor_ids),
    }
    with store.session() as session:
        leads = session.execute(select(Lead).where(Lead.id.in_(sorted(person.lead_ids))).order_by(Lead.id)).scalars()
        result["leads"] = [_row(lead, "leads") for lead in leads]
        for model in LEAD_CHILDREN:
            name = model.__tablename__
            rows = session.execute(
                select(model)
                .where(model.lead_id.in_(sorted(person.lead_ids)))
                .order_by(*model.__table__.primary_key.columns)  # lead_experiments has no id
            ).scalars()
            result[name] = [_row(row, name) for row in rows]
        events = session.execute(
            select(Event)
            .where(Event.visitor_id.in_(sorted(person.visitor_ids)))
            .order_by(Event.visitor_id, Event.occurred_at, Event.event_id)
        ).scalars()
        result["events"] = [_row(row, "events") for row in events]
        chat = session.execute(
            select(ChatEvent)
            .where(ChatEvent.sender_id.in_(sorted(person.visitor_ids)))
            .order_by(ChatEvent.occurred_at, ChatEvent.id)
        ).scalars()
        result["chat_events"] = [_row(row, "chat_events") for row in chat]
        outbox = []
        for message in _outbox_about(session, person):
            item = _row(message, "outbox")
            item["payload"] = without_tokens(item["payload"])
            outbox.append(item)
        result["outbox"] = outbox
        requests = session.execute(
            select(DataRequest).where(DataRequest.email.in_(sorted(person.emails))).order_by(DataRequest.id)
        ).scalars()
        result["data_requests"] = [_row(row, "data_requests") for row in requests]
    result["transcript"] = _transcript_rows(tracker, person)
    return result


def erase_person(
    store: LeadStore, tracker: TrackerStore, email: str | None = None, visitor_id: str | None = None
) -> dict[str, Any]:
    """Delete the person's data everywhere; returns how many rows went from each table."""
    person = find_person(store, tracker, email, visitor_id)
    counts: dict[str, int] = {}
    lead_ids = sorted(person.lead_ids)
    with store.session() as session, _scrubbing(session.connection()):
        # Outbox first: finding its messages needs the leads' names, still there.
        messages = [message.id for message in _outbox_about(session, person)]
        for model in LEAD_CHILDREN:
            result = session.execute(delete(model).where(model.lead_id.in_(lead_ids)))
            counts[model.__tablename__] = result.rowcount
        counts["leads"] = session.execute(delete(Lead).where(Lead.id.in_(lead_ids))).rowcount
        counts["events"] = session.execute(
            delete(Event).where(Event.visitor_id.in_(sorted(person.visitor_ids)))
        ).rowcount
        counts["chat_events"] = session.execute(
            delete(ChatEvent).where(ChatEvent.sender_id.in_(sorted(person.visitor_ids)))
        ).rowcount
        counts["outbox"] = session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(messages))).rowcount
        counts["data_requests"] = session.execute(
            delete(DataRequest).where(DataRequest.email.in_(sorted(person.emails)))
        ).rowcount
    _flush_wal(store.engine)
    counts["tracker_events"] = 0
    table = tracker.table()
    if table is not None and person.visitor_ids:
        with tracker.engine.begin() as connection, _scrubbing(connection):  # type: ignore[union-attr]
            counts["tracker_events"] = connection.execute(
                delete(table).where(table.c.sender_id.in_(sorted(person.visitor_ids)))
            ).rowcount
        _flush_wal(tracker.engine)
    return {
        "query": {"email": email} if email is not None else {"visitor_id": visitor_id},
        "found": person.found,
        "visitor_ids": sorted(person.visitor_ids),
        "removed": counts,
    }


# -- retention ---------------------------------------------------------------------------


def purge_expired(store: LeadStore, tracker: TrackerStore, retention_days: int, now: datetime) -> dict[str, Any]:
    """Delete behaviour events that occurred more than `retention_days` before `now`, the
    chat transcripts whose last event is that old (a conversation still going on is kept whole,
    so Rasa can still replay it), and data request links expired over DATA_REQUESTS_KEPT ago."""
    if retention_days <= 0:
        raise ValueError(f"retention_days must be positive, got {retention_days}")
    cutoff = now - timedelta(days=retention_days)
    with store.session() as session:
        events = session.execute(delete(Event).where(Event.occurred_at < cutoff)).rowcount
        chat_events = session.execute(delete(ChatEvent).where(ChatEvent.occurred_at < cutoff)).rowcount
        data_requests = session.execute(
            delete(DataRequest).where(DataRequest.expires_at < now - DATA_REQUESTS_KEPT)
        ).rowcount
    conversations = transcript_events = 0
    table = tracker.table()
    if table is not None:
        with tracker.engine.begin() as connection:  # type: ignore[union-attr]
            stale = (
                connection.execute(
                    select(table.c.sender_id)
                    .group_by(table.c.sender_id)
                    .having(func.max(table.c.timestamp) < cutoff.timestamp())
                )
                .scalars()
                .all()
            )
            for start in range(0, len(stale), 500):
                chunk = stale[start : start + 500]
                transcript_events += connection.execute(delete(table).where(table.c.sender_id.in_(chunk))).rowcount
            conversations = len(stale)
    return {
        "cutoff": cutoff.isoformat(),
        "events": events,
        "chat_events": chat_events,
        "data_requests": data_requests,
        "conversations": conversations,
        "tracker_events": transcript_events,
    }


class RetentionPurge:
    """Runs `purge_expired` at most once per `every` (an hour) by the clock it is given; the
    outbox worker calls `run_if_due()` on each round."""

    def __init__(
        self,
        store: LeadStore,
        tracker: TrackerStore,
        retention_days: int,
        clock: Callable[[], datetime] = utcnow,
        every: timedelta = timedelta(hours=1),
    ):
        self.store, self.tracker, self.retention_days = store, tracker, retention_days
        self.clock, self.every = clock, every
        self.last_run: datetime | None = None

    def run_if_due(self) -> dict[str, Any] | None:
        now = self.clock()
        if self.last_run is not None and now - self.last_run < self.every:
            return None
        self.last_run = now  # also when it fails: the next try is an hour on, not every poll
        return purge_expired(self.store, self.tracker, self.retention_days, now)


def to_json(value: Any) -> str:
    return json.dumps(value, default=_plain, ensure_ascii=False, indent=2, sort_keys=True)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")

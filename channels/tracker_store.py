"""Rasa's SQL tracker store, made to ride out a database restart.

Rasa wraps every tracker store in a FailSafeTrackerStore: a failed `retrieve` returns None, and
Rasa then carries on with a blank tracker, as if the visitor had never written. Rasa's own
engine also keeps pooled connections that a database restart has closed, so the first query of
every process after a restart fails. Here the engine pings a connection before using it, and a
lost connection is retried for up to RETRY_SECONDS before the error reaches Rasa, so a
PostgreSQL restart delays a message instead of losing the conversation.

Rasa also reads and deserialises every event of the conversation on every message, a cost that
grows with its length (14% of Rasa's CPU time over a 40-turn conversation). Here each process
keeps the events it has read and, next time, reads only the rows added since, after checking
that the rows it holds are all still there (an erasure or a new session reloads in full). Every
replica reads the database, so what another replica wrote is seen, as before.

Saving, Rasa counts the session's stored rows to find the new events (and, with an event broker,
reads and rebuilds the whole tracker a second time to find the same events to publish). Here
the count comes from what this process read, when no row was added since, and the rows just
written join what it holds, so the next message reads nothing twice.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import Event, SessionStarted, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.exc import DBAPIError, OperationalError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_delay, wait_exponential

RETRY_SECONDS = 30
CACHED_CONVERSATIONS = 2000  # per Rasa process; least recently used dropped first


@dataclass
class _ReadSoFar:
    """The events of a conversation's current session this process has read."""

    events: list[Event]
    last_id: int  # the highest row id among them
    rows_up_to_last_id: int  # the sender's rows (all sessions) with an id up to last_id


def _connection_lost(error: BaseException) -> bool:
    return isinstance(error, OperationalError) or (isinstance(error, DBAPIError) and error.connection_invalidated)


def _retrying() -> AsyncRetrying:
    return AsyncRetrying(
        retry=retry_if_exception(_connection_lost),
        stop=stop_after_delay(RETRY_SECONDS),
        wait=wait_exponential(multiplier=0.2, max=3),
        reraise=True,
    )


class ResilientSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self._read: OrderedDict[str, _ReadSoFar] = OrderedDict()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        async for attempt in _retrying():
            with attempt:
                return self._retrieve_current_session(sender_id)
        return None  # not reached: the last attempt returns or raises

    def _retrieve_current_session(self, sender_id: str) -> DialogueStateTracker | None:
        if not self.domain:
            return None
        with self.session_scope() as session:
            events = self._read_on(session, sender_id)
        if events is None:
            return None
        return DialogueStateTracker.from_events(sender_id, list(events), self.domain.slots)

    def _read_on(self, session: Any, sender_id: str) -> list[Event] | None:
        rows_of = self.SQLEvent
        known = self._read.pop(sender_id, None)
        if known is not None:
            still_there = (
                session.query(sa.func.count(rows_of.id))
                .filter(rows_of.sender_id == sender_id, rows_of.id <= known.last_id)
                .scalar()
            )
            added = (
                session.query(rows_of.id, rows_of.type_name, rows_of.data)
                .filter(rows_of.sender_id == sender_id, rows_of.id > known.last_id)
                .order_by(rows_of.id)
                .all()
            )
            if still_there == known.rows_up_to_last_id and all(r.type_name != SessionStarted.type_name for r in added):
                if added:
                    known.events += deserialise_events([json.loads(r.data) for r in added])
                    known.last_id = added[-1].id
                    known.rows_up_to_last_id += len(added)
                return self._remember(sender_id, known)
        # Read in full, as Rasa does: the current session's events.
        rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).all()
        if not rows:
            return None
        last_id = rows[-1].id
        up_to_last = (
            session.query(sa.func.count(rows_of.id))
            .filter(rows_of.sender_id == sender_id, rows_of.id <= last_id)
            .scalar()
        )
        events = deserialise_events([json.loads(row.data) for row in rows])
        return self._remember(sender_id, _ReadSoFar(events, last_id, up_to_last))

    def _remember(self, sender_id: str, read: _ReadSoFar) -> list[Event]:
        self._read[sender_id] = read
        while len(self._read) > CACHED_CONVERSATIONS:
            self._read.popitem(last=False)
        return read.events

    async def save(self, tracker: DialogueStateTracker) -> None:
        # A retried save may publish the turn's events to the broker again; the analytics
        # consumer stores each event once (leaddb.chat_events.event_key).
        async for attempt in _retrying():
            with attempt:
                self._save_new_events(tracker)

    def _save_new_events(self, tracker: DialogueStateTracker) -> None:
        sender_id = tracker.sender_id
        with self.session_scope() as session:
            known = self._read.pop(sender_id, None)
            if known is not None and not self._holds_all_stored(session, sender_id, known):
                known = None  # another process wrote or erased: count, and read in full next time
            stored = len(known.events) if known else self._stored_count(session, sender_id)
            new_events = list(tracker.events)[stored:]
            if self.event_broker is not None:  # published first, as Rasa does
                for event in new_events:
                    self.event_broker.publish({"sender_id": sender_id, **event.as_dict()})
            written = [event.as_dict() for event in new_events]
            rows = [
                self.SQLEvent(
                    sender_id=sender_id,
                    type_name=event.type_name,
                    timestamp=data.get("timestamp"),
                    intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                    action_name=data.get("name"),
                    data=json.dumps(data),
                )
                for event, data in zip(new_events, written)
            ]
            session.add_all(rows)
            session.flush()  # gives the rows their ids
            last_id = rows[-1].id if rows else None
            session.commit()
        if known is None or any(isinstance(event, SessionStarted) for event in new_events):
            return  # a new session: the next read starts from it, in full
        if last_id is not None:
            known.events += deserialise_events(written)  # as a read would give them
            known.last_id = last_id
            known.rows_up_to_last_id += len(rows)
        self._remember(sender_id, known)

    def _holds_all_stored(self, session: Any, sender_id: str, known: _ReadSoFar) -> bool:
        """Whether the rows this process read are still all the sender's rows."""
        rows_of = self.SQLEvent
        newest, rows = (
            session.query(sa.func.max(rows_of.id), sa.func.count(rows_of.id))
            .filter(rows_of.sender_id == sender_id)
            .one()
        )
        return newest == known.last_id and rows == known.rows_up_to_last_id

    def _stored_count(self, session: Any, sender_id: str) -> int:
        """The current session's stored events, counted as Rasa counts them."""
        return self._event_query(session, sender_id, fetch_events_from_all_sessions=False).count()

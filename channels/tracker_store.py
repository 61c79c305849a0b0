"""Rasa's SQL tracker store, made to ride out a database restart.

Rasa wraps every tracker store in a FailSafeTrackerStore: a failed `retrieve` returns None, and
Rasa then carries on with a blank tracker, as if the visitor had never written. Rasa's own
engine also keeps pooled connections that a database restart has closed, so the first query of
every process after a restart fails. Here the engine pings a connection before using it, and a
lost connection is retried for up to RETRY_SECONDS before the error reaches Rasa, so a
PostgreSQL restart delays a message instead of losing the conversation.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.exc import DBAPIError, OperationalError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_delay, wait_exponential

RETRY_SECONDS = 30


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

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        async for attempt in _retrying():
            with attempt:
                return await super().retrieve(sender_id)
        return None  # not reached: the last attempt returns or raises

    async def save(self, tracker: DialogueStateTracker) -> None:
        # A retried save may publish the turn's events to the broker again; the analytics
        # consumer stores each event once (leaddb.chat_events.event_key).
        async for attempt in _retrying():
            with attempt:
                await super().save(tracker)

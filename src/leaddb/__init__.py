"""The lead database: leads, their answers and decisions, tracked events, meetings, outbox, locks.

Each table module registers itself on `Base`; importing this package imports them all, so
`LeadStore.from_url()` brings the whole schema to the head migration (see `leaddb.migrations`).
"""

from . import chat_events, data_requests, events, experiments, leads, locks, meetings, outbox  # noqa: F401  (registers their tables)
from .base import Base, UTCDateTime, make_engine, make_session_factory, session_scope, utcnow
from .store import LeadStore

__all__ = ["Base", "LeadStore", "UTCDateTime", "make_engine", "make_session_factory", "session_scope", "utcnow"]

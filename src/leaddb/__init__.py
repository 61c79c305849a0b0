"""The lead database: leads, their answers and decisions, tracked events, meetings, outbox.

Each table module registers itself on `Base`; importing this package imports them all, so
`LeadStore.create_tables()` creates the whole schema.
"""
from . import events  # noqa: F401
from . import leads  # noqa: F401  (registers tables)
from . import sales  # noqa: F401
from .base import Base, UTCDateTime, make_engine, make_session_factory, session_scope, utcnow
from .store import LeadStore

__all__ = ["Base", "LeadStore", "UTCDateTime", "make_engine", "make_session_factory", "session_scope", "utcnow"]

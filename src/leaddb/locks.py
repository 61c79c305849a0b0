"""Named locks kept in the database, so that several processes can take turns on one thing
(a round-robin pool, a rep's calendar). `handoff.db.take_lock` takes them."""

from __future__ import annotations

from sqlalchemy import Column, Integer, String

from .base import Base


class NamedLock(Base):
    """A row per lock name. Updating it takes a row lock (PostgreSQL) or the write lock
    (SQLite) until the transaction ends, which serialises work on one pool or one rep."""

    __tablename__ = "named_locks"

    name = Column(String(128), primary_key=True)
    times_taken = Column(Integer, nullable=False, default=0)
